"""Case conferences (forms 3.B, 5.C): multi-actor meetings on complex or high-risk cases. A conference records when
it was held, who took part (staff, services, whether the family and the child were there), what it decided, and the
follow-up actions it agreed, which become actions of the plan's goals (casecore.cases.plan)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.casework import add_event, lock_open_case
from casecore.cases.plan import add_action
from casecore.cases.record_models import CaseConference
from casecore.errors import Refused
from casecore.free_text import staff_text
from casecore.people.roles import Staff

MAX_FOLLOW_UP_ACTIONS = 5


@dataclass(frozen=True)
class AgreedAction:
    """A follow-up action the conference agreed: for which goal, what, who, by when."""

    goal_id: str
    what: str | None
    by: str
    service_id: str | None = None
    due_on: date | None = None


def record_conference(session: Session, staff: Staff, case_id: str | uuid.UUID, *, held_on: date | None,
                      staff_present: str | None, services_present: str | None, family_present: bool,
                      child_present: bool, decisions: str | None, actions: Sequence[AgreedAction],
                      today: date) -> uuid.UUID:
    """Record a conference on an open case and put its agreed actions into the plan."""
    case = lock_open_case(session, staff, case_id)
    if held_on is None:
        raise Refused("conference_date_required")
    if held_on > today:
        raise Refused("date_in_future")
    if len(actions) > MAX_FOLLOW_UP_ACTIONS:
        raise Refused("too_many_actions")
    conference = CaseConference(
        case_id=case.id, held_on=held_on, staff_present=staff_text(staff_present, "participants", required=False),
        services_present=staff_text(services_present, "participants", required=False),
        family_present=bool(family_present), child_present=bool(child_present),
        decisions=staff_text(decisions, "decisions"), recorded_by_id=staff.id, created_at=utcnow())
    session.add(conference)
    session.flush()
    for action in actions:
        add_action(session, staff, case.id, action.goal_id, what=action.what, by=action.by,
                   service_id=action.service_id, due_on=action.due_on, today=today)
    add_event(session, case.id, "conference", staff.id)
    record_event(session, staff.id, "case.conference_recorded", "case", case.id)
    return conference.id


def conferences_of(session: Session, case_id: uuid.UUID) -> list[CaseConference]:
    """The case's conferences, latest first (the caller has checked the person may see the case)."""
    return list(session.scalars(select(CaseConference).where(CaseConference.case_id == case_id)
                                .order_by(CaseConference.held_on.desc(), CaseConference.created_at.desc())))
