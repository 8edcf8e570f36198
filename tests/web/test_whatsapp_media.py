"""WhatsApp photos and files, from Twilio's raw payload to the checked file in the media store.

webhook (MediaUrl{N} recorded with the message) -> RQ: the dialogue answers, then one job per item downloads it
from the fake Twilio (Basic auth, a 302 to a storage host on another port), checks size and type, keeps it, and
the item is attached to the family's case or the number's report.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update
from twilio.request_validator import RequestValidator

from app import create_app
from casecore import sealing
from casecore.base import utcnow
from casecore.cases.models import Case, CaseEvent
from casecore.i18n import gettext_for
from casecore.messaging.media import MAX_ATTEMPTS
from casecore.messaging.models import InboundMedia, InboundMessage
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_case, make_organisation, make_receiving_service, make_report
from tests.fakes.twilio import DEFAULT_SID, MEDIA_CONTENT_PATH, FakeMediaHost, FakeTwilio, MediaAnswer
from tests.queues import drain, work_once
from workers import scheduler
from workers.queueing import enqueue_report_alert, media_job_id

FORM = "application/x-www-form-urlencoded"
TOKEN = "twilio-token"
PUBLIC = "https://relais.example"
PHONE = "+22376701430"
MAX_BYTES = 100_000
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")
fr, en = gettext_for("fr"), gettext_for("en")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + b" " * 500
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


@pytest.fixture
def providers():
    with FakeMediaHost() as storage, FakeTwilio(auth_token=TOKEN, media_host=storage) as twilio:
        yield twilio, storage


def _settings(sqlite_url, redis_url, twilio, media_dir, **overrides):
    return make_settings(**{
        "DATABASE_URL": sqlite_url, "REDIS_URL": redis_url, "SMS_BACKEND": "twilio", "TWILIO_API_URL": twilio.url,
        "TWILIO_ACCOUNT_SID": DEFAULT_SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_CONTENT_API_URL": twilio.url,
        "TWILIO_QUICK_REPLIES": False, "PUBLIC_BASE_URL": PUBLIC, "PROVIDER_TIMEOUT": 1.0,
        "MEDIA_DIR": str(media_dir), "MEDIA_MAX_BYTES": MAX_BYTES, **overrides,
    })


@pytest.fixture
def media_dir(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def app(sqlite_url, redis_url, providers, media_dir):
    twilio, _storage = providers
    flask_app = create_app(_settings(sqlite_url, redis_url, twilio, media_dir))
    runtime = flask_app.extensions["relais"]
    with runtime.unit_of_work() as session:
        make_receiving_service(session)
    yield flask_app
    runtime.close()


class WhatsApp:
    """A person's WhatsApp: post() sends what Twilio would, with photos or files; replies() what they read."""

    def __init__(self, app, twilio, number: str = PHONE):
        self.app, self.client, self.twilio, self.number = app, app.test_client(), twilio, number
        self.seen = self.sent = 0

    def post(self, body: str = "", media: tuple[tuple[str, str], ...] = (), **extra: str):
        self.sent += 1
        form = {"SmsMessageSid": f"SM{self.sent:032d}", "NumMedia": str(len(media)), "ProfileName": "Awa",
                "MessageType": "image" if media else "text", "SmsSid": f"SM{self.sent:032d}-{time.monotonic_ns()}",
                "WaId": self.number.lstrip("+"), "SmsStatus": "received", "Body": body,
                "To": "whatsapp:+14155238886", "NumSegments": "1", "ReferralNumMedia": "0",
                "MessageSid": f"MM{self.sent:08d}{time.monotonic_ns()}", "AccountSid": DEFAULT_SID,
                "From": f"whatsapp:{self.number}", "ApiVersion": "2010-04-01"}
        for n, (url, content_type) in enumerate(media):
            form[f"MediaContentType{n}"] = content_type
            form[f"MediaUrl{n}"] = url
        form.update(extra)
        path = "/webhooks/twilio/messages"
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
        return self.client.post(path, data=urlencode(form), content_type=FORM,
                                headers={"X-Twilio-Signature": signature})

    def send(self, body: str = "", media: tuple[tuple[str, str], ...] = (), **extra: str) -> list[str]:
        response = self.post(body, media, **extra)
        assert response.status_code == 200, response.get_data(as_text=True)
        drain(self.app.extensions["relais"].queue)
        return self.replies()

    def replies(self) -> list[str]:
        mine = [r for r in self.twilio.requests if r["form"].get("To") == f"whatsapp:{self.number}"]
        new, self.seen = mine[self.seen:], len(mine)
        return [r["text"] for r in new]


