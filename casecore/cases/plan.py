"""The case plan as goals and actions (forms 3.A, 4.A), and the services the organisation gives the child itself.

A goal is for an assessment domain or the whole case; actions towards it are each taken by the case worker, the
family, the child, a service of the organisation's directory or someone else, by a date, and then done or not. The
supervisor approves the plan as before (casecore.cases.approvals). A plan whose goals or actions are added or
dropped after its approval, or that a review says changes, goes back for approval: the case returns to its plan step
until the supervisor approves it again. Every change audited; the timeline notes it without the plan's words.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.casework import (
    add_event,
    lock_case,
    lock_open_case,
    log_follow_up,
    move_to,
    plan_approved_at,
    record_changed,
)
from casecore.cases.models import Case, CaseFollowUp
from casecore.cases.record_models import CaseAction, CaseGoal, GoalProgress, ServiceGiven
from casecore.cases.risk import revise_risk
from casecore.deadlines.timelines import Timelines
from casecore.directory.models import Service
from casecore.errors import NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.people.models import User
from casecore.people.roles import Staff

MAX_GOALS = 20
MAX_ACTIONS_PER_GOAL = 20


@dataclass(frozen=True)
class ActionRow:
    """An action as the case page shows it."""

    id: uuid.UUID
    what: str
    by: str
    service_name: str | None
    due_on: date | None
    status: str


@dataclass(frozen=True)
class GoalRow:
    """A goal and its actions, in the order they were added."""

    id: uuid.UUID
    domain: str | None
    goal: str
    status: str
    actions: list[ActionRow] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """The case's goals, and whether they changed after the plan's last approval."""

    goals: list[GoalRow]
    approved_at: datetime | None
    changed_since_approval: bool


def add_goal(session: Session, staff: Staff, case_id: str | uuid.UUID, goal: str | None,
             domain: str | None = None) -> uuid.UUID:
    """Add a goal to the plan of an open case."""
    case = lock_open_case(session, staff, case_id)
    if domain is not None and domain not in taxonomy.ASSESSMENT_DOMAINS:
        raise Refused("assessment_domain")
    text = staff_text(goal, "goal")
    if session.scalar(select(func.count()).select_from(CaseGoal).where(CaseGoal.case_id == case.id)) >= MAX_GOALS:
        raise Refused("too_many_goals")
    now = utcnow()
    row = CaseGoal(case_id=case.id, domain=domain, goal=text, status="open", created_at=now, created_by_id=staff.id,
                   updated_at=now)
    session.add(row)
    session.flush()
    _changed(session, staff, case, changes_plan=True)
    return row.id


def add_action(session: Session, staff: Staff, case_id: str | uuid.UUID, goal_id: str | uuid.UUID, *,
               what: str | None, by: str, service_id: str | None = None, due_on: date | None = None,
               today: date) -> uuid.UUID:
    """Add an action towards one of the case's goals; a service must be an active entry of the directory."""
    case = lock_open_case(session, staff, case_id)
    goal = _goal(session, case, goal_id)
    text = staff_text(what, "action")
    if by not in taxonomy.ACTION_BY:
        raise Refused("action_by")
    service = None
    if by == "service":
        service = session.get(Service, parse_id(service_id, "service")) if service_id else None
        if service is None or not service.is_active or service.organisation_id != case.organisation_id:
            raise Refused("action_service")
    if due_on is not None and due_on < today:
        raise Refused("action_due_in_past")
    count = session.scalar(select(func.count()).select_from(CaseAction).where(CaseAction.goal_id == goal.id))
    if count >= MAX_ACTIONS_PER_GOAL:
        raise Refused("too_many_actions")
    now = utcnow()
    row = CaseAction(case_id=case.id, goal_id=goal.id, what=text, by=by, service_id=service.id if service else None,
                     due_on=due_on, status="planned", created_at=now, updated_at=now, updated_by_id=staff.id)
    session.add(row)
    session.flush()
    _changed(session, staff, case, changes_plan=True)
    return row.id


