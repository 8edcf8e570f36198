"""USSD sessions that survive bad networks (issue 3): resume, start again, expiry, remembered language, Redis down.

Driven by raw Africa's Talking forms (providers §1). Screens are being retranslated, so the tests assert structure
(CON/END, option counts, the reference pattern, records in the database, one screen equal to another) or compare
with what the gettext catalogue gives for a msgid, folded to ASCII as the USSD renderer does.

A "first-time" number has never chosen a language: its sessions open at the language screen. A "returning" number
chose French before (kept in the database, casecore/messaging/contacts.py): its sessions open at the main menu.
"""
from __future__ import annotations

import re
import time
from urllib.parse import quote, urlencode

import pytest
import redis
from sqlalchemy import select

from app import create_app
from bootstrap import bootstrap
from casecore.i18n import gettext_for
from casecore.messaging.contacts import remember_language
from casecore.reports.models import Report
from channels.text import to_ascii
from dialogs.community import MAIN_MENU
from tests.conftest import make_settings
from tests.factories import make_receiving_service

URL = "/webhooks/africastalking/ussd"
FORM = "application/x-www-form-urlencoded"
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")
OPTION = re.compile(r"^(\d+) (.*)$")
NAVIGATION = {"0", "00", "98"}

PHONE = "+22376701430"
OTHER_PHONE = "+22376701431"
THIRD_PHONE = "+22376701432"
RETURNING_PHONE = "+22376701440"

# Report from the main menu: violence, not in danger now, girl, 6-11, first region, first commune, consent, may
# call, send.
REPORT = ["1", "1", "2", "1", "2", "1", "1", "1", "1", "1"]
# The same, for a first-time number: French first.
REPORT_FR = ["1", *REPORT]
# Where a first-time number's session drops: the age question has just been answered (the region question is on
# its way to the phone).
DROP_AFTER_AGE = 6
POLITE = "Sorry, the service is not available right now. Please try again later."


def at_body(text: str, session: str, phone: str = PHONE) -> str:
    """The body AT sends for one step: `+` as %2B, `*` as %2A, every input so far joined with `*`."""
    return (f"sessionId={quote(session, safe='')}&serviceCode=%2A384%2A1234%23&phoneNumber={quote(phone, safe='')}"
            f"&networkCode=99999&text={quote(text, safe='')}")


def dial(client, session: str, inputs=(), phone: str = PHONE) -> str:
    """One step of a session; the provider's contract holds on every answer (200, text/plain, CON or END)."""
    response = client.post(URL, data=at_body("*".join(inputs), session, phone), content_type=FORM)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith(("CON ", "END ")), body
    return body


def play_all(client, session: str, path, phone: str = PHONE) -> list[str]:
    """Every screen of a session that answers path one input at a time (the first dial included)."""
    return [dial(client, session, path[:n], phone) for n in range(len(path) + 1)]


def msg(language: str, msgid: str) -> str:
    """A msgid as a USSD screen shows it in language."""
    return to_ascii(gettext_for(language)(msgid))


def lines_of(screen: str) -> list[str]:
    return screen[4:].split("\n")


def options(screen: str) -> list[tuple[str, str]]:
    """The numbered choices of a screen, navigation (back, home, more) left out."""
    found = [OPTION.match(line) for line in lines_of(screen)]
    return [(m.group(1), m.group(2)) for m in found if m and m.group(1) not in NAVIGATION]


def chosen_label(screen: str, token: str) -> str:
    """The label of the option a person chose on a screen."""
    return dict(options(screen))[token]


def is_resume_offer(screen: str, language: str) -> bool:
    return (screen.startswith("CON ")
            and options(screen) == [("1", msg(language, "Continue")), ("2", msg(language, "Start again"))])


def is_main_menu(screen: str, language: str) -> bool:
    lines = lines_of(screen)
    title = lines[1] if lines[0] == msg(language, "Invalid choice.") else lines[0]
    return (screen.startswith("CON ")
            and title == msg(language, "Relais - child protection")
            and options(screen)[0] == ("1", msg(language, MAIN_MENU[0].label)))


def is_language_screen(screen: str) -> bool:
    return (screen.startswith("CON ")
            and [label for _, label in options(screen)] == ["Francais", "English", "Bamanankan"])


