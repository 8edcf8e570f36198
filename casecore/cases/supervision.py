"""The supervision log: a supervisor records each supervision session with one of their case workers (when, the
cases reviewed, by reference, and what was decided); the case worker reads the sessions about them, the supervisor
those they recorded. Audited."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.access import visible_cases
from casecore.cases.models import Case
from casecore.cases.record_models import SupervisionSession
from casecore.errors import NotAllowed, NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.paging import Page, fetch_page
from casecore.people.models import User
from casecore.people.roles import CASEWORKER, SUPERVISOR, Staff, teams_led_by

MAX_CASES = 30


@dataclass(frozen=True)
class SessionRow:
    """A supervision session as the log lists it."""

    held_on: date
    supervisor: str
    case_worker: str
    references: list[str]
    decisions: str


def record_session(session: Session, staff: Staff, *, case_worker_id: str, held_on: date | None,
                   references: Sequence[str], decisions: str | None, today: date) -> uuid.UUID:
    """A supervisor records a session with a case worker of their teams; the cases reviewed are given by reference
    and must be the supervisor's to see."""
    if staff.role != SUPERVISOR:
        raise NotAllowed("a supervisor keeps the supervision log")
    try:
        worker_key = parse_id(case_worker_id, "user")
    except NotFound:
        raise Refused("supervision_worker") from None
    worker = session.scalar(select(User).where(
        User.id == worker_key, User.role == CASEWORKER, User.is_active.is_(True),
        User.team_id.in_(teams_led_by(staff.id))))
    if worker is None:
        raise Refused("supervision_worker")
    if held_on is None:
        raise Refused("bi_date_required")
    if held_on > today:
        raise Refused("date_in_future")
    wanted = list(dict.fromkeys(ref.strip().upper() for ref in references if ref and ref.strip()))
    if len(wanted) > MAX_CASES:
        raise Refused("supervision_too_many_cases")
    # The worker's own cases, which the supervisor sees: the worker reads the log.
    found = dict(session.execute(select(Case.reference, Case.id).where(
        Case.reference.in_(wanted), visible_cases(staff), Case.assigned_to_id == worker.id)).all())
    if set(wanted) - set(found):
        raise Refused("supervision_case_unknown")
    row = SupervisionSession(organisation_id=staff.organisation_id, supervisor_id=staff.id,
                             case_worker_id=worker.id, held_on=held_on,
                             case_ids=[str(found[ref]) for ref in wanted],
                             decisions=staff_text(decisions, "decisions"), created_at=utcnow())
    session.add(row)
    session.flush()
    record_event(session, staff.id, "supervision.recorded", "user", worker.id)
    return row.id


def supervision_log(session: Session, staff: Staff, page: int = 1) -> Page:
    """A page of the sessions this person may read, latest first: a supervisor's own, or those about a case
    worker."""
    if staff.role == SUPERVISOR:
        mine = SupervisionSession.supervisor_id == staff.id
    elif staff.role == CASEWORKER:
        mine = SupervisionSession.case_worker_id == staff.id
    else:
        raise NotAllowed("the supervision log is for supervisors and case workers")
    lead, worker = aliased(User), aliased(User)
    found = fetch_page(session, (
        select(SupervisionSession, lead.display_name, worker.display_name)
        .join(lead, lead.id == SupervisionSession.supervisor_id)
        .join(worker, worker.id == SupervisionSession.case_worker_id)
        .where(mine).order_by(SupervisionSession.held_on.desc(), SupervisionSession.created_at.desc(),
                              SupervisionSession.id)), page)
    ids = {case_id for row, _lead, _worker in found.rows for case_id in row.case_ids}
    references = dict(session.execute(select(Case.id, Case.reference).where(
        Case.id.in_([uuid.UUID(i) for i in ids]))).all()) if ids else {}
    return replace(found, rows=tuple(
        SessionRow(row.held_on, lead_name, worker_name, [references.get(uuid.UUID(i), "?") for i in row.case_ids],
                   row.decisions)
        for row, lead_name, worker_name in found.rows))