def set_goal_status(session: Session, staff: Staff, case_id: str | uuid.UUID, goal_id: str | uuid.UUID,
                    status: str) -> None:
    """Say where a goal stands (open, achieved, not achieved, dropped)."""
    case = lock_open_case(session, staff, case_id)
    goal = _goal(session, case, goal_id)
    if status not in taxonomy.GOAL_STATUSES:
        raise Refused("goal_status")
    changes_plan = status == "dropped" and goal.status != "dropped"
    goal.status, goal.updated_at = status, utcnow()
    _changed(session, staff, case, changes_plan=changes_plan)


def set_action_status(session: Session, staff: Staff, case_id: str | uuid.UUID, action_id: str | uuid.UUID,
                      status: str) -> None:
    """Say how an action went (planned, done, not done)."""
    case = lock_open_case(session, staff, case_id)
    action = session.get(CaseAction, parse_id(action_id, "action"))
    if action is None or action.case_id != case.id:
        raise NotFound(f"action {action_id} not found")
    if status not in taxonomy.ACTION_STATUSES:
        raise Refused("action_status")
    action.status, action.updated_at, action.updated_by_id = status, utcnow(), staff.id
    _changed(session, staff, case, changes_plan=False)


def plan_of(session: Session, case_id: uuid.UUID) -> Plan:
    """The case's plan for its page (the caller has checked the person may see the case)."""
    goals = list(session.scalars(select(CaseGoal).where(CaseGoal.case_id == case_id)
                                 .order_by(CaseGoal.created_at, CaseGoal.id)))
    actions: dict[uuid.UUID, list[ActionRow]] = {}
    for action, provider in session.execute(
            select(CaseAction, Service.provider_name).outerjoin(Service, Service.id == CaseAction.service_id)
            .where(CaseAction.case_id == case_id).order_by(CaseAction.created_at, CaseAction.id)):
        actions.setdefault(action.goal_id, []).append(
            ActionRow(action.id, action.what, action.by, provider, action.due_on, action.status))
    approved_at = plan_approved_at(session, session.get(Case, case_id))
    # Changed after the approval: a goal or an action added, a goal dropped, or a review saying the plan changes.
    changed = approved_at is not None and (
        any(goal.created_at > approved_at or (goal.status == "dropped" and goal.updated_at > approved_at)
            for goal in goals)
        or any(action_at > approved_at for action_at in session.scalars(
            select(CaseAction.created_at).where(CaseAction.case_id == case_id)))
        or session.scalar(select(func.count()).select_from(CaseFollowUp).where(
            CaseFollowUp.case_id == case_id, CaseFollowUp.plan_changes.is_(True),
            CaseFollowUp.created_at > approved_at)) > 0)
    return Plan([GoalRow(goal.id, goal.domain, goal.goal, goal.status, actions.get(goal.id, [])) for goal in goals],
                approved_at, changed)


def _goal(session: Session, case: Case, goal_id: str | uuid.UUID) -> CaseGoal:
    goal = session.get(CaseGoal, parse_id(goal_id, "goal"))
    if goal is None or goal.case_id != case.id:
        raise NotFound(f"goal {goal_id} not found")
    return goal


def _changed(session: Session, staff: Staff, case: Case, *, changes_plan: bool) -> None:
    session.flush()
    add_event(session, case.id, "plan_updated", staff.id)
    record_event(session, staff.id, "plan.updated", "case", case.id)
    if changes_plan:
        back_for_approval(session, staff, case)


# The steps at which the plan has been approved and is being carried out.
APPROVED_PLAN_STEPS = ("implementation", "follow_up")


def back_for_approval(session: Session, staff: Staff, case: Case) -> None:
    """A plan changed after its approval goes back to the supervisor: the case returns to its plan step (and
    approving it again moves it on). Progress on the actions and goals is not a change of plan."""
    if case.current_step in APPROVED_PLAN_STEPS:
        move_to(session, staff, case, "case_plan")


@dataclass(frozen=True)
class ServiceGivenRow:
    """A service the organisation gave, as the case page lists it (display names stand for the people)."""

    service_type: str
    given_on: date
    outcome: str | None
    given_by: str | None


