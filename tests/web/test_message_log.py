"""The message log: administrators only, metadata only, numbers masked, filtered and paged."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from casecore.audit import AuditEvent
from casecore.messaging.message_log import PAGE_SIZE, scrub_reason
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.people.models import Organisation
from tests.factories import make_user
from tests.web.conftest import assert_in_web_catalogues

PHONE_OUT = "+22376701430"
PHONE_IN = "+22365550187"
BODY_OUT = "Un nouveau signalement urgent vous attend"
BODY_IN = "mon voisin frappe son enfant"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def app(any_db_app):
    """The log reads a union of both tables: each test runs on SQLite and PostgreSQL."""
    return any_db_app


def _outbound(session, *, minutes=0, **overrides) -> uuid.UUID:
    values = dict(
        purpose_key=f"test:{uuid.uuid4()}", to_phone=PHONE_OUT, body=BODY_OUT, backend="africastalking",
        channel="sms", status="sent", attempts=1, encoding="GSM-7", segments=2,
        created_at=T0 + timedelta(minutes=minutes),
    )
    values.update(overrides)
    message = OutboundMessage(**values)
    session.add(message)
    session.flush()
    return message.id


def _inbound(session, *, minutes=0, **overrides) -> uuid.UUID:
    values = dict(
        provider="twilio", provider_message_id=f"SM{uuid.uuid4().hex}", channel="whatsapp", phone=PHONE_IN,
        to_address="whatsapp:+14155238886", body=BODY_IN, received_at=T0 + timedelta(minutes=minutes),
        status="received",
    )
    values.update(overrides)
    message = InboundMessage(**values)
    session.add(message)
    session.flush()
    return message.id


@pytest.fixture
def admin(staff, login, uow):
    with uow() as session:
        org = session.get(Organisation, staff["org_id"])
        user = make_user(session, org, role="admin", language="en")
        staff = dict(staff, admin=user.email, admin_id=user.id)
    login(staff["admin"])
    return staff


def test_admin_sees_metadata_with_masked_numbers_and_no_bodies(client, admin, uow):
    with uow() as session:
        _outbound(session, minutes=1, status="failed", attempts=5, failure_reason="gave up after 5 attempts: 500",
                  delivery_status=None)
        _outbound(session, minutes=2, status="sent", delivery_status="failed", delivery_reason="Rejected by carrier")
        _inbound(session, minutes=3)
    response = client.get("/messages")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for hidden in (PHONE_OUT, PHONE_IN, "76701430", "65550187", BODY_OUT, BODY_IN, "frappe"):
        assert hidden not in html
    for shown in ("+223******30", "+223******87", "africastalking", "twilio", "WhatsApp", "SMS", "Inbound",
                  "Outbound", "gave up after 5 attempts: 500", "Delivery: Failed", "Rejected by carrier",
                  "GSM-7, 2 segment(s)", "2026-11-20 08:03", "Received, not processed"):
        assert shown in html, shown
    # Newest first: the inbound message (08:03) before the outbound ones.
    assert html.index("+223******87") < html.index("+223******30")


def test_a_whatsapp_message_read_shows_as_read_in_english_and_french(client, admin, staff, login, uow):
    with uow() as session:
        _outbound(session, channel="whatsapp", backend="twilio", delivery_status="read", encoding=None, segments=None)
        org = session.get(Organisation, staff["org_id"])
        french_admin = make_user(session, org, role="admin", language="fr").email
    assert "Delivery: Read by the person" in client.get("/messages").get_data(as_text=True)
    html = client.get("/messages?status=read").get_data(as_text=True)
    assert '<option value="read" selected>Read by the person</option>' in html
    login(french_admin)
    assert "Remise : Lu par la personne" in client.get("/messages").get_data(as_text=True)


def test_summary_counts_what_is_pending_and_why(client, admin, uow):
    with uow() as session:
        _outbound(session, status="queued", attempts=0)
        _outbound(session, status="queued", attempts=2, failure_reason="retry")
        _outbound(session, status="sending")
        _outbound(session, status="failed", failure_reason="opted_out")
        _inbound(session, status="received")
        _inbound(session, status="processed")
    html = client.get("/messages").get_data(as_text=True)
    for shown in ("2 queued", "1 being sent", "1 failed", "1 received and not yet processed", "opted_out (1)"):
        assert shown in html, shown


def test_summary_and_rows_are_in_french_for_a_french_admin(client, staff, login, uow):
    with uow() as session:
        org = session.get(Organisation, staff["org_id"])
        email = make_user(session, org, role="admin", language="fr").email
        _outbound(session, status="queued")
    login(email)
    html = client.get("/messages").get_data(as_text=True)
    assert "Journal des messages" in html and "1 en file d&#39;attente" in html and "Sortant" in html


@pytest.mark.parametrize("role", ["supervisor", "caseworker"])
def test_other_roles_get_a_clear_403(client, staff, login, role):
    login(staff[role])
    response = client.get("/messages")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "administrat" in html


def test_only_admins_see_the_nav_link(client, staff, login, admin):
    assert 'href="/messages"' in client.get("/messages").get_data(as_text=True)
    login(staff["supervisor"])
    response = client.get("/triage")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and staff["supervisor_name"] in html and "<nav" in html
    assert 'href="/messages"' not in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/messages?direction=out")
    assert response.status_code == 302
    assert "/login" in response.location and "next=" in response.location


@pytest.mark.parametrize(
    "query, expected",
    [
        ("direction=out", {"out-sms-sent", "out-wa-failed", "out-sms-delivered", "out-sms-delivered-failed",
                           "out-wa-read"}),
        ("direction=in", {"in-sms-received", "in-wa-processed"}),
        ("channel=whatsapp", {"out-wa-failed", "in-wa-processed", "out-wa-read"}),
        ("status=failed", {"out-wa-failed", "out-sms-delivered-failed"}),
        # A message read was delivered first: it is among the delivered, and alone among the read.
        ("status=delivered", {"out-sms-delivered", "out-wa-read"}),
        ("status=read", {"out-wa-read"}),
        ("status=received", {"in-sms-received"}),
        # A delivery report does not change the send status: delivered and delivery-failed rows were sent too.
        ("direction=out&channel=sms&status=sent", {"out-sms-sent", "out-sms-delivered", "out-sms-delivered-failed"}),
        ("direction=&channel=&status=", None),  # empty selects mean any
    ],
)
def test_filters(client, admin, uow, query, expected):
    rows = {
        "out-sms-sent": lambda s: _outbound(s, backend="b-out-sms-sent"),
        "out-wa-failed": lambda s: _outbound(s, backend="b-out-wa-failed", channel="whatsapp", status="failed",
                                             encoding=None, segments=None),
        "out-sms-delivered": lambda s: _outbound(s, backend="b-out-sms-delivered", delivery_status="delivered"),
        "out-sms-delivered-failed": lambda s: _outbound(s, backend="b-out-sms-delivered-failed",
                                                        delivery_status="failed"),
        "out-wa-read": lambda s: _outbound(s, backend="b-out-wa-read", channel="whatsapp", delivery_status="read",
                                           encoding=None, segments=None),
        "in-sms-received": lambda s: _inbound(s, provider="b-in-sms-received", channel="sms"),
        "in-wa-processed": lambda s: _inbound(s, provider="b-in-wa-processed", status="processed"),
    }
    with uow() as session:
        for make in rows.values():
            make(session)
    if expected is None:
        expected = set(rows)
    response = client.get("/messages?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    shown = {name for name in rows if f"<td>b-{name}</td>" in html}
    assert shown == expected


@pytest.mark.parametrize(
    "query, reason",
    [
        ("direction=sideways", "direction must be one of"),
        ("channel=ussd", "channel must be one of"),
        ("status=lost", "status must be one of"),
        ("page=0", "page must be"),
        ("page=abc", "page must be"),
        ("page=-1", "page must be"),
        ("direction=in&status=queued", "for outbound messages only"),
        ("direction=in&status=read", "for outbound messages only"),
        ("direction=out&status=received", "for inbound messages only"),
    ],
)
def test_bad_filter_is_a_400_page_with_the_reason(client, admin, uow, query, reason):
    response = client.get("/messages?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert reason in html
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "message_log_viewed")) == 0


def test_bad_value_is_not_echoed_back(client, admin):
    html = client.get("/messages?status=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert" not in html


def test_pagination_newest_first_fifty_per_page(client, admin, uow):
    total = PAGE_SIZE + 5
    with uow() as session:
        for n in range(total - 1):
            _outbound(session, minutes=n, backend=f"m{n:03d}x")
        _inbound(session, minutes=total - 1, provider=f"m{total - 1:03d}x")
    first = client.get("/messages").get_data(as_text=True)
    assert first.count("<tr") == PAGE_SIZE + 1  # the header row and fifty messages
    assert "m054x" in first and "m005x" in first and "m004x" not in first
    assert first.index("m054x") < first.index("m053x")
    assert 'rel="next" href="/messages?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/messages?page=2").get_data(as_text=True)
    assert [f"m{n:03d}x" in second for n in range(6)] == [True] * 5 + [False]
    assert 'rel="prev" href="/messages?page=1"' in second and 'rel="next"' not in second
    filtered = client.get("/messages?direction=out").get_data(as_text=True)
    assert 'href="/messages?direction=out&amp;page=2"' in filtered
    assert "No messages match." in client.get("/messages?page=9").get_data(as_text=True)


def test_each_page_view_is_audited_once(client, admin, uow):
    client.get("/messages")
    client.get("/messages?page=2&direction=in")
    with uow() as session:
        events = session.execute(
            select(AuditEvent.user_id, AuditEvent.object_type, AuditEvent.object_id)
            .where(AuditEvent.action == "message_log_viewed").order_by(AuditEvent.at)
        ).all()
    assert [tuple(e) for e in events] == [(admin["admin_id"], "message_log", "1"),
                                          (admin["admin_id"], "message_log", "2")]


def test_reasons_quoting_a_number_are_masked():
    assert scrub_reason("Invalid phone number +223 76 70 14 30") == "Invalid phone number +223******30"
    assert scrub_reason("Invalid To whatsapp:US.13491208655302741918") == "Invalid To whatsapp:US.********18"
    assert scrub_reason("HTTP 500") == "HTTP 500"
    assert scrub_reason(None) is None


def test_every_message_log_string_is_in_both_web_catalogues():
    assert_in_web_catalogues([("app/admin/**.py", "python"), ("app/templates/admin/**.html", "jinja2"),
                              ("app/templates/base.html", "jinja2")])
