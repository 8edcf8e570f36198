"""Best interests (UNHCR Best Interests Procedure, 2021; CPMS standard 18; domain notes, "Best interests").

A best-interest assessment (BIA) by the case worker for every unaccompanied or separated child and for children at
heightened risk where a decision on care is needed; a best-interest determination (BID) by a panel of at least
three people (not the case worker alone), the child's views heard and recorded, before durable solutions,
separating a child from parents against their will, or long-term alternative care. A supervisor signs the
determination off; until then it is a draft the page says is waiting.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.casework import add_event, lock_case, lock_open_case, past_or_today
from casecore.cases.record_models import BestInterestAssessment, BestInterestDetermination, ChildRegistration
from casecore.errors import NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.people.roles import Staff

MIN_PANEL = 3
MAX_PANEL = 10
PANEL_ENTRY_LENGTH = 200


@dataclass(frozen=True)
class BestInterests:
    """What the case page shows: the assessments and determinations, latest first, and whether one is due."""

    assessments: list[BestInterestAssessment]
    determinations: list[BestInterestDetermination]
    assessment_needed: bool


def record_assessment(session: Session, staff: Staff, case_id: str | uuid.UUID, *, done_on: date | None,
                      reason: str, findings: str | None, child_views: str | None, recommendation: str | None,
                      today: date) -> uuid.UUID:
    """Record a best-interest assessment on an open case."""
    case = lock_open_case(session, staff, case_id)
    if reason not in taxonomy.BIA_REASONS:
        raise Refused("bia_reason")
    row = BestInterestAssessment(
        case_id=case.id, done_on=past_or_today(done_on, today), reason=reason,
        findings=staff_text(findings, "findings"),
        child_views=staff_text(child_views, "child_views"), recommendation=staff_text(recommendation, "recommendation"),
        recorded_by_id=staff.id, created_at=utcnow())
    session.add(row)
    session.flush()
    add_event(session, case.id, "bia", staff.id)
    record_event(session, staff.id, "case.bia_recorded", "case", case.id)
    return row.id


def record_determination(session: Session, staff: Staff, case_id: str | uuid.UUID, *, held_on: date | None,
                         panel: Sequence[str], evidence: str | None, child_views: str | None, decision: str | None,
                         reasons: str | None, dissent: str | None, follow_up: str | None, today: date) -> uuid.UUID:
    """Record a panel's best-interest determination; it waits for a supervisor's sign-off."""
    case = lock_open_case(session, staff, case_id)
    members = [" ".join(member.split()) for member in panel if (member or "").strip()]
    if len({member.casefold() for member in members}) < MIN_PANEL:
        raise Refused("bid_panel")
    if len(members) > MAX_PANEL or any(len(member) > PANEL_ENTRY_LENGTH for member in members):
        raise Refused("bid_panel_too_long")
    row = BestInterestDetermination(
        case_id=case.id, held_on=past_or_today(held_on, today), panel=members,
        evidence=staff_text(evidence, "evidence"),
        child_views=staff_text(child_views, "child_views"), decision=staff_text(decision, "decision"),
        reasons=staff_text(reasons, "reasons"), dissent=staff_text(dissent, "dissent", required=False),
        follow_up=staff_text(follow_up, "follow_up", required=False), recorded_by_id=staff.id, created_at=utcnow())
    session.add(row)
    session.flush()
    add_event(session, case.id, "bid", staff.id)
    record_event(session, staff.id, "case.bid_recorded", "case", case.id)
    return row.id


def sign_off(session: Session, staff: Staff, case_id: str | uuid.UUID, determination_id: str | uuid.UUID) -> None:
    """A supervisor signs a determination off (not one they recorded themselves)."""
    case = lock_case(session, staff, case_id, supervisor_only=True)
    row = session.get(BestInterestDetermination, parse_id(determination_id, "determination"))
    if row is None or row.case_id != case.id:
        raise NotFound(f"determination {determination_id} not found")
    if row.signed_off_at is not None:
        raise Refused("already_decided")
    if row.recorded_by_id == staff.id:
        raise Refused("own_request")
    row.signed_off_by_id, row.signed_off_at = staff.id, utcnow()
    add_event(session, case.id, "bid_signed_off", staff.id)
    record_event(session, staff.id, "case.bid_signed_off", "case", case.id)


def best_interests_of(session: Session, case_id: uuid.UUID) -> BestInterests:
    """The case's best-interest records; an assessment is needed for an unaccompanied or separated child who has
    none (the caller has checked the person may see the case)."""
    assessments = list(session.scalars(select(BestInterestAssessment).where(
        BestInterestAssessment.case_id == case_id).order_by(BestInterestAssessment.done_on.desc())))
    determinations = list(session.scalars(select(BestInterestDetermination).where(
        BestInterestDetermination.case_id == case_id).order_by(BestInterestDetermination.held_on.desc())))
    separated = session.scalar(select(ChildRegistration.protection_status).where(
        ChildRegistration.case_id == case_id)) in taxonomy.PROTECTION_STATUSES
    return BestInterests(assessments, determinations, separated and not assessments)

