"""Work on one case: its steps, notes, consent, follow-ups and reopening; every change audited.

Each function takes the person acting (casecore.people.roles.Staff) and locks the case row first: two changes to one
case never interleave (SQLite serialises writers with BEGIN IMMEDIATE; on PostgreSQL the row lock does it).
Approvals live in casecore.cases.approvals, messages to the family in casecore.cases.outreach.
"""
from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import log_when_committed, record_event
from casecore.base import utcnow
from casecore.cases.access import visible_cases
from casecore.cases.ages import current_age
from casecore.cases.consent_rules import check_consent, consent_rule
from casecore.cases.models import Case, CaseApproval, CaseConsent, CaseEvent, CaseFollowUp, Referral
from casecore.cases.record_models import ChildRegistration
from casecore.deadlines import timelines as deadlines
from casecore.errors import NotAllowed, NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.people.roles import CASE_ROLES, SUPERVISOR, Staff

log = logging.getLogger(__name__)

# Steps a case worker moves to without an approval; the others follow an approval (casecore.cases.approvals).
MANUAL_MOVES = {"registration": "assessment", "implementation": "follow_up"}
# Withdrawing consent for these stops referrals not yet taken up (domain rules, "Consent").
REFERRAL_PURPOSES = frozenset({"services", "sharing_providers"})
# A visit typed in with a clock a little ahead is still "now".
CLOCK_SKEW = timedelta(minutes=5)
# A case opened without a risk level (never by triage) gets the middle timelines rather than none.
FALLBACK_RISK = "medium"


def lock_case(session: Session, staff: Staff, case_id: str | uuid.UUID, *, supervisor_only: bool = False) -> Case:
    """The case if this person may see it, locked until the unit of work ends; NotFound otherwise.

    Only case workers and supervisors see cases (casecore.cases.access); supervisor_only refuses the others with
    NotAllowed, once the case is known to be theirs to see (anyone else learns nothing of it).
    """
    key = parse_id(case_id, "case")
    case = session.scalars(
        select(Case).where(Case.id == key, visible_cases(staff)).with_for_update(of=Case)
        .execution_options(populate_existing=True)
    ).first()
    if case is None or staff.role not in CASE_ROLES:
        raise NotFound(f"case {case_id} not found")
    if supervisor_only and staff.role != SUPERVISOR:
        raise NotAllowed("a supervisor's decision")
    return case


def lock_open_case(session: Session, staff: Staff, case_id: str | uuid.UUID) -> Case:
    """lock_case, and Refused("not_open") unless the case is open (a closing or closed case takes no new work)."""
    case = lock_case(session, staff, case_id)
    _require_open(case)
    return case


def past_or_today(day: date | None, today: date) -> date:
    """A day something was done on: given, and not after today; Refused otherwise."""
    if day is None:
        raise Refused("bi_date_required")
    if day > today:
        raise Refused("date_in_future")
    return day


def add_event(session: Session, case_id: uuid.UUID, kind: str, author_id: uuid.UUID | None, body: str | None = None,
              **extra) -> CaseEvent:
    """Add an entry to the case's timeline."""
    event = CaseEvent(case_id=case_id, kind=kind, body=body, author_user_id=author_id, at=utcnow(), **extra)
    session.add(event)
    session.flush()
    return event


def move_to(session: Session, staff: Staff, case: Case, step: str) -> None:
    """Put the case at a step, with a timeline entry (nothing when it is there already)."""
    taxonomy.require(step, taxonomy.CASE_STEPS, "case step")
    if case.current_step == step:
        return
    case.current_step = step
    add_event(session, case.id, "step_changed", staff.id, step)
    log_when_committed(session, log, "case %s moved to %s", case.id, step)


def record_changed(case: Case) -> None:
    """What a hand-off carries to CPIMS+ changed on this (locked) case: Primero gets the record again."""
    case.record_version = (case.record_version or 0) + 1


def timeline_risk(case: Case) -> str:
    """The risk level that sets the case's timelines."""
    return case.risk_level if case.risk_level in taxonomy.CASE_RISK_LEVELS else FALLBACK_RISK


def advance_step(session: Session, staff: Staff, case_id: str | uuid.UUID, to_step: str) -> None:
    """Move an open case on to the next step where no approval is needed (start the assessment, the follow-up)."""
    case = lock_case(session, staff, case_id)
    _require_open(case)
    if MANUAL_MOVES.get(case.current_step) != to_step:
        raise Refused("step_not_next", f"{case.current_step} does not lead to {to_step} without an approval")
    move_to(session, staff, case, to_step)
    if to_step == "assessment":
        meet_first_response(session, case.id)
    record_event(session, staff.id, "case.step_changed", "case", case.id)


