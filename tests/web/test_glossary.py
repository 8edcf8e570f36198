"""The French web catalogue follows locale/GLOSSARY.md where a rule can be read mechanically: one word for a case, a
case worker, a referral, an assignment and feedback; a reference is only the code; a message starts like its msgid;
what a family chose on USSD reads the same on the web."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from app.complaints.labels import COMPLAINT_LABELS
from app.triage.labels import LABELS
from app.web.words import LANGUAGES
from casecore.i18n import LOCALE_DIR
from dialogs.common import SEXES, UNKNOWN
from dialogs.complaint import CATEGORIES
from dialogs.report_child import CONCERNS


def _catalogue(domain: str) -> dict[str, str]:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale="fr") if m.id and isinstance(m.id, str)}


WEB = _catalogue("web")
USSD = _catalogue("messages")

# The glossary's "not" column, as patterns; "cas" is allowed only in the phrases where it does not mean a case.
AVOIDED = {
    "cas": re.compile(r"\bcas\b", re.IGNORECASE),
    "travailleur social": re.compile(r"travailleurs? sociaux?|travailleur social", re.IGNORECASE),
    "gestionnaire de cas": re.compile(r"gestionnaires? de cas", re.IGNORECASE),
    "référencement, référer": re.compile(r"référenc(?!es?\b)|référ(?:er|é|ée|és|ées|ons|ez)\b|contre-référ",
                                         re.IGNORECASE),
    "affecter, assigner": re.compile(r"\baffect(?:er|é|ée|és|ez)|\bassign", re.IGNORECASE),
    "feedback": re.compile(r"feedback", re.IGNORECASE),
    "conférence de cas": re.compile(r"conférences? de cas", re.IGNORECASE),
}
CAS_ALLOWED = re.compile(r"en cas d|au cas où|dans ce cas|le cas échéant|dans tous les cas|selon le cas",
                         re.IGNORECASE)


@pytest.mark.parametrize("avoided", sorted(AVOIDED))
def test_no_french_web_text_uses_a_word_the_glossary_avoids(avoided):
    pattern = AVOIDED[avoided]
    found = {msgid: text for msgid, text in WEB.items() if pattern.search(CAS_ALLOWED.sub("", text))}
    assert found == {}


def test_a_reference_is_only_the_code_a_family_is_given():
    # A referral is an orientation: "référence" in French stands only for an English "reference".
    found = {msgid: text for msgid, text in WEB.items()
             if re.search(r"référence", text, re.IGNORECASE) and "reference" not in msgid.lower()}
    assert found == {}


def test_every_french_web_text_starts_like_its_msgid():
    # A message shown on its own starts with a capital; a reason shown after "Not saved:" with a small letter.
    found = {msgid: text for msgid, text in WEB.items()
             if text and msgid[0].isalpha() and text[0].isalpha() and msgid[0].isupper() != text[0].isupper()}
    assert found == {}


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"\w+", text.lower()) if len(word) > 3}


@pytest.mark.parametrize("options, web_words", [
    (CONCERNS, LABELS["concern"]), (CATEGORIES, COMPLAINT_LABELS["category"]), (SEXES, LABELS["sex"]),
], ids=["concern", "complaint category", "sex"])
def test_what_a_family_chose_on_ussd_reads_with_the_same_words_on_the_web(options, web_words):
    for option in options:
        if option.value == UNKNOWN:
            continue  # "I don't know" on the phone is the web's "not known"
        on_phone, on_web = USSD[option.label], WEB[web_words[option.value]]
        assert _words(on_phone) <= _words(on_web), (option.value, on_phone, on_web)


def test_languages_are_shown_by_their_names():
    assert {code: WEB[msgid] for code, msgid in LANGUAGES.items()} == {
        "fr": "Français", "en": "Anglais", "bm": "Bambara"}


def test_no_web_text_says_utc_but_the_feedback_quarters():
    # Times are on the deployment's clocks, named once per page; the feedback figures' quarters are UTC quarters.
    found = {msgid for msgid, text in WEB.items() if "UTC" in text or "UTC" in msgid}
    assert {msgid for msgid in found if "in the quarter %(quarter)s (UTC)" not in msgid} == set()