@pytest.fixture
def whatsapp(app, providers):
    return WhatsApp(app, providers[0])


def rt(app):
    return app.extensions["relais"]


def items(app) -> list[InboundMedia]:
    with rt(app).unit_of_work() as session:
        return list(session.scalars(select(InboundMedia).order_by(InboundMedia.created_at, InboundMedia.position)))


def stored_files(media_dir: Path) -> list[Path]:
    return [p for p in media_dir.rglob("*") if p.is_file()] if media_dir.exists() else []


# -- download, size and type ------------------------------------------------------------------------------------

JPEG = MediaAnswer.jpeg(4096)


@pytest.mark.parametrize("answer, declared, status, reason, stored_type", [
    (JPEG, "image/jpeg", "stored", None, "image/jpeg"),
    (MediaAnswer.file(PNG, "image/png"), "image/png", "stored", None, "image/png"),
    (MediaAnswer.file(PDF, "application/pdf"), "application/pdf", "stored", None, "application/pdf"),
    (MediaAnswer.file(b"OggS\x00\x02" + b"\x00" * 300, "audio/ogg"), "audio/ogg; codecs=opus", "stored", None,
     "audio/ogg"),
    # Declared a photo, served a web page with a script: never kept.
    (MediaAnswer.file(HTML, "image/jpeg"), "image/jpeg", "refused", "type_mismatch", None),
    (MediaAnswer.file(b"GIF89a" + b"\x00" * 100, "image/gif"), "image/gif", "refused", "type_not_allowed", None),
    (MediaAnswer.file(b"BEGIN:VCARD\r\n", "text/vcard"), "text/vcard", "refused", "type_not_allowed", None),
    (MediaAnswer.jpeg(MAX_BYTES + 1), "image/jpeg", "refused", "too_big", None),
    (MediaAnswer.jpeg(3 * MAX_BYTES, content_length=False), "image/jpeg", "refused", "too_big", None),
    (MediaAnswer.file(b"", "image/jpeg"), "image/jpeg", "refused", "empty", None),
    (MediaAnswer.status(401), "image/jpeg", "failed", "unauthorized", None),
    (MediaAnswer.status(404), "image/jpeg", "failed", "not_found", None),
])
def test_each_item_is_downloaded_checked_and_kept_or_refused(whatsapp, app, providers, media_dir, answer,
                                                              declared, status, reason, stored_type):
    twilio, storage = providers
    whatsapp.send("", media=((twilio.add_media(answer), declared),))
    [item] = items(app)
    assert (item.status, item.reason, item.stored_type) == (status, reason, stored_type)
    files = stored_files(media_dir)
    if status != "stored":
        assert files == [] and item.storage_key is None
        if reason == "type_not_allowed":
            assert twilio.media_requests == []  # a type we do not take is not even fetched
        return
    [path] = files
    # Sealed on disk (casecore.sealing); the store gives the file back as received.
    assert answer.body not in path.read_bytes() and path.name == item.storage_key
    assert sealing.keyring().open_bytes(path.read_bytes()) == answer.body
    assert (item.size, item.sha256) == (len(answer.body), hashlib.sha256(answer.body).hexdigest())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The account's Basic auth went to the Twilio API, and did not follow the redirect to the storage host.
    [api_request] = twilio.media_requests
    assert api_request["http_status"] == 302 and api_request["authorization"].startswith("Basic ")
    [download] = storage.requests
    assert download["authorization"] is None and download["http_status"] == 200


def test_the_redirect_may_stay_on_the_same_host(sqlite_url, redis_url, media_dir):
    with FakeTwilio(auth_token=TOKEN) as twilio:
        flask_app = create_app(_settings(sqlite_url, redis_url, twilio, media_dir))
        with rt(flask_app).unit_of_work() as session:
            make_organisation(session)
        WhatsApp(flask_app, twilio).send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
        rt(flask_app).close()
    [item] = items(flask_app)
    assert item.status == "stored"
    assert [r["http_status"] for r in twilio.media_requests] == [302, 200]


