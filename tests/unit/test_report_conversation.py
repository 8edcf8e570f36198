"""The report conversation's branches, played without Flask or a database (up to the point of storing)."""
import uuid

import pytest

from casecore.locations import Place, PlaceDirectory
from dialogs.engine import Context, Limits, play
from dialogs.report_child import COMMUNITY, ReportServices

PLACES = PlaceDirectory(
    regions=(Place("ML09", "Bamako"), Place("ML01", "Kayes")),
    communes_by_region={"ML09": (Place("ML090101", "Commune I"),), "ML01": ()},
)


def no_database():
    raise AssertionError("only the last step may open a transaction")


def play_fr(*inputs, language="fr"):
    services = ReportServices(places=PLACES, unit_of_work=no_database, receiving_organisation=uuid.uuid4(),
                              default_region="ML", emergency_contacts=("116",))
    ctx = Context(channel="ussd", session_id="s", phone="+22376701430", default_language=language, services=services)
    return play(COMMUNITY, list(inputs), ctx, Limits())


def test_the_first_screen_offers_the_languages_in_their_own_words():
    assert play_fr().lines == ("Langue / Language", "1 Francais", "2 English", "3 Bamanankan")


@pytest.mark.parametrize("inputs, first_line", [
    (("1", "1", "1", "1", "1", "2"), "Où est l'enfant ? Région :"),
    (("1", "1", "1", "1", "1", "2", "1"), "Commune :"),
    # "I don't know" the region skips the commune question.
    (("1", "1", "1", "1", "1", "2", "3"), "Les agents de protection peuvent-ils connaître votre numéro ?"),
    (("2", "1", "1", "1", "1", "2", "1", "1", "1"), "May we call you on this number?"),
    # Without consent to know the number, there is no call question.
    (("2", "1", "1", "1", "1", "2", "1", "1", "2"), "Send the report?"),
    (("1", "1", "1", "1", "1", "2", "1", "00"), "Relais - protection de l'enfant"),
])
def test_branches(inputs, first_line):
    assert play_fr(*inputs).lines[0] == first_line


def test_regions_come_from_the_directory_with_i_dont_know_last():
    assert play_fr("1", "1", "1", "1", "1", "2").lines[1:4] == ("1 Bamako", "2 Kayes", "3 Je ne sais pas")


def test_cancel_ends_without_touching_the_database():
    screen = play_fr("1", "1", "1", "2", "1", "2", "3", "1", "1", "2")  # unknown region, consent, call, cancel
    assert screen.final and screen.text == "Signalement annulé. Rien n'a été enregistré."
