"""SMS about deadlines: the case worker is warned before one falls, the supervisor told once it has passed.

Each alert carries a reference and what is due, never a child's details; each is written to the outbox once (its
purpose key), and a deadline met is never alerted.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import OVERDUE, WARNING, Timelines, alert_due, meet
from casecore.errors import NotFound
from casecore.i18n import N_, gettext_for
from casecore.ids import parse_id
from casecore.messaging.outbox import queue_message
from casecore.people.lookups import supervisors_of
from casecore.people.models import Organisation, Team, User
from casecore.reports.models import Report

log = logging.getLogger(__name__)

# What is due, as the SMS names it (notifications catalogue).
WHAT_IS_DUE = {
    "assignment": N_("assignment to a case worker"),  # a case come in by transfer, not yet assigned
    "first_response": N_("first response"),
    "assessment": N_("assessment"),
    "case_plan": N_("case plan"),
    "review": N_("case plan review"),
    "visit": N_("follow-up visit"),
    "post_closure_check": N_("post-closure check"),
}
CASE_WARNING = N_("Relais: case %(reference)s, %(what)s due %(due)s UTC.")
CASE_OVERDUE = N_("Relais: case %(reference)s, %(what)s was due %(due)s UTC. It is overdue.")
REPORT_WARNING = N_("Relais: report %(reference)s must be assigned by %(due)s UTC.")
REPORT_OVERDUE = N_("Relais: report %(reference)s was to be assigned by %(due)s UTC. It is overdue.")


def deadline_text(language: str, stage: str, kind: str, reference: str, due_at: datetime, *,
                  on_report: bool = False) -> str:
    """The SMS for a deadline (of a case, else of a new report): the reference, what is due and when, in the staff
    member's language."""
    _ = gettext_for(language, "notifications")
    due = due_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    if on_report:
        return _(REPORT_WARNING if stage == WARNING else REPORT_OVERDUE) % {"reference": reference, "due": due}
    template = CASE_WARNING if stage == WARNING else CASE_OVERDUE
    return _(template) % {"reference": reference, "what": _(WHAT_IS_DUE[kind]), "due": due}


def deadline_purpose_key(stage: str, deadline_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The outbox key that makes one alert per deadline, stage and recipient."""
    return f"deadline-{stage}:{deadline_id}:{user_id}"


def deadlines_to_alert(session: Session, now: datetime, warn_fraction: float, limit: int = 200) -> list[uuid.UUID]:
    """Ids of open deadlines whose warning time or due date has passed without their alert, soonest first."""
    due = alert_due(session, now, warn_fraction, due_at=CaseDeadline.due_at, set_at=CaseDeadline.created_at,
                    warned_at=CaseDeadline.warned_at, overdue_alerted_at=CaseDeadline.overdue_alerted_at)
    return list(session.scalars(
        select(CaseDeadline.id).where(CaseDeadline.met_at.is_(None), due).order_by(CaseDeadline.due_at).limit(limit)
    ))


def alert_deadline(session: Session, deadline_id: str | uuid.UUID, timelines: Timelines, backend: str,
                   now: datetime | None = None) -> list[uuid.UUID]:
    """Write the alert a deadline calls for now, if any (once); returns the outbox ids to send."""
    now = now or utcnow()
    deadline = session.get(CaseDeadline, parse_id(deadline_id, "deadline"), populate_existing=True)
    if deadline is None:
        raise NotFound(f"deadline {deadline_id} does not exist")
    stage = _stage(deadline, timelines, now)
    if stage is None:
        return []
    subject = _subject(session, deadline)
    if subject is None:
        return []
    reference, organisation_id, recipients = subject
    column = CaseDeadline.warned_at if stage == WARNING else CaseDeadline.overdue_alerted_at
    # Claimed first: of two jobs on the same deadline, one writes the alert (the purpose keys guard the rest).
    claimed = session.execute(
        update(CaseDeadline).where(CaseDeadline.id == deadline.id, CaseDeadline.met_at.is_(None), column.is_(None))
        .values({column: now}).execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return []
    to_send = []
    for user in recipients(stage):
        message = queue_message(
            session, purpose_key=deadline_purpose_key(stage, deadline.id, user.id), to_phone=user.phone,
            body=deadline_text(user.language, stage, deadline.kind, reference, deadline.due_at,
                               on_report=deadline.report_id is not None), backend=backend,
            organisation_id=organisation_id, recipient_user_id=user.id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    if not to_send:
        log.error("deadline %s (%s): nobody with a phone to tell", deadline.id, stage)
    log.info("deadline %s (%s, %s): %d alert(s) written", deadline.id, deadline.kind, stage, len(to_send))
    return to_send


def schedule_missing_assignment_deadlines(session: Session, timelines: Timelines, now: datetime | None = None,
                                          limit: int = 500) -> int:
    """Give new reports that have none (made before timelines were passed in) their assignment deadline.

    A date already past when it is added is not alerted: it is history, and shows as overdue in the queue.
    """
    now = now or utcnow()
    # Through the organisations, so the database walks ix_report_triage rather than every report.
    rows = session.execute(
        select(Report.id, Report.received_at, Report.urgent)
        .where(Report.organisation_id.in_(select(Organisation.id)), Report.status == "new",
               ~exists().where(CaseDeadline.report_id == Report.id, CaseDeadline.kind == "assignment"))
        .limit(limit)
    ).all()
    for report_id, received_at, urgent in rows:
        due = timelines.assignment_due(received_at, urgent)
        past = now if due <= now else None
        session.execute(insert(CaseDeadline).values(
            id=uuid.uuid4(), report_id=report_id, kind="assignment", due_at=due, created_at=received_at,
            warned_at=past, overdue_alerted_at=past))
    return len(rows)


def _stage(deadline: CaseDeadline, timelines: Timelines, now: datetime) -> str | None:
    if deadline.met_at is not None:
        return None
    if deadline.due_at <= now:
        return OVERDUE if deadline.overdue_alerted_at is None else None
    if deadline.warned_at is None and now >= timelines.warn_at(deadline.created_at, deadline.due_at):
        return WARNING
    return None


def _subject(session: Session, deadline: CaseDeadline):
    """(reference, organisation id, recipients by stage) of what the deadline is about; None when moot."""
    if deadline.report_id is not None:
        report = session.get(Report, deadline.report_id)
        if report.status != "new":
            meet(session, deadline.kind, report_id=report.id)  # decided by a path that did not meet it
            return None
        return report.reference, report.organisation_id, lambda stage: supervisors_of(session, report.organisation_id)
    case = session.get(Case, deadline.case_id)

    def recipients(stage: str) -> list[User]:
        if stage == WARNING and case.assigned_to_id is not None:
            worker = session.get(User, case.assigned_to_id)
            if _reachable(worker) and worker.organisation_id == case.organisation_id:
                return [worker]
        return _supervisors_of_case(session, case)

    return case.reference, case.organisation_id, recipients


def _supervisors_of_case(session: Session, case: Case) -> list[User]:
    """The supervisor of the case's team when they can be reached, else every supervisor of the organisation."""
    if case.team_id is not None:
        supervisor_id = session.scalar(select(Team.supervisor_id).where(Team.id == case.team_id))
        supervisor = session.get(User, supervisor_id) if supervisor_id else None
        if _reachable(supervisor) and supervisor.organisation_id == case.organisation_id:
            return [supervisor]
    return supervisors_of(session, case.organisation_id)


def _reachable(user: User | None) -> bool:
    return user is not None and user.is_active and bool(user.phone)
