"""The message log's merged query on each database: inbound and outbound, newest first, filters, no bodies."""
from datetime import timedelta

from casecore.base import utcnow
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.message_log import LogFilter, message_log, message_log_summary, parse_filter
from casecore.messaging.outbox import queue_message


def test_inbound_and_outbound_rows_come_newest_first_and_filter(any_db_runtime):
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        store_inbound(session, InboundDraft(provider="africastalking", provider_message_id="in-1", channel="sms",
                                            phone="+22376701430", to_address="21512", body="Bonjour",
                                            received_at=now - timedelta(minutes=2)))
        queue_message(session, purpose_key="reply:1", to_phone="+22376701430", body="Langue / Language",
                      backend="console", channel="sms")
    with any_db_runtime.unit_of_work() as session:
        page = message_log(session, LogFilter())
        outbound_only = message_log(session, parse_filter({"direction": "out"}))
        summary = message_log_summary(session)
    assert [row.direction for row in page.rows][:2] == ["out", "in"]
    assert all("Bonjour" not in repr(row) and "+22376701430" not in repr(row) for row in page.rows)
    assert [row.direction for row in outbound_only.rows] == ["out"]
    assert summary is not None
