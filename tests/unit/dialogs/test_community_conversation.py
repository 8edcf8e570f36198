"""The community conversation's branches on each channel, played without Flask or a database."""
import uuid

import pytest

from casecore.people.locations import Place, PlaceDirectory
from dialogs.community import COMMUNITY, MAIN, complaint_hint, main_menu_token, start_for
from dialogs.engine import Context, Limits, play
from dialogs.services import CommunityServices

PLACES = PlaceDirectory(
    regions=(Place("ML09", "Bamako"), Place("ML01", "Kayes")),
    communes_by_region={"ML09": (Place("ML090101", "Commune I"),), "ML01": ()},
)


def no_database(**_options):
    raise AssertionError("this step must not open a transaction")


def services(**overrides):
    values = dict(places=PLACES, unit_of_work=no_database, receiving_organisation=uuid.uuid4(), default_region="ML",
                  emergency_contacts=("116", "80 00 11 11"), phone_key=lambda phone: "k",
                  keywords={"report": {"fr": "SIGNALER"}, "complaint": {"fr": "PLAINTE"}})
    values.update(overrides)
    return CommunityServices(**values)


def screen(*inputs, channel="ussd", language="fr", **service_overrides):
    ctx = Context(channel=channel, session_id="s", phone="+22376701430", default_language="fr",
                  services=services(**service_overrides))
    start, answers = start_for(language)
    limits = Limits(max_options=9, max_chars=2000, show_home=channel != "ussd")
    return play(COMMUNITY, list(inputs), ctx, limits, start=start, answers=answers)


REPORT = main_menu_token("report")
TRACING = main_menu_token("tracing")


def test_without_a_remembered_language_the_first_screen_offers_the_languages_in_their_own_words():
    assert screen(language=None).lines == ("Langue / Language", "1 Francais", "2 English", "3 Bamanankan")


def test_a_remembered_language_opens_on_the_main_menu_with_seven_entries():
    first = screen()
    assert first.step == MAIN and len(first.choices) == 7


@pytest.mark.parametrize("inputs, step", [
    ((REPORT,), "report.concern"),
    ((REPORT, "1", "2"), "report.sex"),                     # no danger now: straight on
    ((REPORT, "1", "1"), "report.emergency"),               # danger now: who to call first
    ((REPORT, "1", "1", "1"), "report.sex"),
    ((REPORT, "1", "2", "1", "1", "3"), "report.consent"),  # unknown region skips the commune
    ((REPORT, "1", "2", "1", "1", "1"), "report.commune"),
    ((REPORT, "1", "2", "1", "1", "1", "1", "2"), "report.confirm"),  # no consent: no call question
    ((REPORT, "1", "2", "1", "1", "1", "1", "1"), "report.contact"),
    ((REPORT, "1", "2", "0"), "report.danger"),              # back
    ((REPORT, "1", "2", "00"), MAIN),                        # home
    ((REPORT, "9"), "report.concern"),                       # invalid choice: asked again
    ((TRACING, "1", "1", "1", "1"), "tracing.when"),
    ((TRACING, "1", "1", "1", "1", "1", "1"), "tracing.consent"),  # no description on USSD
])
def test_branches_on_ussd(inputs, step):
    assert screen(*inputs).step == step


def test_the_text_channels_ask_for_a_short_description_which_may_be_skipped():
    before = (REPORT, "1", "2", "1", "1", "1", "1")
    assert screen(*before, channel="sms").step == "report.description"
    assert screen(*before, "1", channel="sms").step == "report.consent"                   # 1 = skip
    assert screen(*before, "Il travaille la nuit", channel="whatsapp").step == "report.consent"


def test_an_invalid_choice_says_so_above_the_question():
    again, first = screen(REPORT, "9"), screen(REPORT)
    assert again.step == "report.concern" and again.lines[1:] == first.lines and len(again.lines) == len(first.lines) + 1


def test_the_emergency_screen_shows_the_configured_numbers():
    assert "116, 80 00 11 11" in screen(REPORT, "1", "1").text


def test_cancel_ends_without_touching_the_database():
    final = screen(REPORT, "1", "2", "1", "1", "3", "2", "2")  # unknown region, no consent, cancel
    assert final.final and final.step == "report.cancelled"


def test_text_channels_remind_of_the_menu_and_ussd_does_not():
    assert any(line.startswith("00 ") for line in screen(REPORT, channel="sms").lines)
    assert not any(line.startswith("00 ") for line in screen(REPORT, channel="ussd").lines)


def test_help_on_sms_names_the_configured_keywords():
    text = screen(main_menu_token("help"), channel="sms").text
    assert "SIGNALER" in text and "PLAINTE" in text and "116" in text


def test_a_reference_that_is_not_well_formed_is_refused_before_any_lookup():
    status = screen(main_menu_token("status"), "ABC")
    assert status.step == "status.reference" and len(status.lines) >= 2


def test_help_on_ussd_names_the_menu_option_for_a_complaint():
    text = screen(main_menu_token("help")).text
    assert f"Plainte : tapez {main_menu_token('complaint')} au menu." in text


@pytest.mark.parametrize("channel, language, code, hint", [
    ("sms", "fr", "", "Plainte : envoyez PLAINTE"),
    ("whatsapp", "en", "", "Complaint: send COMPLAINT"),
    ("sms", "bm", "*384#", "PLAINTE"),                          # the keyword of the language, whatever it reads
    ("ussd", "fr", "*384#", "Plainte : *384#, option 5"),
    ("ussd", "en", "*384*12#", "Complaint: *384*12#, option 5"),
    ("ussd", "fr", "", "Plainte : option 5 du menu"),
    ("ussd", "en", "*384*1234#", "Complaint: menu option 5"),   # too long to fit under every last screen
    ("ussd", "en", "384<script>", "Complaint: menu option 5"),  # not a dialled code: never shown
])
def test_the_complaint_hint_names_the_keyword_or_the_menu_option(channel, language, code, hint):
    keywords = {"complaint": {"fr": "PLAINTE", "en": "COMPLAINT", "bm": "PLAINTE"}}
    assert hint in complaint_hint(channel, language, keywords, code)
    assert main_menu_token("complaint") == "5"


def test_without_a_keyword_for_the_language_the_hint_names_another_languages_keyword():
    assert complaint_hint("sms", "bm", {"complaint": {"fr": "PLAINTE"}}) == "Kɔrɔfɔ: PLAINTE ci"
    assert "PLAINTE" in complaint_hint("sms", "en", {})


@pytest.mark.parametrize("channel", ["ussd", "sms", "whatsapp"])
def test_the_last_screen_ends_with_the_complaint_hint(channel):
    final = screen(REPORT, "1", "2", "1", "1", "3", *(["1"] if channel != "ussd" else []), "2", "2",
                   channel=channel, ussd_code="*384#")
    assert final.step == "report.cancelled"
    assert final.lines[-1] == complaint_hint(channel, "fr", {"complaint": {"fr": "PLAINTE"}}, "*384#")