def test_the_auth_token_is_never_sent_to_a_host_that_is_not_the_twilio_api(whatsapp, app, providers):
    twilio, storage = providers
    elsewhere = f"{storage.base_url}{MEDIA_CONTENT_PATH}{storage._put_media_blob(JPEG)}"
    whatsapp.send("", media=((elsewhere, "image/jpeg"),))
    [item] = items(app)
    assert item.status == "stored"
    assert twilio.media_requests == [] and [r["authorization"] for r in storage.requests] == [None]


def test_files_are_fetched_only_from_the_twilio_api_host_and_the_media_hosts_named(sqlite_url, redis_url,
                                                                                     media_dir):
    # The storage host the redirect leads to is not among MEDIA_HOSTS: the file is not fetched from it.
    with FakeMediaHost(host="localhost") as storage, FakeTwilio(auth_token=TOKEN, media_host=storage) as twilio:
        flask_app = create_app(_settings(sqlite_url, redis_url, twilio, media_dir))
        with rt(flask_app).unit_of_work() as session:
            make_organisation(session)
        phone = WhatsApp(flask_app, twilio)
        phone.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
        # Nor from a MediaUrl on another host (a forged request, had it been signed).
        phone.send("", media=((f"http://localhost:{twilio.port}/2010-04-01/x.jpg", "image/jpeg"),))
        rt(flask_app).close()
    assert [(item.status, item.reason) for item in items(flask_app)] == [
        ("failed", "host_not_allowed"), ("failed", "host_not_allowed")]
    assert [r["http_status"] for r in twilio.media_requests] == [302] and storage.requests == []


def test_outside_development_no_file_is_fetched_from_an_internal_address(sqlite_url, redis_url, providers,
                                                                          media_dir):
    twilio, storage = providers
    # The fakes listen on 127.0.0.1: a production deployment would not fetch from them.
    flask_app = create_app(_settings(sqlite_url, redis_url, twilio, media_dir, DEVELOPMENT=False,
                                     AT_WEBHOOK_TOKEN="at-token"))
    try:
        with rt(flask_app).unit_of_work() as session:
            make_organisation(session)
        WhatsApp(flask_app, twilio).send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    finally:
        rt(flask_app).close()
    assert [(item.status, item.reason) for item in items(flask_app)] == [("failed", "internal_address")]
    assert twilio.media_requests == [] and storage.requests == []


def test_wrong_credentials_fail_the_item_without_retrying(sqlite_url, redis_url, providers, media_dir):
    twilio, _ = providers
    flask_app = create_app(_settings(sqlite_url, redis_url, twilio, media_dir, TWILIO_ACCOUNT_SID="AC" + "9" * 32))
    with rt(flask_app).unit_of_work() as session:
        make_organisation(session)
    phone = WhatsApp(flask_app, twilio)
    # Signed with the token the fake knows; only the media download uses the (wrong) account.
    phone.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    [item] = items(flask_app)
    assert (item.status, item.reason, item.attempts) == ("failed", "unauthorized", 1)
    assert [r["http_status"] for r in twilio.media_requests] == [401]
    rt(flask_app).close()


def test_a_server_error_is_retried_and_the_file_stored_once(whatsapp, app, providers, media_dir):
    twilio, _ = providers
    url = twilio.add_media(MediaAnswer.status(500), MediaAnswer.status(429), JPEG)
    whatsapp.send("", media=((url, "image/jpeg"),))
    [item] = items(app)
    assert (item.status, item.attempts) == ("stored", 3)
    assert [r["http_status"] for r in twilio.media_requests] == [500, 429, 302]
    assert len(stored_files(media_dir)) == 1


def test_a_timeout_leaves_the_item_pending_for_a_retry(whatsapp, app, providers, media_dir):
    twilio, _ = providers
    url = twilio.add_media(MediaAnswer.jpeg(4096, delay=5), JPEG)
    assert whatsapp.post("", media=((url, "image/jpeg"),)).status_code == 200
    queue = rt(app).queue
    work_once(queue)  # the message is answered and the download job runs once, timing out
    work_once(queue)
    [item] = items(app)
    assert (item.status, item.reason, item.attempts) == ("pending", "timeout", 1)
    assert media_job_id(item.id) in queue.scheduled_job_registry.get_job_ids()  # RQ tries again later
    drain(queue)
    [item] = items(app)
    assert (item.status, item.attempts) == ("stored", 2) and len(stored_files(media_dir)) == 1


