"""SMS length and cost: GSM-7 or UCS-2, units and segments (providers §4); pure, so the outbox can record it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet, in table order (0x00-0x7F). 0x1B is the escape to the extension table, not a
# character, so it is left out; CR (0x0D) and LF (0x0A) are part of the real table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each character is sent as ESC + code, so it costs 2 septets. 0x0A is a page break.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153  # septets; a multipart SMS gives 7 septets of each part to its header
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsSize:
    """How a text travels as SMS: its encoding, its length in that encoding's units, and the parts billed."""

    encoding: Encoding
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character of text is in the GSM-7 default alphabet or its extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def measure_sms(text: str) -> SmsSize:
    """The encoding a handset or gateway picks for text, its units (septets or UTF-16 units) and segments."""
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SmsSize("GSM-7", sum(costs), _segments(costs, GSM7_SINGLE, GSM7_PART))
    # UCS-2 on the air is really UTF-16: a character outside the BMP (most emoji) takes a surrogate pair.
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsSize("UCS-2", sum(costs), _segments(costs, UCS2_SINGLE, UCS2_PART))


def _segments(costs: list[int], single: int, part: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1  # an empty text still goes out as one message
    # An escape and its character, or a surrogate pair, is never split across parts: it moves whole to the next.
    count, used = 1, 0
    for cost in costs:
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return count
