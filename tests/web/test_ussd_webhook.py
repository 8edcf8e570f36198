"""Africa's Talking USSD webhook, driven by raw form bodies exactly as AT posts them (providers §1)."""
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from app import create_app
from bootstrap import bootstrap
from casecore.i18n import gettext_for
from casecore.reports.models import Report
from channels.text import to_ascii
from dialogs.community import MAIN_MENU, main_menu_token
from tests.conftest import make_settings
from tests.factories import make_locations, make_organisation, make_receiving_service, make_user
from tests.queues import queued_job_ids

URL = "/webhooks/africastalking/ussd"
MAIN_LABELS = [option.label for option in MAIN_MENU]
UNAVAILABLE = "Sorry, the service is not available right now. Please try again later."
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")
FORM = "application/x-www-form-urlencoded"


def at_body(text="", session="ATUid_abc123", phone="%2B22376701430", extra=""):
    """The body AT sends: `+` as %2B, `*` as %2A, text joined with `*`."""
    body = f"sessionId={session}&serviceCode=%2A384%2A1234%23&phoneNumber={phone}&networkCode=99999"
    body += f"&text={quote(text, safe='')}"
    return body + extra


@pytest.fixture
def seeded(runtime):
    with runtime.unit_of_work() as session:
        make_receiving_service(session)
    return runtime


@pytest.fixture
def client(seeded):
    return create_app().test_client()


def post(client, body, query=""):
    return client.post(URL + query, data=body, content_type=FORM)


def play(client, path, session="ATUid_abc123") -> str:
    """Post every step of a session as AT does (from the dial to the whole path) and return the last screen."""
    for n in range(len(path) + 1):
        screen = post(client, at_body("*".join(path[:n]), session=session)).get_data(as_text=True)
    return screen


