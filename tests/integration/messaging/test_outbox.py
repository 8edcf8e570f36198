"""Outbox claims: one send job at a time per message, and claims of dead jobs returned to the queue."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import claim_for_sending
from casecore.messaging.unknown_outcomes import mark_stale_claims_unknown
from casecore.reports.alerts import queue_report_alerts
from tests.conftest import make_settings
from tests.factories import make_organisation, make_report, make_user
from tests.queues import drain
from workers.queueing import enqueue_send


def one_message(runtime, backend="console"):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)
        report = make_report(session, organisation_slug=org.slug)
        [message_id] = queue_report_alerts(session, report.id, backend)
    return message_id


def test_of_concurrent_claims_exactly_one_wins(any_db_runtime):
    message_id = one_message(any_db_runtime)
    results, barrier = [], threading.Barrier(4)

    def claim():
        barrier.wait()
        with any_db_runtime.unit_of_work() as session:
            results.append(claim_for_sending(session, message_id))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    with any_db_runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, message_id)
        assert (message.status, message.attempts) == ("sending", 1)


def test_a_claim_left_by_a_dead_job_becomes_of_unknown_outcome_only_when_stale(any_db_runtime):
    # Not queued again: the job may have died after the provider took the message.
    message_id = one_message(any_db_runtime)
    with any_db_runtime.unit_of_work() as session:
        claim_for_sending(session, message_id)
    with any_db_runtime.unit_of_work() as session:
        assert mark_stale_claims_unknown(session, utcnow() - timedelta(minutes=10)) == 0
        assert mark_stale_claims_unknown(session, utcnow() + timedelta(seconds=1)) == 1
        assert session.scalar(select(OutboundMessage.status)) == "unknown"


def test_a_message_is_sent_through_the_backend_it_was_written_for(database_url, redis_url, capsys):
    # Configuration now says Africa's Talking (unreachable); the row was written for the console backend.
    runtime = bootstrap(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking",
                                      AT_API_URL="http://127.0.0.1:9/version1/messaging", PROVIDER_TIMEOUT=0.5))
    message_id = one_message(runtime, backend="console")
    enqueue_send(runtime.queue, message_id)
    drain(runtime.queue)
    with runtime.unit_of_work() as session:
        assert session.get(OutboundMessage, message_id).status == "sent"
    assert "SMS to +223" in capsys.readouterr().out
    runtime.close()