def test_the_scheduler_fetches_pending_items_again_and_gives_up_after_the_last_attempt(whatsapp, app, providers):
    twilio, _ = providers
    runtime = rt(app)
    url = twilio.add_media(MediaAnswer.status(503))
    assert whatsapp.post("", media=((url, "image/jpeg"),)).status_code == 200
    work_once(runtime.queue)  # the message only; its media jobs...
    runtime.queue.empty()  # ...are lost with Redis
    [item] = items(app)
    assert item.status == "pending"
    later = utcnow() + timedelta(minutes=5)
    assert scheduler.run_once(runtime, now=later) >= 1
    drain(runtime.queue)  # RQ's own retries, then the sweeps, until the attempts run out
    while items(app)[0].status == "pending":
        scheduler.run_once(runtime, now=later)
        drain(runtime.queue)
    [item] = items(app)
    assert (item.status, item.reason, item.attempts) == ("failed", "gave_up:http_503", MAX_ATTEMPTS)
    assert len(twilio.media_requests) == MAX_ATTEMPTS


def test_garbled_media_entries_are_skipped_and_the_message_is_kept(whatsapp, app, providers):
    twilio, _ = providers
    good = twilio.add_media(JPEG)
    replies = whatsapp.send("MENU", media=(("javascript:alert(1)", "image/jpeg"), (good, "image/jpeg"),
                                           ("not a url", "image/png")))
    assert replies  # the text is answered
    assert [(i.position, i.status, i.source_url) for i in items(app)] == [(0, "stored", good)]


def test_the_same_message_delivered_twice_records_its_media_once(whatsapp, app, providers):
    twilio, _ = providers
    url = twilio.add_media(JPEG)
    for _ in range(2):
        whatsapp.send("", media=((url, "image/jpeg"),), MessageSid="MM" + "7" * 32)
    assert len(items(app)) == 1 and len(twilio.media_requests) == 1


# -- the answer -------------------------------------------------------------------------------------------------

def test_a_photo_alone_is_acknowledged_not_taken_for_a_menu_choice(whatsapp, providers):
    twilio, _ = providers
    [reply] = whatsapp.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    assert reply == f"{fr('Thank you, your photo was received.')}\n{fr('Send MENU to see what Relais can do.')}"
    assert fr("Invalid choice.") not in reply


def test_a_photo_in_the_middle_of_a_report_is_thanked_and_the_question_asked_again(whatsapp, providers, app):
    twilio, _ = providers
    whatsapp.send("REPORT")
    [question] = whatsapp.send("9")  # not a choice: the next screen carries "Invalid choice."
    assert question.startswith(en("Invalid choice."))
    files = ((twilio.add_media(JPEG), "image/jpeg"), (twilio.add_media(MediaAnswer.file(PDF, "application/pdf")),
                                                      "application/pdf"))
    [reply] = whatsapp.send("", media=files)
    lines = reply.split("\n")
    assert lines[0] == en("Thank you, your files were received.")
    assert lines[1] == en("What is happening?") and en("Invalid choice.") not in reply
    [danger] = whatsapp.send("4")  # the dialogue goes on where it was
    assert en("Is the child in danger right now?") in danger


def test_a_photo_with_a_caption_answers_the_question_with_its_caption(whatsapp, providers):
    twilio, _ = providers
    [menu] = whatsapp.send("", media=((twilio.add_media(JPEG), "image/jpeg"),), Body="SIGNALER")
    assert fr("What is happening?") in menu


# -- what it is attached to --------------------------------------------------------------------------------------

def test_a_linked_familys_photo_goes_to_its_case_timeline(whatsapp, app, providers):
    twilio, _ = providers
    with rt(app).unit_of_work() as session:
        case_id = make_case(session, contact_phones=(PHONE,)).id
    whatsapp.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    [item] = items(app)
    assert (item.case_id, item.report_id, item.status) == (case_id, None, "stored")
    with rt(app).unit_of_work() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == "family_media")).one()
    assert (event.case_id, event.channel, event.body) == (case_id, "whatsapp", "media received: image/jpeg")
    # Listed with the case's documents, and served from there to whoever may see the case.
    from casecore.cases.documents import documents_of, file_for_download
    from casecore.people.models import Organisation
    from tests.factories import as_staff, make_user
    with rt(app).unit_of_work() as session:
        case = session.get(Case, case_id)
        worker = make_user(session, session.get(Organisation, case.organisation_id), role="caseworker")
        case.assigned_to_id = worker.id
        viewer = as_staff(worker)
    with rt(app).unit_of_work() as session:
        [listed] = documents_of(session, case_id)
        stored = file_for_download(session, viewer, case_id, "family", listed.id)
    assert (listed.source, listed.content_type) == ("family", "image/jpeg")
    assert rt(app).media_store.get(stored.storage_key) == JPEG.body


