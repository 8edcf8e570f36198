"""Received media on each database: recorded with the message, claimed and finished once, attached by the rule."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from casecore.base import utcnow
from casecore.cases.media import attach_sender_media, attach_waiting_media
from casecore.cases.models import CaseEvent
from casecore.errors import InvalidInput
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.media import (
    MAX_ITEMS,
    MediaDraft,
    StoredFile,
    claim_media,
    declared_types,
    finish_media,
    media_awaiting_fetch,
    note_media_retry,
    pending_media,
)
from casecore.messaging.models import InboundMedia, InboundMessage
from casecore.reports.models import Report
from tests.factories import make_case, make_organisation, make_report

PHONE = "+22376701430"
WINDOW = timedelta(hours=24)
URL = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME{}"


def receive(runtime, *types: str, phone: str = PHONE, at=None) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A WhatsApp message carrying items of these declared types; returns its id and its items' ids."""
    with runtime.unit_of_work() as session:
        stored = store_inbound(session, InboundDraft(
            provider="twilio", provider_message_id=f"MM{uuid.uuid4().hex}", channel="whatsapp", phone=phone,
            to_address="+14155238886", body="", received_at=at or utcnow(),
            media=tuple(MediaDraft(URL.format(n), kind) for n, kind in enumerate(types)),
            sender_key=runtime.phone_key(phone)))
        media_ids = pending_media(session, stored.id)
        if at is not None:
            session.execute(update(InboundMedia).where(InboundMedia.id.in_(media_ids)).values(created_at=at))
    return stored.id, media_ids


@pytest.fixture
def org(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        return make_organisation(session).slug


def test_items_are_recorded_pending_in_order_with_the_message(any_db_runtime):
    inbound_id, media_ids = receive(any_db_runtime, "image/jpeg", "application/pdf")
    with any_db_runtime.unit_of_work() as session:
        rows = session.scalars(select(InboundMedia).order_by(InboundMedia.position)).all()
        assert declared_types(session, inbound_id) == ["image/jpeg", "application/pdf"]
    assert [(r.id, r.position, r.status, r.attempts, r.inbound_message_id) for r in rows] == [
        (media_ids[0], 0, "pending", 0, inbound_id), (media_ids[1], 1, "pending", 0, inbound_id)]


def test_a_refused_item_list_stores_neither_message_nor_items(any_db_runtime):
    with pytest.raises(InvalidInput):
        with any_db_runtime.unit_of_work() as session:
            store_inbound(session, InboundDraft(
                provider="twilio", provider_message_id="MM1", channel="whatsapp", phone=PHONE, to_address="",
                body="", media=(MediaDraft(URL.format(0), "image/jpeg"),) * (MAX_ITEMS + 1), sender_key="k"))
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(InboundMessage.id))) == 0


def test_claim_counts_tries_and_finish_happens_once(any_db_runtime):
    _, [media_id] = receive(any_db_runtime, "image/jpeg")
    with any_db_runtime.unit_of_work() as session:
        first = claim_media(session, media_id)
        note_media_retry(session, media_id, "timeout")
    with any_db_runtime.unit_of_work() as session:
        second = claim_media(session, media_id)
    assert (first.attempts, second.attempts, second.provider, second.source_url) == (1, 2, "twilio", URL.format(0))
    stored = StoredFile("image/jpeg", 10, "0" * 64, uuid.uuid4().hex)
    with any_db_runtime.unit_of_work() as session:
        assert finish_media(session, media_id, "stored", stored=stored)
        assert not finish_media(session, media_id, "failed", "not_found")  # already finished: nothing changes
        assert claim_media(session, media_id) is None
    with any_db_runtime.unit_of_work() as session:
        row = session.get(InboundMedia, media_id)
    assert (row.status, row.reason, row.size, row.storage_key, row.attempts) == (
        "stored", None, 10, stored.storage_key, 2)  # a stored item keeps no reason
    assert row.stored_at is not None


