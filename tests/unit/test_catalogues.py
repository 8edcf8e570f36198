"""Every prompt of the community conversations exists in every language; Bambara stays fuzzy until reviewed."""
import pytest
from babel.messages.pofile import read_po

from casecore.i18n import LOCALE_DIR
from casecore.taxonomy import COMMUNITY_LANGUAGES
from dialogs.report_child import COMMUNITY


def catalogue(language: str, domain: str = "messages"):
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle)


def conversation_msgids() -> set[str]:
    """Prompts and static option labels declared in the conversation (place names are data, not msgids)."""
    ids = set()
    for step in COMMUNITY.steps.values():
        if not step.literal_prompt:
            ids.add(step.prompt)
        if not callable(step.options):
            ids |= {option.label for option in step.options if not option.literal}
    return ids


@pytest.mark.parametrize("language", COMMUNITY_LANGUAGES)
def test_every_prompt_is_translated(language):
    entries = {message.id: message for message in catalogue(language) if message.id}
    assert conversation_msgids() <= set(entries)
    assert [msgid for msgid, message in entries.items() if not message.string] == []


def test_the_catalogues_hold_the_same_messages():
    ids = {language: {m.id for m in catalogue(language) if m.id} for language in COMMUNITY_LANGUAGES}
    assert ids["fr"] == ids["en"] == ids["bm"]


def test_bambara_is_fuzzy_until_a_native_speaker_has_reviewed_it():
    assert all(message.fuzzy for message in catalogue("bm") if message.id)