def add_note(session: Session, staff: Staff, case_id: str | uuid.UUID, text: str,
             child_views: bool = False) -> uuid.UUID:
    """A note on the case's current step, in its timeline; child_views: what the child said they think and want,
    recorded at any step (the child's views and wishes)."""
    case = lock_case(session, staff, case_id)
    event = add_event(session, case.id, "child_views" if child_views else "note", staff.id, staff_text(text, "note"))
    record_event(session, staff.id, "case.note_added", "case", case.id)
    return event.id


def record_consent(session: Session, staff: Staff, case_id: str | uuid.UUID, *, purpose: str, given: bool,
                   given_by: str, note: str | None = None, child_assent: str | None = None,
                   today: date | None = None) -> uuid.UUID:
    """Record consent (or its refusal) for one purpose; a supervisor alone may authorise it in the child's stead.
    Once the child's age is recorded, the giver must fit it and, from 6 to 14, the child's assent is recorded
    (casecore.cases.consent_rules)."""
    case = lock_case(session, staff, case_id)
    taxonomy.require(purpose, taxonomy.CONSENT_PURPOSES, "consent purpose")
    taxonomy.require(given_by, taxonomy.CONSENT_GIVERS, "consent giver")
    if given_by == "supervisor_authorised" and staff.role != SUPERVISOR:
        raise Refused("supervisor_authorises")
    _require_not_closed(case)
    assent = check_consent(consent_rule(recorded_age(session, case.id, today or utcnow().date())), given_by,
                           child_assent)
    consent = CaseConsent(case_id=case.id, purpose=purpose, given=bool(given), given_by=given_by,
                          note=staff_text(note, "note", required=False), recorded_by_id=staff.id,
                          recorded_at=utcnow(), child_assent=assent)
    session.add(consent)
    session.flush()
    record_changed(case)
    add_event(session, case.id, "consent_recorded" if given else "consent_refused", staff.id, purpose)
    record_event(session, staff.id, "case.consent_recorded", "case", case.id)
    return consent.id


def recorded_age(session: Session, case_id: uuid.UUID, today: date) -> int | None:
    """The child's age on today (the deployment's day) from the registration (its date of birth, else the age
    given); None when not recorded."""
    row = session.execute(select(ChildRegistration.date_of_birth, ChildRegistration.age).where(
        ChildRegistration.case_id == case_id)).first()
    if row is None:
        return None
    return current_age(*row, today)


