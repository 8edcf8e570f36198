"""Thanks for photos or files: the words fit what was sent, in every language."""
import pytest

from casecore.i18n import gettext_for
from dialogs.media_reply import FILE, FILES, PHOTO, PHOTOS, thanks_for


@pytest.mark.parametrize("types, expected", [
    (["image/jpeg"], PHOTO), (["IMAGE/PNG", "image/webp"], PHOTOS), (["application/pdf"], FILE),
    (["image/jpeg", "audio/ogg"], FILES), ([""], FILE),
])
def test_photos_or_files(types, expected):
    assert thanks_for(types) == expected


def test_the_french_words():
    assert gettext_for("fr")(PHOTO) == "Merci, votre photo est bien reçue."
    assert gettext_for("fr")(FILES) == "Merci, vos fichiers sont bien reçus."
