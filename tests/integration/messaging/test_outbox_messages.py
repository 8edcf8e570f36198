"""Any outbox message (SMS or WhatsApp) is written once per purpose, and never sent to a number that opted out."""
import uuid

import pytest
from sqlalchemy import func, select

from casecore.errors import InvalidInput, InvalidPhoneNumber, NotFound
from casecore.messaging.contacts import opt_in, opt_out
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import (
    OutboundRef,
    OutboundSnapshot,
    claim_for_sending,
    queue_message,
    record_send_result,
)
from tests.factories import make_organisation

PHONE = "+22376701430"


def queue(session, **overrides):
    values = dict(purpose_key="reply:sms:1", to_phone=PHONE, body="Merci.", backend="console")
    values.update(overrides)
    return queue_message(session, **values)


def rows(runtime):
    with runtime.unit_of_work() as session:
        return session.scalars(select(OutboundMessage)).all()


def test_a_message_is_written_once_per_purpose(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        first = queue(session, channel="whatsapp", to_phone=f"whatsapp:{PHONE}", organisation_id=org.id,
                      options=["Oui", "Non"])
    with any_db_runtime.unit_of_work() as session:
        again = queue(session, body="Another text")
        assert session.scalar(select(func.count(OutboundMessage.id))) == 1
    assert (first.status, first.is_new) == ("queued", True)
    assert (again.id, again.status, again.is_new) == (first.id, "queued", False)
    [row] = rows(any_db_runtime)
    assert (row.to_phone, row.channel, row.options, row.body) == (PHONE, "whatsapp", ["Oui", "Non"], "Merci.")
    assert (row.organisation_id, row.recipient_user_id, row.ignores_opt_out, row.attempts) == (
        org.id, None, False, 0)


def test_a_found_message_reports_its_current_status(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "sent", "console-1", None)
    with any_db_runtime.unit_of_work() as session:
        assert queue(session) == OutboundRef(message_id, "sent", False)


@pytest.mark.parametrize("overrides, error", [
    ({"channel": "ussd"}, InvalidInput), ({"body": ""}, InvalidInput), ({"purpose_key": ""}, InvalidInput),
    ({"purpose_key": "k" * 201}, InvalidInput), ({"options": ["Oui", ""]}, InvalidInput),
    ({"to_phone": "76 70 14 30"}, InvalidPhoneNumber),
])
def test_a_message_is_checked(any_db_runtime, overrides, error):
    with any_db_runtime.unit_of_work() as session:
        with pytest.raises(error):
            queue(session, **overrides)
    assert rows(any_db_runtime) == []


def test_a_claim_returns_channel_and_options(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session, channel="whatsapp", options=["1", "2"]).id
        plain_id = queue(session, purpose_key="reply:sms:2").id
    with any_db_runtime.unit_of_work() as session:
        claimed = claim_for_sending(session, message_id)
        assert claimed == OutboundSnapshot(message_id, PHONE, "Merci.", "console", 1, "whatsapp", ("1", "2"),
                                           None, claimed.purpose_key, claimed.claimed_at)
        assert claimed.claimed_at is not None
        assert claim_for_sending(session, plain_id).options is None
        assert claim_for_sending(session, message_id) is None  # already claimed
        with pytest.raises(NotFound):
            claim_for_sending(session, uuid.uuid4())


def test_a_number_that_opted_out_gets_nothing(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        message_id = queue(session).id
        # The opt-out comes after the message was written: it is checked when sending, not when writing.
        opt_out(session, f"whatsapp:{PHONE}")
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is None
    [row] = rows(any_db_runtime)
    assert (row.status, row.failure_reason, row.attempts, row.sent_at) == ("failed", "opted_out", 0, None)
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is None  # failed for good


def test_the_opt_out_confirmation_still_goes(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        opt_out(session, PHONE)
        confirmation = queue(session, purpose_key="opt-out:1", ignores_opt_out=True).id
    with any_db_runtime.unit_of_work() as session:
        snapshot = claim_for_sending(session, confirmation)
    assert snapshot is not None and snapshot.attempts == 1
    assert rows(any_db_runtime)[0].status == "sending"


def test_after_opting_in_again_messages_go(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        opt_out(session, PHONE)
        opt_in(session, PHONE)
        message_id = queue(session).id
        other_id = queue(session, purpose_key="reply:2", to_phone="+22376701431").id
        opt_out(session, "+22376701432")  # someone else's opt-out changes nothing here
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is not None
        assert claim_for_sending(session, other_id) is not None


def test_an_opt_out_from_a_number_of_an_unknown_range_is_honoured(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        opt_out(session, "whatsapp:+22300000000")
        message_id = queue(session, to_phone="+22300000000", channel="whatsapp").id
    with any_db_runtime.unit_of_work() as session:
        assert claim_for_sending(session, message_id) is None
    assert rows(any_db_runtime)[0].failure_reason == "opted_out"