def test_only_old_pending_items_are_swept(any_db_runtime):
    _, [old] = receive(any_db_runtime, "image/jpeg", at=utcnow() - timedelta(minutes=10))
    _, [done] = receive(any_db_runtime, "image/jpeg", at=utcnow() - timedelta(minutes=10))
    limited_message, [_flooded] = receive(any_db_runtime, "image/jpeg", at=utcnow() - timedelta(minutes=10))
    receive(any_db_runtime, "image/jpeg")
    with any_db_runtime.unit_of_work() as session:
        session.execute(update(InboundMessage).where(InboundMessage.id == limited_message).values(status="limited"))
        finish_media(session, done, "refused", "too_big")
        assert media_awaiting_fetch(session, utcnow() - timedelta(minutes=1)) == [old]


def test_a_linked_number_attaches_to_its_case_with_one_timeline_event_per_item(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        case_id = make_case(session, organisation_slug=org, contact_phones=(PHONE,)).id
    _, media_ids = receive(any_db_runtime, "image/jpeg", "application/pdf; name=x")
    key = any_db_runtime.phone_key(PHONE)
    for _ in range(2):  # looked at again: nothing more
        with any_db_runtime.unit_of_work() as session:
            attach_sender_media(session, phone=PHONE, sender_key=key, now=utcnow(), window=WINDOW)
    with any_db_runtime.unit_of_work() as session:
        assert {session.get(InboundMedia, m).case_id for m in media_ids} == {case_id}
        bodies = sorted(session.scalars(select(CaseEvent.body).where(CaseEvent.kind == "family_media")))
    assert bodies == ["media received: application/pdf", "media received: image/jpeg"]


def test_without_a_case_the_newest_report_within_the_window_gets_the_items(any_db_runtime, org):
    key = any_db_runtime.phone_key(PHONE)
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        old = make_report(session, organisation_slug=org, reporter_key=key)
        newer = make_report(session, organisation_slug=org, reporter_key=key)
        session.execute(update(Report).where(Report.id == old.id).values(received_at=now - timedelta(hours=30)))
        session.execute(update(Report).where(Report.id == newer.id).values(received_at=now - timedelta(hours=3)))
    _, [recent] = receive(any_db_runtime, "image/jpeg")
    _, [stale] = receive(any_db_runtime, "image/jpeg", at=now - timedelta(hours=28))  # 25 h before `newer`
    with any_db_runtime.unit_of_work() as session:
        # stale is older than the window before now: not looked at; recent goes to the newer report.
        assert attach_sender_media(session, phone=PHONE, sender_key=key, now=now, window=WINDOW) == 1
    with any_db_runtime.unit_of_work() as session:
        assert session.get(InboundMedia, recent).report_id == newer.id
        assert session.get(InboundMedia, stale).report_id is None


def test_a_new_report_takes_the_waiting_items_of_its_number_within_the_window(any_db_runtime, org):
    key = any_db_runtime.phone_key(PHONE)
    now = utcnow()
    _, [waiting] = receive(any_db_runtime, "image/jpeg", at=now - timedelta(hours=2))
    _, [too_old] = receive(any_db_runtime, "image/jpeg", at=now - timedelta(hours=30))
    _, [others] = receive(any_db_runtime, "image/jpeg", phone="+22376709999")
    with any_db_runtime.unit_of_work() as session:
        report = make_report(session, organisation_slug=org, reporter_key=key)
        anonymous_keyless = make_report(session, organisation_slug=org)
    with any_db_runtime.unit_of_work() as session:
        assert attach_waiting_media(session, anonymous_keyless.id, WINDOW) == 0
        assert attach_waiting_media(session, report.id, WINDOW) == 1
        assert attach_waiting_media(session, report.id, WINDOW) == 0
    with any_db_runtime.unit_of_work() as session:
        assert [session.get(InboundMedia, m).report_id for m in (waiting, too_old, others)] == [
            report.id, None, None]