def reports(client) -> list[Report]:
    with client.application.extensions["relais"].unit_of_work() as session:
        found = list(session.scalars(select(Report)))
        session.expunge_all()
    return found


@pytest.fixture
def seeded_urls(sqlite_url, redis_url):
    """A migrated database with a receiving organisation, locations, a supervisor and a returning number."""
    rt = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url))
    with rt.unit_of_work() as session:
        make_receiving_service(session)
        remember_language(session, RETURNING_PHONE, "fr")
    rt.close()
    return sqlite_url, redis_url


@pytest.fixture
def make_client(seeded_urls):
    """`make_client(**settings)`: a test client of the real app on the seeded database and Redis."""
    apps = []

    def _make(**overrides):
        database_url, redis_url = seeded_urls
        overrides.setdefault("REDIS_URL", redis_url)
        flask_app = create_app(make_settings(DATABASE_URL=database_url, **overrides))
        apps.append(flask_app)
        return flask_app.test_client()

    yield _make
    for flask_app in apps:
        flask_app.extensions["relais"].close()


@pytest.fixture
def client(make_client):
    return make_client()


def drop_mid_report(client, session: str = "ATUid_first", phone: str = PHONE, path=REPORT_FR,
                    upto: int = DROP_AFTER_AGE) -> list[str]:
    """A session that answers path[:upto] and is then lost; its screens."""
    screens = play_all(client, session, path[:upto], phone)
    assert all(screen.startswith("CON ") for screen in screens)
    return screens


# --- resume -------------------------------------------------------------------------------------------------------

def test_a_dropped_report_is_offered_again_and_continues_at_the_exact_question(client):
    first = drop_mid_report(client)
    # What the person chose in the first session (language, menu entry, concern, danger, sex, age).
    answered = [chosen_label(first[n], REPORT_FR[n]) for n in range(DROP_AFTER_AGE)]

    offer = dial(client, "ATUid_second")
    assert is_resume_offer(offer, "fr"), offer
    assert len(options(offer)) == 2
    for label in answered:
        assert label not in offer, (label, offer)

    resumed = dial(client, "ATUid_second", ["1"])
    assert resumed == first[-1]  # the question the first session had put when it dropped
    assert dial(client, "ATUid_second", ["1"]) == resumed  # the telco retrying the resume choice

    rest = REPORT_FR[DROP_AFTER_AGE:]
    screens = [dial(client, "ATUid_second", ["1", *rest[:n]]) for n in range(1, len(rest) + 1)]
    assert all(screen.startswith("CON ") for screen in screens[:-1])
    last = screens[-1]
    assert last.startswith("END ")
    [reference] = REFERENCE.findall(last)

    [report] = reports(client)
    assert report.reference == reference
    assert report.channel == "ussd" and report.channel_session_id == "ATUid_first"
    assert (report.concern, report.danger_now, report.child_sex, report.child_age_band) == (
        "physical_abuse", False, "female", "6_11")
    assert report.reporter_phone == PHONE and report.may_contact

    # The final step retried: the same screen, the same reference, still one report.
    assert dial(client, "ATUid_second", ["1", *rest]) == last
    assert len(reports(client)) == 1
    # Finished: nothing left to offer, and the language chosen is kept.
    assert is_main_menu(dial(client, "ATUid_third"), "fr")


def test_a_returning_number_resumes_too(client):
    first = drop_mid_report(client, phone=RETURNING_PHONE, path=REPORT, upto=5)
    assert is_main_menu(first[0], "fr")
    assert is_resume_offer(dial(client, "ATUid_second", phone=RETURNING_PHONE), "fr")
    assert dial(client, "ATUid_second", ["1"], phone=RETURNING_PHONE) == first[-1]
    last = dial(client, "ATUid_second", ["1", *REPORT[5:]], phone=RETURNING_PHONE)
    assert last.startswith("END ") and len(REFERENCE.findall(last)) == 1
    [report] = reports(client)
    assert report.channel_session_id == "ATUid_first"
    assert is_main_menu(dial(client, "ATUid_third", phone=RETURNING_PHONE), "fr")


