"""The words of the lists of values several features show (channels, languages), the refusals they share, the
helper that turns a code into its words and the one that makes a refusal a sentence of its own. English msgids;
casecore keeps the codes, the web catalogue the words."""
from __future__ import annotations

from collections.abc import Mapping

from app.web.pages import page_gettext
from casecore.i18n import N_

# taxonomy.CHANNELS: how a report or a feedback came in.
CHANNELS: dict[str, str] = {"ussd": N_("USSD"), "sms": N_("SMS"), "whatsapp": N_("WhatsApp"), "web": N_("Web"),
                            "api": N_("Partner system")}
# taxonomy.COMMUNITY_LANGUAGES (staff languages, taxonomy.LANGUAGES, are among them).
LANGUAGES: dict[str, str] = {"fr": N_("French"), "en": N_("English"), "bm": N_("Bambara")}

# Refusals of casecore several pages answer with the same words (case work and complaint handling).
REFUSALS: dict[str, str] = {
    "note_required": N_("Write the note."),
    "message_required": N_("Write the message."),
    "text_too_long": N_("The text is too long."),
    "opted_out": N_("This number asked for no more messages (STOP). Nothing was sent."),
    "message_too_long": N_("The message is too long for two SMS. Shorten it."),
}
INVALID = N_("A value in the form is not valid. Check the form and try again.")
# Why typed text is not a reference (casecore.references.InvalidReference.code): the search and the case list.
REFERENCE_PROBLEMS: dict[str, str] = {
    "length": N_("A reference has 7 letters and digits, like ABC2345: check how many you typed."),
    "characters": N_("A reference has only letters and digits."),
    "check": N_("This is not a valid reference: one of its characters is wrong. Check it and try again."),
}


def sentence(text: str) -> str:
    """text shown on its own, starting with a capital: casecore words its refusals to follow "Not saved:"."""
    return text[:1].upper() + text[1:]


def word(words: Mapping[str, str], code: str | None) -> str:
    """The translated words for code in words (msgids by code); the code itself ("" for None) when it has none."""
    msgid = words.get(code or "")
    return page_gettext()(msgid) if msgid else (code or "")