def withdraw_consent(session: Session, staff: Staff, case_id: str | uuid.UUID,
                     consent_id: str | uuid.UUID) -> int:
    """Withdraw a consent given; for services or sharing, referrals still "sent" are declined. Returns how many."""
    case = lock_case(session, staff, case_id)
    consent = session.get(CaseConsent, parse_id(consent_id, "consent"))
    if consent is None or consent.case_id != case.id:
        raise NotFound(f"consent {consent_id} not found")
    if not consent.given or consent.withdrawn_at is not None:
        raise Refused("consent_not_active")
    now = utcnow()
    consent.withdrawn_at = now
    record_changed(case)
    revoked = 0
    if consent.purpose in REFERRAL_PURPOSES:
        # No more services means no referral goes on; no more sharing stops the referrals that relied on it.
        relied_on = Referral.consent_id == consent.id if consent.purpose == "sharing_providers" else True
        revoked = session.execute(
            update(Referral).where(Referral.case_id == case.id, Referral.status == "sent", relied_on)
            .values(status="declined", declined_because="consent_withdrawn", updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    add_event(session, case.id, "consent_withdrawn", staff.id, consent.purpose)
    record_event(session, staff.id, "case.consent_withdrawn", "case", case.id)
    log.info("case %s: consent %s withdrawn, %d referral(s) revoked", case.id, consent.id, revoked)
    return revoked


def plan_approved_at(session: Session, case: Case) -> datetime | None:
    """When the case's plan was last approved; one approved before the case was reopened was the closed case's."""
    query = select(func.max(CaseApproval.decided_at)).where(
        CaseApproval.case_id == case.id, CaseApproval.step == "case_plan", CaseApproval.decision == "approved")
    if case.reopened_at is not None:
        query = query.where(CaseApproval.decided_at > case.reopened_at)
    return session.scalar(query)


def _plan_approved(session: Session, case: Case) -> bool:
    """The plan is being carried out, or was and is back with the supervisor after a change (its reviews go on)."""
    if case.current_step in ("implementation", "follow_up"):
        return True
    return case.current_step == "case_plan" and plan_approved_at(session, case) is not None


def log_follow_up(session: Session, staff: Staff, case_id: str | uuid.UUID, *, kind: str, happened_at: datetime,
                  notes: str | None, next_due_at: datetime | None,
                  timelines: deadlines.Timelines) -> uuid.UUID:
    """Log a visit or a plan review; the next one due becomes that kind's deadline (a review's defaults monthly).

    A visit is a response to the family: it meets the first-response deadline. On a closed case only a visit is
    logged: it is the check after closure, and meets that deadline.
    """
    case = lock_case(session, staff, case_id)
    taxonomy.require(kind, taxonomy.FOLLOW_UP_KINDS, "follow-up kind")
    now = utcnow()
    if happened_at > now + CLOCK_SKEW:
        raise Refused("date_in_future")
    if case.status == "closed":
        if kind != "visit" or next_due_at is not None:
            raise Refused("closed_case_visit_only")
        deadlines.meet(session, "post_closure_check", case_id=case.id)
    else:
        if kind == "review" and not _plan_approved(session, case):
            raise Refused("review_needs_plan")
        if kind == "review" and next_due_at is None:
            next_due_at = timelines.review_due(happened_at)
        if next_due_at is not None and next_due_at <= now:
            raise Refused("next_due_in_past")
        if next_due_at is not None:
            # Visits and reviews have deadlines of their own: the next visit never pushes back the monthly review.
            deadlines.schedule(session, kind, next_due_at, case_id=case.id)
        if kind == "visit":
            meet_first_response(session, case.id)
    follow_up = CaseFollowUp(case_id=case.id, kind=kind, happened_at=happened_at,
                             notes=staff_text(notes, "notes", required=False), author_id=staff.id,
                             next_due_at=next_due_at, created_at=now)
    session.add(follow_up)
    session.flush()
    add_event(session, case.id, "follow_up", staff.id, kind)
    record_event(session, staff.id, "case.follow_up_logged", "case", case.id)
    return follow_up.id


def meet_first_response(session: Session, case_id: uuid.UUID) -> None:
    """The family has been reached (a visit, a message, the assessment begun): the first response is done."""
    deadlines.meet(session, "first_response", case_id=case_id)


def reopen_case(session: Session, staff: Staff, case_id: str | uuid.UUID, reason: str,
                timelines: deadlines.Timelines) -> None:
    """Reopen a closed case with the reason why (a supervisor's decision); it starts again at the assessment."""
    case = lock_case(session, staff, case_id, supervisor_only=True)
    if case.status != "closed":
        raise Refused("not_closed")
    if case.anonymised_at is not None:
        raise Refused("case_anonymised")  # nothing left to work on: a new report opens a new case
    narrative = staff_text(reason, "reason")
    now = utcnow()
    case.status, case.reopened_at, case.reopen_reason = "open", now, narrative
    case.closed_at = case.closure_reason = None
    deadlines.meet(session, "post_closure_check", case_id=case.id)
    add_event(session, case.id, "reopened", staff.id, narrative)
    # What brought the case back is assessed again, on the case's risk timeline.
    move_to(session, staff, case, "assessment")
    deadlines.schedule(session, "assessment", timelines.by_risk("assessment", timeline_risk(case), now),
                       case_id=case.id)
    record_event(session, staff.id, "case.reopened", "case", case.id)
    log.info("case %s reopened", case.id)


def _require_open(case: Case) -> None:
    if case.status != "open":
        raise Refused("not_open")


def _require_not_closed(case: Case) -> None:
    if case.status == "closed":
        raise Refused("case_closed")


def set_legal_hold(session: Session, staff: Staff, case_id: str | uuid.UUID, hold: bool, reason: str | None) -> None:
    """A supervisor puts the case under a legal hold (with why: a court, an investigation), or lifts it: a case
    under a hold is never anonymised, however long closed (casecore.retention)."""
    case = lock_case(session, staff, case_id, supervisor_only=True)
    if case.anonymised_at is not None:
        raise Refused("case_anonymised")
    # The reason stays in the timeline when the hold is lifted: why the case was kept is part of its record.
    said = staff_text(reason, "hold_reason") if hold else case.legal_hold_reason
    case.legal_hold, case.legal_hold_reason = hold, said if hold else None
    add_event(session, case.id, "legal_hold_set" if hold else "legal_hold_lifted", staff.id, said)
    record_event(session, staff.id, "case.legal_hold_set" if hold else "case.legal_hold_lifted", "case", case.id)