def test_the_resumed_screens_match_a_session_that_never_dropped(client):
    first = drop_mid_report(client)
    dial(client, "ATUid_second")
    resumed = [dial(client, "ATUid_second", ["1", *REPORT_FR[DROP_AFTER_AGE:n]])
               for n in range(DROP_AFTER_AGE, len(REPORT_FR))]
    unbroken = play_all(client, "ATUid_unbroken", REPORT_FR[:-1], phone=OTHER_PHONE)
    assert first == unbroken[:DROP_AFTER_AGE + 1]
    assert resumed == unbroken[DROP_AFTER_AGE:]


def test_a_danger_now_report_resumes_after_the_emergency_screen(client):
    # Danger now: the emergency screen ("1 Continue"), then sex; dropped on the sex question.
    path = ["1", "1", "1", "1", "1"]
    first = drop_mid_report(client, path=path, upto=len(path))
    assert options(first[4]) == [("1", msg("fr", "Continue"))]
    dial(client, "ATUid_second")
    assert dial(client, "ATUid_second", ["1"]) == first[-1]
    last = dial(client, "ATUid_second", ["1", "1", "2", "1", "1", "1", "1", "1"])
    assert last.startswith("END ")
    [report] = reports(client)
    assert report.danger_now and report.urgent and report.channel_session_id == "ATUid_first"


def test_start_again_gives_the_main_menu_and_forgets_the_unfinished_report(client):
    drop_mid_report(client, phone=RETURNING_PHONE, path=REPORT, upto=5)
    assert is_resume_offer(dial(client, "ATUid_second", phone=RETURNING_PHONE), "fr")
    again = dial(client, "ATUid_second", ["2"], phone=RETURNING_PHONE)
    assert is_main_menu(again, "fr"), again
    assert dial(client, "ATUid_second", ["2"], phone=RETURNING_PHONE) == again  # retried

    # The second session drops at the main menu: the next dial is not offered the old report.
    assert is_main_menu(dial(client, "ATUid_third", phone=RETURNING_PHONE), "fr")
    # And starting again really starts: "1" in the second session opens the report's first question.
    assert dial(client, "ATUid_second", ["2", "1"], phone=RETURNING_PHONE) == play_all(
        client, "ATUid_fresh", ["1", "1"], phone=OTHER_PHONE)[-1]
    assert reports(client) == []


def test_start_again_for_a_first_time_number_opens_as_a_new_dial_does(client):
    drop_mid_report(client)
    dial(client, "ATUid_second")
    again = dial(client, "ATUid_second", ["2"])
    assert not is_resume_offer(again, "fr")
    assert is_language_screen(again) or is_main_menu(again, "fr"), again
    assert dial(client, "ATUid_third") == again


@pytest.mark.parametrize("invalid", ["5", "x", "0", "00", "98"])
def test_an_invalid_choice_on_the_offer_repeats_it_with_the_invalid_choice_line(client, invalid):
    first = drop_mid_report(client)
    offer = dial(client, "ATUid_second")
    repeated = dial(client, "ATUid_second", [invalid])
    assert repeated.startswith("CON ")
    assert lines_of(repeated)[0] == msg("fr", "Invalid choice.")
    assert lines_of(repeated)[1:] == lines_of(offer)
    # The offer still stands after the mistake.
    assert dial(client, "ATUid_second", [invalid, "1"]) == first[-1]


def test_after_the_resume_window_no_offer_but_the_main_menu(make_client):
    client = make_client(RESUME_WINDOW_SECONDS=1)
    drop_mid_report(client, phone=RETURNING_PHONE, path=REPORT, upto=5)
    assert is_resume_offer(dial(client, "ATUid_within", phone=RETURNING_PHONE), "fr")
    time.sleep(1.2)
    assert is_main_menu(dial(client, "ATUid_second", phone=RETURNING_PHONE), "fr")


@pytest.mark.parametrize("phone, path", [(PHONE, REPORT_FR), (RETURNING_PHONE, REPORT)],
                         ids=["first-time", "returning"])
