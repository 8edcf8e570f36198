"""The durable inbox: one row per provider message, waiting until it is handled, oldest first."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casecore.base import utcnow
from casecore.errors import InvalidInput, InvalidPhoneNumber, NotFound
from casecore.messaging.inbox import (
    InboundDraft,
    StoredInbound,
    get_inbound,
    inbound_awaiting,
    mark_processed,
    store_inbound,
)
from casecore.messaging.media import MediaDraft
from casecore.messaging.models import InboundMessage
from tests.concurrency import run_together


def draft(**overrides) -> InboundDraft:
    values = dict(provider="twilio", provider_message_id="SM0001", channel="whatsapp",
                  phone="whatsapp:+22376701430", to_address="whatsapp:+14155238886", body="SIGNALER",
                  received_at=utcnow())
    values.update(overrides)
    return InboundDraft(**values)


def count(runtime) -> int:
    with runtime.unit_of_work() as session:
        return session.scalar(select(func.count(InboundMessage.id)))


def test_a_message_is_stored_as_received(any_db_runtime):
    received_at = utcnow() - timedelta(seconds=5)
    with any_db_runtime.unit_of_work() as session:
        stored = store_inbound(session, draft(received_at=received_at))
    with any_db_runtime.unit_of_work() as session:
        snapshot = get_inbound(session, stored.id)
    assert stored.is_new
    assert (snapshot.id, snapshot.provider, snapshot.provider_message_id, snapshot.channel) == (
        stored.id, "twilio", "SM0001", "whatsapp")
    assert (snapshot.phone, snapshot.to_address, snapshot.body) == (
        "+22376701430", "whatsapp:+14155238886", "SIGNALER")
    assert (snapshot.received_at, snapshot.status, snapshot.processed_at) == (received_at, "received", None)


def test_a_number_the_phone_library_does_not_know_yet_is_kept_as_sent(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        stored = store_inbound(session, draft(phone="whatsapp:+22300000000"))
        assert get_inbound(session, stored.id).phone == "+22300000000"


def test_the_same_delivery_twice_is_one_row(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        first = store_inbound(session, draft())
    with any_db_runtime.unit_of_work() as session:
        again = store_inbound(session, draft(body="something else"))
        elsewhere = store_inbound(session, draft(provider="africastalking", channel="sms", phone="+22376701430"))
    assert (again.id, again.is_new) == (first.id, False)
    assert elsewhere.is_new and elsewhere.id != first.id
    assert count(any_db_runtime) == 2


def test_concurrent_deliveries_store_one_row(any_db_runtime):
    def deliver():
        with any_db_runtime.unit_of_work() as session:
            return store_inbound(session, draft())

    results, errors = run_together(4, deliver)
    assert not errors
    assert len({r.id for r in results}) == 1 and sum(r.is_new for r in results) == 1
    assert count(any_db_runtime) == 1


@pytest.mark.parametrize("overrides, error", [
    ({"channel": "ussd"}, InvalidInput), ({"provider_message_id": ""}, InvalidInput),
    ({"to_address": "x" * 65}, InvalidInput), ({"phone": "Orange"}, InvalidPhoneNumber),
    # A business-scoped id writes on WhatsApp only: by SMS it cannot be, and would be read as no number at all.
    ({"channel": "sms", "phone": "US.13491208655302741918", "to_address": "+22370000000"}, InvalidInput),
])
def test_a_message_is_checked(any_db_runtime, overrides, error):
    with any_db_runtime.unit_of_work() as session:
        with pytest.raises(error):
            store_inbound(session, draft(**overrides))


def test_an_address_of_64_characters_is_kept_whole(any_db_runtime):
    # The column holds 64: an address that long (a provider's channel address) is stored, not refused.
    address = "whatsapp:+" + "1" * 54
    with any_db_runtime.unit_of_work() as session:
        stored = store_inbound(session, draft(to_address=address))
    with any_db_runtime.unit_of_work() as session:
        assert get_inbound(session, stored.id).to_address == address


def test_a_redelivery_finds_its_own_message_among_others_of_the_same_id_or_provider(any_db_runtime):
    # Two providers may use one id, and one provider sends many: a redelivery must answer with its own message.
    with any_db_runtime.unit_of_work() as session:
        first = store_inbound(session, draft(provider_message_id="SM0001"))
        second = store_inbound(session, draft(provider_message_id="SM0002"))
        at = store_inbound(session, draft(provider="africastalking", provider_message_id="SM0002", channel="sms",
                                          phone="+22376701430", to_address="12345"))
    with any_db_runtime.unit_of_work() as session:
        assert store_inbound(session, draft(provider_message_id="SM0002")) == StoredInbound(second.id, is_new=False)
        again = store_inbound(session, draft(provider="africastalking", provider_message_id="SM0002", channel="sms",
                                             phone="+22376701430", to_address="12345"))
        assert again == StoredInbound(at.id, is_new=False)
    assert len({first.id, second.id, at.id}) == 3


def test_a_message_with_media_is_refused_outside_a_unit_of_work(any_db_runtime):
    # Its media rows must be written in the message's transaction; a single statement's connection has none.
    photo = MediaDraft("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg")
    with_media = draft(media=(photo,), sender_key="k")
    with pytest.raises(TypeError):
        with any_db_runtime.single_write() as connection:
            store_inbound(connection, with_media)
    assert count(any_db_runtime) == 0


def test_messages_wait_until_processed_oldest_first(any_db_runtime):
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        newer = store_inbound(session, draft(provider_message_id="SM2", received_at=now - timedelta(minutes=1))).id
        older = store_inbound(session, draft(provider_message_id="SM1", received_at=now - timedelta(minutes=5))).id
        done = store_inbound(session, draft(provider_message_id="SM3", received_at=now - timedelta(minutes=9))).id
        store_inbound(session, draft(provider_message_id="SM4", received_at=now))
        at_the_cut_off = store_inbound(session, draft(provider_message_id="SM5",
                                                      received_at=now - timedelta(seconds=30))).id
        assert mark_processed(session, done) is True
    with any_db_runtime.unit_of_work() as session:
        assert inbound_awaiting(session, now - timedelta(seconds=30)) == [older, newer]
        assert inbound_awaiting(session, now - timedelta(seconds=30), limit=1) == [older]
        assert inbound_awaiting(session, now - timedelta(seconds=29)) == [older, newer, at_the_cut_off]
        assert mark_processed(session, str(done)) is False
        snapshot = get_inbound(session, done)
        assert snapshot.status == "processed" and snapshot.processed_at is not None
        # Loaded in this unit of work, handled, then read again: the read says handled, not what was loaded.
        loaded = session.get(InboundMessage, older)
        assert loaded.status == "received" and mark_processed(session, older) is True
        assert get_inbound(session, older).status == "processed"


def test_an_unknown_message_is_not_found_among_others_and_a_handled_one_alone_is_found(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        only = store_inbound(session, draft()).id
        assert mark_processed(session, only) is True
        assert mark_processed(session, only) is False  # handled already: found, not changed
        with pytest.raises(NotFound):
            mark_processed(session, uuid.uuid4())  # other messages exist, none is this one


def test_unknown_messages_are_not_found(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        for action in (get_inbound, mark_processed):
            with pytest.raises(NotFound):
                action(session, uuid.uuid4())
            with pytest.raises(NotFound):
                action(session, "not-an-id")
