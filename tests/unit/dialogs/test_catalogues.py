"""Every message of the community conversations exists in every language; Bambara stays fuzzy until reviewed."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from casecore.i18n import LOCALE_DIR
from casecore.taxonomy import COMMUNITY_LANGUAGES
from dialogs.community import COMMUNITY

ROOT = Path(__file__).resolve().parents[3]
# Where community-facing text is written: the conversations, and the USSD webhook's apology.
SOURCES = ("dialogs", "app/webhooks")


def catalogue(language: str, domain: str = "messages"):
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle)


def conversation_msgids() -> set[str]:
    """Prompts, option labels and hints declared in the conversation, and every _() or N_() in its code."""
    ids = {"Menu", "More", "Back"}  # the navigation lines, written inside f-strings
    for step in COMMUNITY.steps.values():
        if not step.literal_prompt and not callable(step.prompt):
            ids.add(step.prompt)
        ids.add(step.invalid)
        if not callable(step.options):
            ids |= {option.label for option in step.options if not option.literal}
    for source in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / source, method_map=[("**.py", "python")], keywords={"_": None, "N_": None}):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("language", COMMUNITY_LANGUAGES)
def test_every_message_is_translated(language):
    entries = {message.id: message for message in catalogue(language) if message.id}
    assert sorted(conversation_msgids() - set(entries)) == []
    assert [msgid for msgid, message in entries.items() if not message.string] == []


def test_no_message_is_left_over():
    entries = {message.id for message in catalogue("en") if message.id}
    assert sorted(entries - conversation_msgids()) == []


def test_the_catalogues_hold_the_same_messages():
    ids = {language: {m.id for m in catalogue(language) if m.id} for language in COMMUNITY_LANGUAGES}
    assert ids["fr"] == ids["en"] == ids["bm"]


def test_bambara_is_fuzzy_until_a_native_speaker_has_reviewed_it():
    assert all(message.fuzzy for message in catalogue("bm") if message.id)