@pytest.mark.parametrize("last, saved", [("1", 1), ("2", 0)], ids=["sent", "cancelled"])
def test_a_finished_or_cancelled_report_leaves_nothing_to_resume(client, phone, path, last, saved):
    screens = play_all(client, "ATUid_first", path[:-1] + [last], phone)
    assert screens[-1].startswith("END ")
    assert len(reports(client)) == saved
    assert is_main_menu(dial(client, "ATUid_second", phone=phone), "fr")


@pytest.mark.parametrize("path", [[], ["7"], ["7", "0"]], ids=["main-menu", "help", "help-and-back"])
def test_a_session_that_only_visited_the_main_menu_leaves_nothing_to_resume(client, path):
    play_all(client, "ATUid_first", path, phone=RETURNING_PHONE)
    assert is_main_menu(dial(client, "ATUid_second", phone=RETURNING_PHONE), "fr")


@pytest.mark.parametrize("path", [[], ["1"], ["1", "7"]], ids=["language-screen", "main-menu", "help"])
def test_a_first_time_session_that_never_entered_a_flow_leaves_nothing_to_resume(client, path):
    play_all(client, "ATUid_first", path)
    second = dial(client, "ATUid_second")
    assert not is_resume_offer(second, "fr")
    assert is_language_screen(second) or is_main_menu(second, "fr"), second


@pytest.mark.parametrize("away", [["00"], ["0", "0"]], ids=["home", "back-twice"])
def test_a_report_left_for_the_main_menu_is_not_offered_again(client, away):
    # Concern answered, then the person goes back to the main menu and the network drops there.
    screens = play_all(client, "ATUid_first", REPORT[:2] + away, phone=RETURNING_PHONE)
    assert is_main_menu(screens[-1], "fr")
    second = dial(client, "ATUid_second", phone=RETURNING_PHONE)
    assert is_main_menu(second, "fr"), second


def test_another_number_is_never_offered_someone_elses_unfinished_report(client):
    mine = drop_mid_report(client)
    theirs = drop_mid_report(client, session="ATUid_returning", phone=RETURNING_PHONE, path=REPORT, upto=3)
    # A number that never chose a language gets the language screen, not an offer.
    assert is_language_screen(dial(client, "ATUid_other", phone=OTHER_PHONE))
    # A number that chose one gets its main menu, where "1" is the menu's first entry, not a resume.
    with client.application.extensions["relais"].unit_of_work() as session:
        remember_language(session, THIRD_PHONE, "fr")
    assert is_main_menu(dial(client, "ATUid_third", phone=THIRD_PHONE), "fr")
    assert dial(client, "ATUid_third", ["1"], phone=THIRD_PHONE) == play_all(
        client, "ATUid_fresh", ["1", "1"], phone="+22376701433")[-1]
    # Each owner is offered, and continues, their own report.
    assert is_resume_offer(dial(client, "ATUid_returning2", phone=RETURNING_PHONE), "fr")
    assert dial(client, "ATUid_returning2", ["1"], phone=RETURNING_PHONE) == theirs[-1]
    assert is_resume_offer(dial(client, "ATUid_second"), "fr")
    assert dial(client, "ATUid_second", ["1"]) == mine[-1] != theirs[-1]
    assert reports(client) == []


def test_the_offer_is_in_the_language_of_the_unfinished_report(client):
    english = ["2", *REPORT]
    first = drop_mid_report(client, path=english)
    assert is_main_menu(first[1], "en")
    offer = dial(client, "ATUid_second")
    assert is_resume_offer(offer, "en"), offer
    assert dial(client, "ATUid_second", ["1"]) == first[-1]


# --- language remembered per number ----------------------------------------------------------------------------------

def test_a_language_chosen_in_a_finished_session_opens_the_next_session_in_it(client):
    first = play_all(client, "ATUid_first", ["2", *REPORT[:-1], "2"])  # English, a report cancelled
    assert is_language_screen(first[0]) and first[-1].startswith("END ")
    assert is_main_menu(dial(client, "ATUid_second"), "en")
    # Another number still gets the language screen.
    assert dial(client, "ATUid_other", phone=OTHER_PHONE) == first[0]


def test_a_language_chosen_is_remembered_even_when_the_session_then_drops(client):
    first = dial(client, "ATUid_first")
    assert is_main_menu(dial(client, "ATUid_first", ["2"]), "en")  # English chosen; the network drops
    assert is_main_menu(dial(client, "ATUid_second"), "en")
    assert dial(client, "ATUid_other", phone=OTHER_PHONE) == first


