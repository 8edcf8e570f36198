"""The report page's photos and files: listed for whoever sees the report, downloaded by them only, audited."""
from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from casecore.audit import AuditEvent
from casecore.cases.media import attach_waiting_media
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.media import MediaDraft, StoredFile, claim_media, finish_media, pending_media
from tests.conftest import make_settings
from tests.factories import make_organisation, make_report, make_user
from tests.web.conftest import assert_in_web_catalogues

PHONE = "+22376701430"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 4096


@pytest.fixture
def app(sqlite_url, redis_url, tmp_path):
    """The app as production builds it, keeping media under a temporary directory."""
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url,
                                         MEDIA_DIR=str(tmp_path / "media")))
    yield flask_app
    flask_app.extensions["relais"].close()


def _report(app, org_slug: str) -> tuple[uuid.UUID, str]:
    runtime = app.extensions["relais"]
    with runtime.unit_of_work() as session:
        report = make_report(session, organisation_slug=org_slug, reporter_key=runtime.phone_key(PHONE))
    return report.id, report.reference


def _media(app, report_id, content_type="image/jpeg", data=JPEG, status="stored", reason=None) -> uuid.UUID:
    """An item received by WhatsApp, fetched (stored, or refused with reason) and attached to report_id."""
    runtime = app.extensions["relais"]
    with runtime.unit_of_work() as session:
        inbound = store_inbound(session, InboundDraft(
            provider="twilio", provider_message_id=f"MM{uuid.uuid4().hex}", channel="whatsapp", phone=PHONE,
            to_address="+14155238886", body="",
            media=(MediaDraft("https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1",
                              content_type),),
            sender_key=runtime.phone_key(PHONE)))
        [media_id] = pending_media(session, inbound.id)
        claim_media(session, media_id)
        if status == "stored":
            stored = StoredFile(content_type, len(data), hashlib.sha256(data).hexdigest(),
                                runtime.media_store.put(data))
            finish_media(session, media_id, "stored", stored=stored)
        else:
            finish_media(session, media_id, status, reason)
        assert attach_waiting_media(session, report_id, timedelta(hours=24)) == 1
    return media_id


@pytest.fixture
def supervisor(staff, login):
    login(staff["supervisor"])
    return staff


def test_the_report_page_lists_its_files_with_type_size_and_time(client, supervisor, app):
    report_id, _ = _report(app, supervisor["org_slug"])
    stored = _media(app, report_id)
    refused = _media(app, report_id, data=b"", status="refused", reason="type_mismatch")
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Photos et fichiers" in html and "image/jpeg" in html and "4 KB" in html
    assert re.search(r'<time datetime="[^"]+">\d{4}-\d{2}-\d{2} \d{2}:\d{2}</time>', html)
    assert f"/reports/{report_id}/media/{stored}" in html
    # A refused item shows why, never a link.
    assert f"/media/{refused}" not in html and "Refusé: le fichier n&#39;est pas ce qu&#39;il prétend être" in html


def test_a_report_without_files_says_so(client, supervisor, app):
    report_id, _ = _report(app, supervisor["org_slug"])
    assert "Aucune photo ni aucun fichier" in client.get(f"/reports/{report_id}").get_data(as_text=True)


def test_a_supervisor_downloads_a_file_as_an_attachment_and_the_download_is_audited(client, supervisor, app):
    report_id, reference = _report(app, supervisor["org_slug"])
    media_id = _media(app, report_id)
    response = client.get(f"/reports/{report_id}/media/{media_id}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.data == JPEG
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{reference}-1.jpg"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Never kept, and sent byte for byte: a photo is compressed already, a file a stranger sent stays as sent.
    assert response.headers["Cache-Control"] == "no-store, no-transform" and "Content-Encoding" not in response.headers
    with app.extensions["relais"].unit_of_work() as session:
        events = [(e.action, e.object_type, e.object_id, e.user_id)
                  for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "media.downloaded"))]
    assert events == [("media.downloaded", "media", str(media_id), supervisor["supervisor_id"])]


def test_another_organisations_supervisor_gets_404_and_nothing_is_audited(client, staff, login, app):
    report_id, _ = _report(app, staff["org_slug"])
    media_id = _media(app, report_id)
    with app.extensions["relais"].unit_of_work() as session:
        other = make_organisation(session)
        stranger = make_user(session, other, role="supervisor")
        stranger_email = stranger.email
    login(stranger_email)
    assert client.get(f"/reports/{report_id}/media/{media_id}").status_code == 404
    with app.extensions["relais"].unit_of_work() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "media.downloaded")) is None


def test_a_caseworker_gets_403_and_a_stranger_the_login_page(client, staff, login, app):
    report_id, _ = _report(app, staff["org_slug"])
    path = f"/reports/{report_id}/media/{_media(app, report_id)}"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    login(staff["caseworker"])
    assert client.get(path).status_code == 403


def test_refused_missing_or_mismatched_items_are_404(client, supervisor, app):
    report_id, _ = _report(app, supervisor["org_slug"])
    other_report, _ = _report(app, supervisor["org_slug"])
    refused = _media(app, report_id, status="refused", reason="too_big")
    stored = _media(app, report_id)
    for path in (f"/reports/{report_id}/media/{refused}",  # nothing kept: nothing to serve
                 f"/reports/{other_report}/media/{stored}",  # not this report's
                 f"/reports/{report_id}/media/{uuid.uuid4()}", f"/reports/{report_id}/media/not-an-id",
                 f"/reports/not-an-id/media/{stored}"):
        assert client.get(path).status_code == 404, path


def test_a_file_gone_from_the_store_is_404_not_500(client, supervisor, app):
    report_id, _ = _report(app, supervisor["org_slug"])
    media_id = _media(app, report_id)
    shutil.rmtree(app.extensions["relais"].settings.MEDIA_DIR)
    assert client.get(f"/reports/{report_id}/media/{media_id}").status_code == 404


def test_every_media_string_has_a_french_and_english_entry():
    assert_in_web_catalogues([("app/triage/**.py", "python"), ("app/templates/triage/**.html", "jinja2")])
