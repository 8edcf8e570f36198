"""A supervisor gives a case to a case worker: a case come in by transfer, or one whose worker leaves or is
overloaded. The case follows the worker's team; the worker is told by SMS; the assignment deadline is met."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.alerts import queue_assignment_alert
from casecore.cases.assignment import OPEN_STATUSES, find_case_worker
from casecore.cases.casework import add_event, lock_case
from casecore.deadlines.timelines import meet
from casecore.errors import NotFound, Refused
from casecore.ids import parse_id
from casecore.people.models import User
from casecore.people.roles import Staff

log = logging.getLogger(__name__)


def assign_case(session: Session, staff: Staff, case_id: str | uuid.UUID, assigned_to_id: str | uuid.UUID, *,
                sms_backend: str) -> list[uuid.UUID]:
    """Assign (or reassign) a case the supervisor oversees; returns the outbox ids of the SMS to the worker."""
    case = lock_case(session, staff, case_id, supervisor_only=True)
    if case.status not in OPEN_STATUSES:
        raise Refused("not_open")
    try:
        worker = find_case_worker(session, case.organisation_id, parse_id(assigned_to_id, "case worker"))
    except NotFound:
        worker = None
    if worker is None:
        raise Refused("worker_required")
    if worker.id == case.assigned_to_id:
        raise Refused("already_assigned")
    previous = session.get(User, case.assigned_to_id) if case.assigned_to_id else None
    # The case goes with the worker: their team's supervisor oversees it from now on.
    case.assigned_to_id, case.team_id, case.assigned_at = worker.id, worker.team_id, utcnow()
    meet(session, "assignment", case_id=case.id)
    body = worker.display_name if previous is None else f"{previous.display_name} → {worker.display_name}"
    add_event(session, case.id, "assigned", staff.id, body)
    record_event(session, staff.id, "case.assigned", "case", case.id)
    log.info("case %s assigned to user %s", case.id, worker.id)
    return queue_assignment_alert(session, case, worker, sms_backend)