def record_service_given(session: Session, staff: Staff, case_id: str | uuid.UUID, *, service_type: str,
                         given_on: date | None, outcome: str | None, today: date) -> uuid.UUID:
    """Record a service the organisation gave the child itself (a session, a family mediation...), like a referral:
    its type, the day (not in the future) and the outcome."""
    case = lock_case(session, staff, case_id)
    if case.status not in ("open", "closure_requested"):
        raise Refused("case_closed")
    if service_type not in taxonomy.SERVICE_TYPES:
        raise Refused("service_type_required")
    if given_on is None:
        raise Refused("service_date_required")
    if given_on > today:
        raise Refused("date_in_future")
    row = ServiceGiven(case_id=case.id, service_type=service_type, given_on=given_on,
                       outcome=staff_text(outcome, "outcome", required=False), given_by_id=staff.id,
                       created_at=utcnow())
    session.add(row)
    record_changed(case)
    session.flush()
    add_event(session, case.id, "service_given", staff.id, service_type)
    record_event(session, staff.id, "case.service_given", "case", case.id)
    return row.id


def services_given_of(session: Session, case_id: uuid.UUID) -> list[ServiceGivenRow]:
    """The services the organisation gave on the case, latest first."""
    rows = session.execute(
        select(ServiceGiven.service_type, ServiceGiven.given_on, ServiceGiven.outcome, User.display_name)
        .outerjoin(User, User.id == ServiceGiven.given_by_id).where(ServiceGiven.case_id == case_id)
        .order_by(ServiceGiven.given_on.desc(), ServiceGiven.created_at.desc()))
    return [ServiceGivenRow(*row) for row in rows]


@dataclass(frozen=True)
class GoalReview:
    """What a review says of one goal: its progress and where it stands now."""

    progress: str | None
    status: str


def record_review(session: Session, staff: Staff, case_id: str | uuid.UUID, *, happened_at: datetime,
                  notes: str | None, shared_with_family: str | None, plan_changes: bool,
                  goals: Mapping[str, GoalReview], risk_level: str | None, next_due_at: datetime | None,
                  timelines: Timelines) -> uuid.UUID:
    """A plan review (forms 5.A-5.C): logged as a follow-up (its next date a deadline), with each goal's progress
    and status, what was shared with the child and family, and whether the plan changes (a changed plan needs the
    supervisor's approval again); a new risk level is revised with the review's notes as its reason."""
    follow_up_id = log_follow_up(session, staff, case_id, kind="review", happened_at=happened_at, notes=notes,
                                 next_due_at=next_due_at, timelines=timelines)
    follow_up = session.get(CaseFollowUp, follow_up_id)
    follow_up.shared_with_family = staff_text(shared_with_family, "shared", required=False)
    follow_up.plan_changes = bool(plan_changes)
    case = follow_up.case_id
    dropped = False
    for goal_id, review in goals.items():
        goal = _goal(session, session.get(Case, case), goal_id)
        if review.status not in taxonomy.GOAL_STATUSES:
            raise Refused("goal_status")
        session.add(GoalProgress(follow_up_id=follow_up.id, goal_id=goal.id, status=review.status,
                                 progress=staff_text(review.progress, "progress", required=False)))
        if goal.status != review.status:
            # A goal dropped at a review changes the plan as much as one dropped from the plan itself.
            dropped = dropped or review.status == "dropped"
            goal.status, goal.updated_at = review.status, utcnow()
    if risk_level and risk_level != session.get(Case, case).risk_level:
        revise_risk(session, staff, case, risk_level, notes or shared_with_family, timelines)
    if follow_up.plan_changes or dropped:
        back_for_approval(session, staff, session.get(Case, case))
    session.flush()
    return follow_up.id


def reviews_of(session: Session, case_id: uuid.UUID) -> list[tuple[CaseFollowUp, list[tuple[str, GoalProgress]]]]:
    """The case's plan reviews with each goal's progress (the goal's words beside it), latest first."""
    reviews = list(session.scalars(select(CaseFollowUp).where(
        CaseFollowUp.case_id == case_id, CaseFollowUp.kind == "review").order_by(CaseFollowUp.happened_at.desc())))
    progress: dict[uuid.UUID, list[tuple[str, GoalProgress]]] = {}
    if reviews:
        for row, goal in session.execute(
                select(GoalProgress, CaseGoal.goal).join(CaseGoal, CaseGoal.id == GoalProgress.goal_id)
                .where(GoalProgress.follow_up_id.in_([review.id for review in reviews]))
                .order_by(CaseGoal.created_at)):
            progress.setdefault(row.follow_up_id, []).append((goal, row))
    return [(review, progress.get(review.id, [])) for review in reviews]
