"""Delivery reports on a real database: mapped onto the outbox row, never downgraded, unknown ids ignored."""
from __future__ import annotations

import pytest

from casecore.errors import InvalidInput
from casecore.messaging.delivery import record_delivery
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import claim_for_sending, record_send_result
from casecore.reports.alerts import queue_report_alerts
from tests.factories import make_organisation, make_report, make_user


def sent_message(runtime, provider_id="ATXid_dda018a640edfcc5d2ce455de3e4a6e7"):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)
        report = make_report(session, organisation_slug=org.slug)
        [message_id] = queue_report_alerts(session, report.id, "africastalking")
    with runtime.unit_of_work() as session:
        claim_for_sending(session, message_id)
        record_send_result(session, message_id, "sent", provider_id, None)
    return message_id


def report(runtime, status, reason=None, provider_id="ATXid_dda018a640edfcc5d2ce455de3e4a6e7"):
    with runtime.unit_of_work() as session:
        return record_delivery(session, provider_id, status, reason)


def stored(runtime, message_id):
    with runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        return message.delivery_status, message.delivery_reason, message.delivered_at is not None


@pytest.mark.parametrize("sequence, expected", [
    (["sent"], ("sent", None, False)),
    (["queued", "sent", "delivered"], ("delivered", None, True)),
    (["delivered", "sent"], ("delivered", None, True)),
    (["delivered", "queued"], ("delivered", None, True)),
    (["delivered", "failed"], ("delivered", None, True)),
    (["failed", "delivered"], ("failed", "UserInBlackList", False)),
    (["failed", "sent"], ("failed", "UserInBlackList", False)),
    (["sent", "queued"], ("sent", None, False)),
    (["queued", "sent"], ("sent", None, False)),
    (["sent", "failed"], ("failed", "UserInBlackList", False)),
    (["delivered", "read"], ("read", None, True)),
    (["read"], ("read", None, True)),
    (["read", "delivered"], ("read", None, True)),
    (["read", "failed"], ("read", None, True)),
    (["failed", "read"], ("failed", "UserInBlackList", False)),
])
def test_reports_move_a_message_forward_only(any_db_runtime, sequence, expected):
    message_id = sent_message(any_db_runtime)
    for status in sequence:
        assert report(any_db_runtime, status, "UserInBlackList" if status == "failed" else None) is True
    assert stored(any_db_runtime, message_id) == expected


def test_a_report_for_an_unknown_message_writes_nothing(any_db_runtime, caplog):
    message_id = sent_message(any_db_runtime)
    assert report(any_db_runtime, "failed", "DeliveryFailure", provider_id="ATXid_someone_else") is False
    assert stored(any_db_runtime, message_id) == (None, None, False)
    assert "+223" not in caplog.text


def test_a_status_outside_the_set_is_refused(any_db_runtime):
    sent_message(any_db_runtime)
    with pytest.raises(InvalidInput):
        report(any_db_runtime, "Success")


def test_a_read_receipt_keeps_the_time_of_delivery(any_db_runtime):
    message_id = sent_message(any_db_runtime)
    report(any_db_runtime, "delivered")
    with any_db_runtime.unit_of_work() as session:
        delivered_at = session.get(OutboundMessage, message_id).delivered_at
    report(any_db_runtime, "read")
    with any_db_runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        assert (message.delivery_status, message.delivered_at) == ("read", delivered_at)


def test_a_failure_keeps_its_reason_cut_to_200_characters_or_says_failed(any_db_runtime):
    first = sent_message(any_db_runtime)
    second = sent_message(any_db_runtime, provider_id="ATXid_second")
    assert report(any_db_runtime, "failed", "Rejected: " + "x" * 300) is True
    assert report(any_db_runtime, "failed", None, provider_id="ATXid_second") is True
    assert stored(any_db_runtime, first) == ("failed", ("Rejected: " + "x" * 300)[:200], False)
    assert stored(any_db_runtime, second) == ("failed", "failed", False)


def test_a_report_needs_the_providers_message_id(any_db_runtime):
    sent_message(any_db_runtime)
    with pytest.raises(InvalidInput):
        report(any_db_runtime, "delivered", provider_id="")
