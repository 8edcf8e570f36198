"""casecore.monitoring on SQLite and PostgreSQL: what each reading counts and what it leaves out."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update

from casecore.base import utcnow
from casecore.deadlines.models import CaseDeadline
from casecore.handoff.models import Handoff
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.messaging.outbox import queue_message
from casecore.monitoring import (
    deadline_figures,
    handoffs_by_status,
    inbox_waiting,
    oldest_queued_outbound,
    outbox_by_status,
    urgent_alerts,
)
from casecore.people.models import User
from casecore.reports.alerts import alert_purpose_key
from casecore.reports.models import Report
from tests.factories import make_organisation, make_receiving_service, make_report, make_user


def _inbound(session, n: int, received_at):
    return store_inbound(session, InboundDraft(provider="africastalking", provider_message_id=f"m{n}", channel="sms",
                                               phone="+22376701430", to_address="21512", body="bonjour",
                                               received_at=received_at))


def test_inbox_waiting_counts_only_what_no_worker_handled(any_db_runtime):
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        assert inbox_waiting(session).count == 0 and inbox_waiting(session).oldest is None
        for n, minutes in enumerate((30, 10, 5)):
            _inbound(session, n, now - timedelta(minutes=minutes))
        session.execute(update(InboundMessage).where(InboundMessage.provider_message_id == "m0")
                        .values(status="processed"))
    with any_db_runtime.unit_of_work(read_only=True) as session:
        waiting = inbox_waiting(session)
    assert waiting.count == 2
    assert abs((waiting.oldest - (now - timedelta(minutes=10))).total_seconds()) < 1


def _outbound(session, key: str, status: str, created_at):
    message = queue_message(session, purpose_key=key, to_phone="+22376701430", body="x", backend="console")
    session.execute(update(OutboundMessage).where(OutboundMessage.id == message.id)
                    .values(status=status, created_at=created_at))
    return message.id


def test_outbox_counts_every_status_not_sent_and_the_oldest_queued(any_db_runtime):
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        assert outbox_by_status(session) == {"queued": 0, "sending": 0, "unknown": 0, "failed": 0, "held": 0}
        assert oldest_queued_outbound(session) is None
        for n, (status, minutes) in enumerate([("queued", 3), ("queued", 9), ("sending", 20), ("failed", 60),
                                               ("failed", 61), ("sent", 90), ("rerouted", 90), ("unknown", 1)]):
            _outbound(session, f"k{n}", status, now - timedelta(minutes=minutes))
    with any_db_runtime.unit_of_work(read_only=True) as session:
        assert outbox_by_status(session) == {"queued": 2, "sending": 1, "unknown": 1, "failed": 2, "held": 0}
        oldest = oldest_queued_outbound(session)
    assert abs((oldest - (now - timedelta(minutes=9))).total_seconds()) < 1


def test_handoffs_by_status(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_receiving_service(session)
        for status in ("waiting", "waiting", "failed", "sent", "unknown"):
            report = make_report(session)
            session.execute(insert(Handoff).values(id=uuid.uuid4(), report_id=report.id, organisation_id=org.id,
                                                   primero_id=uuid.uuid4(), trigger="on_report", status=status))
    with any_db_runtime.unit_of_work(read_only=True) as session:
        assert handoffs_by_status(session) == {"waiting": 2, "sending": 0, "unknown": 1, "failed": 1}


def test_deadline_figures_count_overdue_ones_and_alerts_due_but_unwritten(any_db_runtime):
    now = utcnow()
    rows = [
        # (created hours ago, due in hours, warned, overdue alerted, met)
        (10, -1, True, True, False),    # overdue, alerted: overdue only
        (10, -2, True, False, False),   # overdue, its alert not written yet
        (10, -3, True, True, True),     # met: nothing
        (10, 1, False, False, False),   # in its last tenth: a warning due
        (10, 1, True, False, False),    # warned already: nothing
        (1, 9, False, False, False),    # far from due: nothing
    ]
    with any_db_runtime.unit_of_work() as session:
        for created, due, warned, alerted, met in rows:
            session.execute(insert(CaseDeadline).values(
                id=uuid.uuid4(), kind="assignment", created_at=now - timedelta(hours=created),
                due_at=now + timedelta(hours=due), warned_at=now if warned else None,
                overdue_alerted_at=now if alerted else None, met_at=now if met else None))
    with any_db_runtime.unit_of_work(read_only=True) as session:
        figures = deadline_figures(session, now, warn_fraction=0.25)
    assert (figures.overdue, figures.warnings_due, figures.overdue_alerts_due) == (2, 1, 1)


def test_urgent_alerts_measure_each_report_to_its_first_alert_sent(any_db_runtime):
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        org = make_receiving_service(session)
        second = make_user(session, org, role="supervisor")
        other_org = make_organisation(session)
        make_user(session, other_org, role="supervisor")
        first = session.scalar(select(User.id).where(User.organisation_id == org.id, User.id != second.id))
        supervisors = [first, second.id]

        def report(minutes_ago: float, urgent: bool = True, organisation_slug: str = "demo"):
            made = make_report(session, danger_now=urgent, organisation_slug=organisation_slug)
            session.execute(update(Report).where(Report.id == made.id)
                            .values(received_at=now - timedelta(minutes=minutes_ago), urgent=urgent))
            return made.id

        def alert(report_id, user_id, status, sent_minutes_ago=None):
            key = alert_purpose_key(report_id, user_id)
            message_id = _outbound(session, key, status, now)
            if sent_minutes_ago is not None:
                session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id)
                                .values(sent_at=now - timedelta(minutes=sent_minutes_ago)))

        quick = report(60)
        alert(quick, supervisors[0], "sent", sent_minutes_ago=59.5)       # 30 s
        alert(quick, supervisors[1], "sent", sent_minutes_ago=58)         # later: the first counts
        slow = report(30)
        alert(slow, supervisors[0], "failed")
        alert(slow, supervisors[1], "sent", sent_minutes_ago=25)          # 5 minutes
        waiting = report(4)
        alert(waiting, supervisors[0], "queued")                          # not sent: 4 minutes waiting
        report(2)                                                         # no alert written yet
        not_urgent = report(10, urgent=False)
        alert(not_urgent, supervisors[0], "queued")
        report(60 * 25)                                                   # outside the day
        report(3, organisation_slug=other_org.slug)                       # another organisation's, unsent
    with any_db_runtime.unit_of_work(read_only=True) as session:
        found = urgent_alerts(session, now)
    assert [round(d) for d in found.delays] == [30, 300]
    assert sorted(round((now - at).total_seconds() / 60) for at in found.unsent_since) == [2, 3, 4]
