"""Every screen of every conversation, in every language, on every channel, within that channel's rules.

The walk starts from the first screen and tries every option shown, every page, back, an invalid choice and typed
text where a step takes it, until no new screen appears; endings record into a real database (demo data).
"""
from __future__ import annotations

from collections import deque
from dataclasses import replace

import pytest

from app.webhooks.ussd import USSD_LIMITS
from casecore.demo import DEMO_FAMILY_PHONE, load_demo
from casecore.messaging.sms_length import measure_sms
from casecore.taxonomy import COMMUNITY_LANGUAGES
from channels.africastalking_ussd import SCREEN_LIMIT, render_ussd, ussd_length
from channels.sms.encoding import to_gsm7
from dialogs.case_message import ENTRY_LINKED, FORWARD
from dialogs.community import COMMUNITY, DIAL_CODE_LENGTH, LANGUAGE, MAIN, complaint_hint
from dialogs.engine import Context, Screen, play
from workers.inbound import SMS_LIMITS, WHATSAPP_LIMITS

UNLINKED_PHONE = "+22376701430"
LIMITS = {"ussd": USSD_LIMITS, "sms": SMS_LIMITS, "whatsapp": WHATSAPP_LIMITS}
# The longest dialled code the last screens name (a longer one is left out of the complaint hint).
USSD_CODE = "*384*12#"
assert len(USSD_CODE) == DIAL_CODE_LENGTH


def check_ussd(screen: Screen) -> None:
    body = render_ussd(screen.text, screen.final)
    # The whole screen fits as the phone shows it (render_ussd would cut what does not), in plain ASCII.
    assert 4 + ussd_length(screen.text) <= SCREEN_LIMIT and body.isascii(), body
    assert len(screen.choices) <= 7, body
    if screen.step == MAIN:
        assert not any(line.startswith("98 ") for line in screen.lines), "the main menu must fit one screen"


def check_sms(screen: Screen) -> None:
    size = measure_sms(to_gsm7(screen.text))
    assert size.encoding == "GSM-7" and size.segments <= 2, (size, screen.text)


def check_whatsapp(screen: Screen) -> None:
    assert len(screen.text) <= 1600 and len(screen.choices) <= 10, screen.text


CHECKS = {"ussd": check_ussd, "sms": check_sms, "whatsapp": check_whatsapp}


def walk(runtime, channel: str, language: str, phone: str, texts: list[str], start: str = LANGUAGE,
         answers: dict | None = None, last_screens: dict[str, list[Screen]] | None = None,
         emergency: tuple[str, ...] | None = None) -> dict[str, int]:
    """Play every reachable screen; returns how many screens each step showed (and the last ones by ending)."""
    seen: set[tuple[str, str]] = set()
    shown: dict[str, int] = {}
    queue: deque[tuple[str, ...]] = deque([()])
    n = 0
    services = replace(runtime.community_services(), ussd_code=USSD_CODE)
    if emergency is not None:
        services = replace(services, emergency_contacts=emergency)
    while queue:
        path = queue.popleft()
        n += 1
        ctx = Context(channel=channel, session_id=f"walk-{channel}-{language}-{phone[-2:]}-{n}", phone=phone,
                      default_language="fr", services=services)
        screen = play(COMMUNITY, list(path), ctx, LIMITS[channel], start=start, answers=answers)
        CHECKS[channel](screen)
        key = (screen.step, screen.text)
        if key in seen:
            continue
        seen.add(key)
        shown[screen.step] = shown.get(screen.step, 0) + 1
        if screen.final:
            if last_screens is not None:
                last_screens.setdefault(screen.step, []).append(screen)
            continue
        tokens = [str(n) for n in range(1, len(screen.choices) + 1)] + ["0", "99"]
        if any(line.startswith("98 ") for line in screen.lines):
            tokens.append("98")
        step = COMMUNITY.steps[screen.step]
        if step.free_text:
            tokens += texts
        if screen.step == LANGUAGE and path:
            continue  # the language step again (from help) leads where the first one did
        for token in tokens:
            if screen.step == LANGUAGE and not path and start == LANGUAGE \
                    and token != str(COMMUNITY_LANGUAGES.index(language) + 1):
                continue
            queue.append(path + (token,))
    return shown


@pytest.fixture
def demo(runtime):
    with runtime.unit_of_work() as session:
        return load_demo(session, secret_key=runtime.settings.secret_key)


@pytest.mark.parametrize("channel", ["ussd", "sms", "whatsapp"])
@pytest.mark.parametrize("language", COMMUNITY_LANGUAGES)
def test_every_screen_fits_its_channel(runtime, demo, channel, language):
    texts = [demo.case_reference, "Un enfant travaille la nuit au marché, il a 10 ans."]
    shown = walk(runtime, channel, language, DEMO_FAMILY_PHONE, texts)
    shown_unlinked = walk(runtime, channel, language, UNLINKED_PHONE, texts)
    steps = set(shown) | set(shown_unlinked)
    if channel != "ussd":
        # A linked family's free text sent outside any dialogue starts at "send this to your case worker?".
        steps |= set(walk(runtime, channel, language, DEMO_FAMILY_PHONE, texts, start=FORWARD,
                          answers={LANGUAGE: language, ENTRY_LINKED: texts[1]}))
    # Every step of every conversation was shown, except those the channel does not offer.
    offered = {name for name, step in COMMUNITY.steps.items() if step.channels is None or channel in step.channels}
    assert offered <= steps, offered - steps
    assert set(COMMUNITY.endings) <= steps, set(COMMUNITY.endings) - steps
    assert MAIN in steps


@pytest.mark.parametrize("channel", ["ussd", "sms", "whatsapp"])
@pytest.mark.parametrize("language", COMMUNITY_LANGUAGES)
def test_every_screen_fits_with_many_emergency_numbers(runtime, demo, channel, language):
    # A country may list several numbers (child helpline, police, ambulance, a hotline): the screens that give them
    # still fit, and still end with how to complain.
    many = ("116", "17", "15", "+223 20 22 22 22", "80 00 11 22")
    last_screens: dict[str, list[Screen]] = {}
    walk(runtime, channel, language, UNLINKED_PHONE, ["Un enfant travaille la nuit au marché."],
         last_screens=last_screens, emergency=many)
    hint = complaint_hint(channel, language, runtime.keywords.first_words, USSD_CODE)
    assert all(screen.lines[-1] == hint for screens in last_screens.values() for screen in screens)


@pytest.mark.parametrize("channel", ["ussd", "sms", "whatsapp"])
@pytest.mark.parametrize("language", COMMUNITY_LANGUAGES)
def test_every_last_screen_says_how_to_complain(runtime, demo, channel, language):
    # Every ending the conversations declare, reached by every path, ends with the hint of the channel and
    # language: a new ending (or a path to one) without it fails here.
    texts = [demo.case_reference, "Un enfant travaille la nuit au marché, il a 10 ans."]
    last_screens: dict[str, list[Screen]] = {}
    for phone in (DEMO_FAMILY_PHONE, UNLINKED_PHONE):
        walk(runtime, channel, language, phone, texts, last_screens=last_screens)
    assert set(last_screens) == set(COMMUNITY.endings)
    hint = complaint_hint(channel, language, runtime.keywords.first_words, USSD_CODE)
    keyword = runtime.keywords.first_words["complaint"][language]
    assert (USSD_CODE if channel == "ussd" else keyword) in hint
    for ending, screens in last_screens.items():
        for screen in screens:
            assert screen.lines[-1] == hint, (ending, screen.text)
