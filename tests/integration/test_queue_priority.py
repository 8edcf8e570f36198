"""An alert about a child never waits behind other work: staff alerts first, then replies, then everything else."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from casecore.base import utcnow
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import queue_message
from casecore.reports.alerts import queue_report_alerts
from casecore.reports.models import Report
from tests.factories import make_organisation, make_receiving_service, make_report, make_user
from tests.queues import BurstWorker, queued
from workers.queueing import (
    ALERTS,
    BACKGROUND,
    REPLIES,
    enqueue_inbound,
    enqueue_report_alert,
    enqueue_send,
    queues_in_order,
    send_job_id,
    sibling,
)
from workers.scheduler import OUTBOX_SWEEP_AFTER_SECONDS, run_once

# Inbound messages waiting to be answered (a radio campaign, a prank, a provider replaying a day of messages).
BACKLOG = 200
# Replies already waiting to go out.
REPLIES_WAITING = 20


def work_jobs(queue, count: int) -> None:
    """Run exactly count jobs, taken as a worker takes them."""
    BurstWorker(queues_in_order(queue), connection=queue.connection).work(burst=True, max_jobs=count)


def statuses(runtime, prefix: str) -> list[str]:
    with runtime.unit_of_work() as session:
        return list(session.scalars(select(OutboundMessage.status)
                                    .where(OutboundMessage.purpose_key.startswith(prefix))))


def fill_backlog(runtime) -> None:
    """BACKLOG inbound messages to answer, then REPLIES_WAITING replies to send, all enqueued."""
    with runtime.unit_of_work() as session:
        inbound_ids = [store_inbound(session, InboundDraft(
            provider="africastalking", provider_message_id=f"ATXid_backlog{n}", channel="sms",
            phone=f"+2237650{n:04d}", to_address="384", body="Bonjour")).id for n in range(BACKLOG)]
        reply_ids = [queue_message(session, purpose_key=f"backlog-reply:{n}", to_phone=f"+2237660{n:04d}",
                                   body="Merci", backend="console").id for n in range(REPLIES_WAITING)]
    for inbound_id in inbound_ids:
        assert enqueue_inbound(runtime.queue, inbound_id)
    for reply_id in reply_ids:
        assert enqueue_send(runtime.queue, reply_id)


def test_an_urgent_reports_alert_goes_out_before_any_backlog(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)  # the supervisor to alert
    fill_backlog(runtime)
    with runtime.unit_of_work() as session:
        report = make_report(session, organisation_slug=org.slug, danger_now=True)
    assert enqueue_report_alert(runtime.queue, report.id)

    work_jobs(runtime.queue, 2)  # the alert job, then its send: nothing else comes first

    assert statuses(runtime, "report-alert:") == ["sent"]
    assert sibling(runtime.queue, BACKGROUND).count == BACKLOG
    assert sibling(runtime.queue, REPLIES).count == REPLIES_WAITING
    assert statuses(runtime, "backlog-reply:") == ["queued"] * REPLIES_WAITING


def test_replies_go_before_the_next_inbound_message_is_taken(runtime):
    with runtime.unit_of_work() as session:
        make_receiving_service(session)  # what a conversation needs to answer
    fill_backlog(runtime)

    work_jobs(runtime.queue, REPLIES_WAITING + 1)  # the replies waiting, then one inbound message

    assert statuses(runtime, "backlog-reply:") == ["sent"] * REPLIES_WAITING
    assert sibling(runtime.queue, BACKGROUND).count == BACKLOG - 1
    # Its answer waits on the replies queue, to go before the next inbound message is taken.
    assert sibling(runtime.queue, REPLIES).count == 1
    work_jobs(runtime.queue, 1)
    assert sibling(runtime.queue, BACKGROUND).count == BACKLOG - 1 and queued(runtime.queue) == BACKLOG - 1


def test_each_kind_of_job_lands_on_its_queue(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)
        report = make_report(session, organisation_slug=org.slug)
    alerts, replies = sibling(runtime.queue, ALERTS), sibling(runtime.queue, REPLIES)
    assert [q.name for q in queues_in_order(runtime.queue)] == ["relais-alerts", "relais-replies", "relais"]
    assert queues_in_order(alerts) == queues_in_order(runtime.queue)  # from any of the three, the same three

    enqueue_report_alert(replies, report.id)  # whichever queue a caller holds
    assert alerts.count == 1 and replies.count == 0 and runtime.queue.count == 0
    work_jobs(runtime.queue, 1)
    # The alert job's send stays on the alerts queue; a send from anywhere else goes on the replies queue.
    assert alerts.count == 1 and replies.count == 0
    with runtime.unit_of_work() as session:
        other = queue_message(session, purpose_key="other", to_phone="+22376600001", body="Merci", backend="console")
    enqueue_send(runtime.queue, other.id)
    assert replies.count == 1


def test_the_sweep_puts_a_lost_alert_send_on_the_alerts_queue(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)
        report = make_report(session, organisation_slug=org.slug)
        # Written, but their send jobs were lost (Redis went away).
        [alert_id] = queue_report_alerts(session, report.id, "console")
        reply_id = queue_message(session, purpose_key="lost-reply", to_phone="+22376600002", body="Merci",
                                 backend="console").id
        session.execute(update(OutboundMessage).values(
            created_at=utcnow() - timedelta(seconds=OUTBOX_SWEEP_AFTER_SECONDS + 1)))
        session.execute(update(Report).values(alerted_at=utcnow()))  # the alert job itself did run

    run_once(runtime)

    assert sibling(runtime.queue, ALERTS).job_ids == [send_job_id(alert_id)]
    assert sibling(runtime.queue, REPLIES).job_ids == [send_job_id(reply_id)]