def test_help_language_lets_a_number_change_its_language(client):
    assert is_main_menu(dial(client, "ATUid_first", phone=RETURNING_PHONE), "fr")
    help_screen = dial(client, "ATUid_first", ["7"], phone=RETURNING_PHONE)
    assert options(help_screen) == [("1", msg("fr", "Change language"))]
    assert is_language_screen(dial(client, "ATUid_first", ["7", "1"], phone=RETURNING_PHONE))
    assert is_main_menu(dial(client, "ATUid_first", ["7", "1", "3"], phone=RETURNING_PHONE), "bm")
    # The session goes on to its end (a report cancelled) so that it does not rest on when the choice is kept.
    last = dial(client, "ATUid_first", ["7", "1", "3", *REPORT[:-1], "2"], phone=RETURNING_PHONE)
    assert last.startswith("END ")
    assert is_main_menu(dial(client, "ATUid_second", phone=RETURNING_PHONE), "bm")
    assert is_language_screen(dial(client, "ATUid_other", phone=OTHER_PHONE))


# --- expiry and outages --------------------------------------------------------------------------------------------

def _expiring_client(make_client):
    return make_client(USSD_SESSION_SECONDS=1)


def _go_on_as_a_person(client, session: str, sent: list[str], path: list[str], unbroken: list[str],
                       phone: str = PHONE, language: str = "fr") -> str:
    """Go on with a session as a person would, from the inputs sent so far, and return its last screen.

    Each screen must be one the unbroken session showed (the person answers it as path says), a resume offer
    (the person continues), or an END. An invalid-choice screen or another question means an answer was read
    against a question the person was not shown.
    """
    for _ in range(3 * len(path)):
        screen = dial(client, session, sent, phone)
        if screen.startswith("END "):
            return screen
        if is_resume_offer(screen, language):
            sent.append("1")
            continue
        assert screen in unbroken[:-1], (sent, screen)
        sent.append(path[unbroken.index(screen)])
    raise AssertionError(f"the session never ended: {sent}")


def _filed_as_meant(client, session_id: str, last: str) -> None:
    """Either a polite END with nothing filed, or one report with the answers the person gave."""
    filed = [r for r in reports(client) if r.channel_session_id == session_id]
    if last == "END " + msg("fr", POLITE):
        assert filed == []
        return
    [report] = filed
    assert REFERENCE.findall(last) == [report.reference]
    assert (report.kind, report.concern, report.danger_now, report.child_sex, report.child_age_band) == (
        "child_at_risk", "physical_abuse", False, "female", "6_11")
    assert report.location_id is not None


def test_an_expired_session_record_mid_session_still_gets_a_con_or_a_polite_end(make_client):
    client = _expiring_client(make_client)
    play_all(client, "ATUid_first", REPORT_FR[:3])
    time.sleep(1.2)
    after = dial(client, "ATUid_first", REPORT_FR[:4])  # 200, text/plain, CON or END (checked by dial)
    assert "Traceback" not in after


@pytest.mark.parametrize("phone, path", [(PHONE, REPORT_FR), (RETURNING_PHONE, REPORT)],
                         ids=["first-time", "returning"])
def test_an_expired_session_record_never_files_answers_under_other_questions(make_client, phone, path):
    """After the record expires, each answer still goes to the question the person saw."""
    reference_phone = OTHER_PHONE if phone == PHONE else "+22376701441"
    if phone == RETURNING_PHONE:
        with make_client().application.extensions["relais"].unit_of_work() as session:
            remember_language(session, reference_phone, "fr")
    unbroken = play_all(make_client(), "ATUid_reference", path, phone=reference_phone)
    client = _expiring_client(make_client)
    assert play_all(client, "ATUid_first", path[:3], phone) == unbroken[:4]
    time.sleep(1.2)
    last = _go_on_as_a_person(client, "ATUid_first", path[:4], path, unbroken, phone)
    _filed_as_meant(client, "ATUid_first", last)