# Full path to the last screen: French, report, concern, danger now (yes), continue past the emergency numbers,
# sex, age, region, commune, consent, call, send.
FULL_PATH_FR = ["1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "1"]
fr, en = gettext_for("fr"), gettext_for("en")
# The line under every last screen; at_body's dialled code is too long to be named in it.
HINT = fr("Complaint: menu option %(option)s") % {"option": main_menu_token("complaint")}


def con(msgid: str, _=fr) -> str:
    """The start of a screen showing msgid, as USSD shows it."""
    return "CON " + to_ascii(_(msgid))


@pytest.mark.parametrize("body, status, starts", [
    (at_body(""), 200, "CON Langue / Language\n1 Francais\n2 English"),
    (at_body("1"), 200, con("Relais - child protection") + "\n1 " + to_ascii(fr("Report a child at risk"))),
    (at_body("2"), 200, con("Relais - child protection", en) + "\n1 " + to_ascii(en("Report a child at risk"))),
    (at_body("2*1"), 200, con("What is happening?", en)),
    (at_body("1*1*1"), 200, con("Is the child in danger right now?")),
    (at_body("abc"), 200, con("Invalid choice.")),
    (at_body("1*%%%*!!"), 200, con("Invalid choice.")),
    (at_body("1*\u00e9\u00e8\u4e2d\U0001f600"), 200, con("Invalid choice.")),
    (at_body("1**"), 200, con("Invalid choice.")),
    (at_body("*".join(["9"] * 101)), 200, "END " + to_ascii(fr("This session is too long and was closed. Please "
                                                               "dial again."))),
    ("serviceCode=%2A384%23&phoneNumber=%2B22376701430&text=", 400, "END Invalid request: missing sessionId"),
    ("sessionId=ATUid_1&serviceCode=%2A384%23&text=", 400, "END Invalid request: missing phoneNumber"),
    ("sessionId=ATUid_1&phoneNumber=%2B22376701430", 400, "END Invalid request: missing text"),
    ("", 400, "END Invalid request: missing sessionId"),
    (at_body("", extra="&unknownField=1&another=x"), 200, "CON Langue / Language"),
])
def test_raw_payloads(client, body, status, starts):
    post(client, at_body(""))  # the session's first request, as AT always sends one
    response = post(client, body)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(starts)


def test_a_session_too_long_ends_in_the_language_its_number_chose(client):
    post(client, at_body("", session="ATUid_en"))
    post(client, at_body("2", session="ATUid_en"))  # English, remembered for the number
    response = post(client, at_body("*".join(["2"] + ["9"] * 100), session="ATUid_en"))
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "END " + to_ascii(en("This session is too long and was closed. Please dial again."))
    assert lines[1] == to_ascii(en("Complaint: menu option %(option)s") % {"option": main_menu_token("complaint")})


def test_json_instead_of_a_form_is_refused_with_a_reason(client):
    response = client.post(URL, json={"sessionId": "x"})
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("END Invalid request")


def test_a_step_sent_in_chunks_is_answered_like_any_other(client):
    # No Content-Length: the raw route leaves it to the Flask view, which reads the chunked body.
    post(client, at_body(""))
    environ = EnvironBuilder(path=URL, method="POST", data=at_body("1"), content_type=FORM).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    status = []
    answer = b"".join(client.application(environ, lambda line, headers: status.append(line)))
    assert status == ["200 OK"]
    assert answer.decode() == post(client, at_body("1")).get_data(as_text=True)
    assert answer.decode().startswith(con("Relais - child protection"))


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize("query, status", [("", 403), ("?token=wrong", 403), ("?token=s3cret", 200),
                                           ("?token=s3cret%00", 403)])
def test_token_is_required_when_configured(seeded, query, status):
    client = create_app(make_settings(DATABASE_URL=seeded.settings.DATABASE_URL,
                                      REDIS_URL=seeded.settings.REDIS_URL, AT_WEBHOOK_TOKEN="s3cret")).test_client()
    assert post(client, at_body(""), query).status_code == status


def test_outside_development_the_web_process_does_not_start_with_open_africas_talking_webhooks(seeded):
    urls = dict(DATABASE_URL=seeded.settings.DATABASE_URL, REDIS_URL=seeded.settings.REDIS_URL)
    with pytest.raises(ValueError, match="AT_WEBHOOK_TOKEN is not set"):
        create_app(make_settings(**urls, DEVELOPMENT=False))
    app = create_app(make_settings(**urls, DEVELOPMENT=False, AT_WEBHOOK_TOKEN="s3cret"))
    try:
        assert post(app.test_client(), at_body(""), "?token=s3cret").status_code == 200
    finally:
        app.extensions["relais"].close()


def test_a_session_first_seen_with_inputs_starts_at_the_first_screen(client):
    # A dial string with extra digits, or a session whose record was lost: its inputs were meant for a first
    # screen this request cannot know, so none is filed under a question it did not answer.
    first_seen = post(client, at_body("1*1*1", session="ATUid_new")).get_data(as_text=True)
    assert first_seen == post(client, at_body("", session="ATUid_other")).get_data(as_text=True)
    assert first_seen.startswith("CON Langue / Language")
    assert post(client, at_body("1*1*1*1", session="ATUid_new")).get_data(as_text=True) == con(
        "Relais - child protection") + "\n" + "\n".join(
        f"{n} {to_ascii(fr(label))}" for n, label in enumerate(MAIN_LABELS, start=1)) + "\n0 " + to_ascii(fr("Back"))


def test_a_whole_session_stores_one_report_and_enqueues_its_alert(client, seeded):
    screens = [post(client, at_body("*".join(FULL_PATH_FR[:n]))).get_data(as_text=True)
               for n in range(len(FULL_PATH_FR) + 1)]
    assert all(s.startswith("CON ") for s in screens[:-1])
    last = screens[-1]
    assert last.startswith("END " + to_ascii(fr("Thank you. Reference: %(reference)s").split("%")[0]))
    with seeded.unit_of_work() as session:
        report = session.scalars(select(Report)).one()
        location_level = report.location.level
    assert report.reference in last
    assert report.reporter_phone == "+22376701430"
    assert report.urgent and report.danger_now
    assert (report.concern, report.child_sex, report.child_age_band) == ("physical_abuse", "female", "6_11")
    assert report.channel == "ussd" and report.channel_session_id == "ATUid_abc123"
    assert location_level == 3
    assert f"report-alert-{report.id}" in queued_job_ids(seeded.queue)


def test_a_retried_last_step_gives_the_same_reference_and_one_report(client, seeded):
    first = play(client, FULL_PATH_FR, session="ATUid_retry")
    second = post(client, at_body("*".join(FULL_PATH_FR), session="ATUid_retry")).get_data(as_text=True)
    assert first == second
    with seeded.unit_of_work() as session:
        assert session.scalar(select(func.count(Report.id))) == 1


def test_no_consent_keeps_the_report_but_not_the_number(client, seeded):
    path = FULL_PATH_FR[:-3] + ["2", "1"]  # no consent: no call question
    last = play(client, path)
    assert to_ascii(fr("Your number is not given to the workers.")) in last
    with seeded.unit_of_work() as session:
        report = session.scalars(select(Report)).one()
    assert report.reporter_phone is None and not report.consent_to_share and not report.may_contact


def test_the_last_screen_names_the_code_dialled_and_the_complaint_option(client):
    path = FULL_PATH_FR[:-1] + ["2"]  # cancelled
    for n in range(len(path) + 1):
        body = at_body("*".join(path[:n]), session="ATUid_code").replace("%2A384%2A1234%23", "%2A384%23")
        last = post(client, body).get_data(as_text=True)
    assert last.endswith("\nPlainte : *384#, option 5"), last


def test_cancel_saves_nothing(client, seeded):
    last = play(client, FULL_PATH_FR[:-1] + ["2"])
    assert last == "END " + to_ascii(fr("Report cancelled. Nothing was saved.") + "\n" + HINT)
    with seeded.unit_of_work() as session:
        assert session.scalar(select(func.count(Report.id))) == 0


def test_an_unexpected_error_still_answers_a_polite_end(tmp_path, redis_url):
    # A database without the schema: every query fails, as when the database is broken.
    broken = make_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}", REDIS_URL=redis_url)
    client = create_app(broken).test_client()
    response = post(client, at_body("1*1*1*1*1*2*1"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "END " + to_ascii(fr(UNAVAILABLE) + "\n" + HINT)
    bootstrap().close()


def test_redis_down_still_stores_the_report_and_answers(sqlite_url, redis_url):
    dead_redis = "redis://127.0.0.1:1/0"
    rt = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=dead_redis))
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        make_locations(session)
        make_user(session, org)
    client = create_app().test_client()
    last = play(client, FULL_PATH_FR)
    assert REFERENCE.search(last) and last.startswith("END ")
    with rt.unit_of_work() as session:
        report = session.scalars(select(Report)).one()
        assert report.alerted_at is None  # the scheduler's sweep will alert
    rt.close()


def test_without_a_receiving_organisation_the_first_screen_says_the_service_is_unavailable(runtime):
    client = create_app().test_client()
    response = post(client, at_body(""))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "END " + to_ascii(fr(UNAVAILABLE) + "\n" + HINT)


def test_a_body_over_the_size_limit_is_refused_with_413(client):
    response = post(client, at_body("1" + "*1" * 40_000))
    assert response.status_code == 413


def test_a_repeated_field_and_an_invalid_utf8_byte_still_get_an_answer(client):
    post(client, at_body(""))
    response = post(client, at_body("1", extra="&text=2&ProfileName=%FF"))
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith(con("Relais - child protection", en))