def test_a_photo_after_a_report_goes_with_that_report(whatsapp, app, providers):
    twilio, _ = providers
    runtime = rt(app)
    with runtime.unit_of_work() as session:
        older = make_report(session, reporter_key=runtime.phone_key(PHONE))
        session.execute(update(Report).where(Report.id == older.id).values(received_at=utcnow() - timedelta(hours=2)))
        newest = make_report(session, reporter_key=runtime.phone_key(PHONE))
        make_report(session, reporter_key=runtime.phone_key("+22376709999"))  # another number's
    whatsapp.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    assert [i.report_id for i in items(app)] == [newest.id]


def test_a_report_older_than_the_window_gets_nothing(whatsapp, app, providers):
    twilio, _ = providers
    runtime = rt(app)
    with runtime.unit_of_work() as session:
        old = make_report(session, reporter_key=runtime.phone_key(PHONE))
        session.execute(update(Report).where(Report.id == old.id).values(received_at=utcnow() - timedelta(hours=25)))
    whatsapp.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    [item] = items(app)
    assert (item.report_id, item.case_id, item.status) == (None, None, "stored")


def test_photos_sent_before_a_whatsapp_report_go_with_it_once_it_is_made(whatsapp, app, providers):
    twilio, _ = providers
    whatsapp.send("REPORT")
    for answer in ["4", "2", "1", "3", "1", "1"]:  # child marriage, no danger, girl, 12-17, Bamako, Commune I
        whatsapp.send(answer)
    [reply] = whatsapp.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    assert en("In a few words, what is happening? (optional)") in reply
    assert items(app)[0].report_id is None  # no report yet: kept, unattached
    for answer in ["She is 14", "1", "1"]:  # description, consent, may call
        whatsapp.send(answer)
    [done] = whatsapp.send("1")  # send
    with rt(app).unit_of_work() as session:
        report = session.scalars(select(Report)).one()
    assert report.reference in done
    assert [(i.report_id, i.status) for i in items(app)] == [(report.id, "stored")]


def test_a_photo_sent_before_a_ussd_report_goes_with_it_when_its_alert_runs(whatsapp, app, providers):
    twilio, _ = providers
    runtime = rt(app)
    whatsapp.send("", media=((twilio.add_media(JPEG), "image/jpeg"),))
    assert items(app)[0].report_id is None
    with runtime.unit_of_work() as session:
        report = make_report(session, reporter_key=runtime.phone_key(PHONE))  # channel ussd
    enqueue_report_alert(runtime.queue, report.id)
    drain(runtime.queue)
    assert items(app)[0].report_id == report.id


def test_nothing_of_the_url_or_the_number_is_logged(whatsapp, providers, caplog):
    twilio, _ = providers
    url = twilio.add_media(MediaAnswer.status(404))
    with caplog.at_level("INFO"):  # what the processes log (bootstrap.configure_logging); urllib3's DEBUG has paths
        whatsapp.send("", media=((url, "image/jpeg"),))
    logged = caplog.text
    assert url.rsplit("/", 1)[-1] not in logged and DEFAULT_SID not in logged and "76701430" not in logged


def test_inbox_rows_and_items_are_written_together(whatsapp, app, providers):
    twilio, _ = providers
    response = whatsapp.post("", media=((twilio.add_media(JPEG), "image/jpeg"),) * 2)
    assert response.status_code == 200  # before any worker ran: both items are already recorded
    with rt(app).unit_of_work() as session:
        message = session.scalars(select(InboundMessage)).one()
        assert message.body == ""
    assert [(i.inbound_message_id, i.position, i.status) for i in items(app)] == [
        (message.id, 0, "pending"), (message.id, 1, "pending")]
    assert all(len(i.sender_key) == 32 for i in items(app))
    assert not os.path.exists(rt(app).settings.MEDIA_DIR) or stored_files(Path(rt(app).settings.MEDIA_DIR)) == []