def test_an_expired_record_of_a_resumed_session_never_files_answers_under_other_questions(make_client):
    unbroken = play_all(make_client(), "ATUid_reference", REPORT_FR, phone=OTHER_PHONE)
    client = _expiring_client(make_client)
    drop_mid_report(client)
    time.sleep(1.2)  # the first session's record is gone; the unfinished report is kept for the resume window
    dial(client, "ATUid_second")
    assert dial(client, "ATUid_second", ["1"]) == unbroken[DROP_AFTER_AGE]
    time.sleep(1.2)  # now the second session's record expires too
    last = _go_on_as_a_person(client, "ATUid_second", ["1", REPORT_FR[DROP_AFTER_AGE]], REPORT_FR, unbroken)
    _filed_as_meant(client, "ATUid_first", last)
    assert [r for r in reports(client) if r.channel_session_id == "ATUid_second"] == []


@pytest.mark.parametrize("upto", [0, 1, 5, len(REPORT_FR)], ids=["dial", "language", "mid", "last"])
def test_redis_down_the_webhook_answers_never_a_500(make_client, upto):
    """Without Redis each step still answers 200: the screen an unbroken session shows, or a polite END."""
    unbroken = play_all(make_client(), "ATUid_reference", REPORT_FR, phone=OTHER_PHONE)
    client = make_client(REDIS_URL="redis://127.0.0.1:1/0")
    response = client.post(URL, data=at_body("*".join(REPORT_FR[:upto]), "ATUid_down"), content_type=FORM)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    if body.startswith("END ") and upto < len(REPORT_FR):
        assert body == "END " + msg("fr", POLITE)
    elif upto < len(REPORT_FR):
        assert body == unbroken[upto]
    else:
        assert body == "END " + msg("fr", POLITE) or len(REFERENCE.findall(body)) == 1, body


# --- end-of-session notifications (AT) feed resume -------------------------------------------------------

EVENTS = "/webhooks/africastalking/ussd-events"


def end_notice(client, session: str, status: str, inputs: list[str], phone: str = PHONE):
    body = urlencode({"date": "2026-11-23 01:00:00", "sessionId": session, "serviceCode": "*384*1234#",
                      "networkCode": "99999", "phoneNumber": phone, "status": status, "cost": "XOF 10",
                      "durationInMillis": "60000", "hopsCount": str(len(inputs) + 1), "input": "*".join(inputs),
                      "lastAppResponse": "CON ...", "errorMessage": ""})
    response = client.post(EVENTS, data=body, content_type="application/x-www-form-urlencoded")
    assert response.get_data(as_text=True) == "OK"


def forget_pointers(redis_url: str) -> int:
    """Lose every number's unfinished pointer, as a write lost during a Redis hiccup would."""
    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter("relais:dialog:menu-unfinished:*"))
    return connection.delete(*keys) if keys else 0


def test_an_incomplete_notice_keeps_the_offer(client):
    drop_mid_report(client)
    end_notice(client, "ATUid_first", "Incomplete", REPORT_FR[:DROP_AFTER_AGE])
    assert is_resume_offer(dial(client, "ATUid_second"), "fr")


def test_a_completed_notice_leaves_nothing_to_offer(client):
    drop_mid_report(client)
    end_notice(client, "ATUid_first", "Success", REPORT_FR[:DROP_AFTER_AGE])
    assert is_main_menu(dial(client, "ATUid_second"), "fr")  # the language chosen is kept, nothing offered


def test_a_lost_pointer_is_restored_from_the_notice(client, seeded_urls):
    first = drop_mid_report(client)
    assert forget_pointers(seeded_urls[1]) == 1
    end_notice(client, "ATUid_first", "Incomplete", REPORT_FR[:DROP_AFTER_AGE])
    assert is_resume_offer(dial(client, "ATUid_second"), "fr")
    assert dial(client, "ATUid_second", ["1"]) == first[-1]


def test_a_notice_for_an_older_session_does_not_undo_a_later_pointer(client):
    drop_mid_report(client, session="ATUid_old", upto=3)
    drop_mid_report(client, session="ATUid_new")
    end_notice(client, "ATUid_old", "Success", REPORT_FR[:3])
    assert is_resume_offer(dial(client, "ATUid_third"), "fr")
