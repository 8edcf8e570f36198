"""Read side of the case page and the approvals list: plain rows, family numbers masked, access checked first."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from casecore.access import Staff, require_case, visible_cases
from casecore.contacts import is_opted_out, language_for
from casecore.deadlines import open_deadlines
from casecore.family_outreach import family_contacts, family_route
from casecore.models import (
    Case,
    CaseApproval,
    CaseConsent,
    CaseDeadline,
    CaseEvent,
    CaseFollowUp,
    Location,
    Report,
    Team,
    User,
)
from casecore.phones import mask_phone

TIMELINE_LIMIT = 200
APPROVALS_LIMIT = 200


@dataclass(frozen=True)
class ReportSummary:
    """What the report said about the child: case content, shown on the case page only."""

    reference: str
    received_at: datetime
    channel: str
    concern: str
    danger_now: bool
    child_sex: str
    child_age_band: str
    location_name: str | None
    region_name: str | None
    description: str | None


@dataclass(frozen=True)
class FamilyNumber:
    """A linked number, masked, with the language and channel messages to it use."""

    id: uuid.UUID
    masked: str
    language: str | None
    channel: str
    opted_out: bool


@dataclass(frozen=True)
class ApprovalRow:
    """One request for approval and its answer; emails stand for the people."""

    id: uuid.UUID
    step: str
    content: str | None
    closure_reason: str | None
    requested_by: str | None
    requested_by_id: uuid.UUID
    requested_at: datetime
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None


@dataclass(frozen=True)
class TimelineEntry:
    """One timeline entry, with the step the case was at when it was written."""

    id: uuid.UUID
    at: datetime
    kind: str
    channel: str | None
    body: str | None
    author: str | None
    step: str


@dataclass(frozen=True)
class CasePage:
    """Everything the case page shows."""

    case: Case
    assigned_to: str | None
    team_name: str | None
    report: ReportSummary | None
    deadlines: list[CaseDeadline]
    family: list[FamilyNumber]
    consents: list[CaseConsent]
    approvals: list[ApprovalRow]
    follow_ups: list[tuple[CaseFollowUp, str | None]]
    timeline: list[TimelineEntry]


@dataclass(frozen=True)
class PendingApproval:
    """A request waiting for a supervisor, as the approvals list shows it: no case content."""

    approval_id: uuid.UUID
    case_id: uuid.UUID
    reference: str
    risk_level: str | None
    step: str
    requested_by: str | None
    requested_at: datetime


def case_page(session: Session, staff: Staff, case_id: str | uuid.UUID, sms_backend: str) -> CasePage:
    """The case as its page shows it; NotFound unless this person may see it."""
    case = require_case(session, staff, case_id)
    emails = _emails(session, case.id)
    team_name = session.scalar(select(Team.name).where(Team.id == case.team_id)) if case.team_id else None
    follow_ups = list(session.scalars(select(CaseFollowUp).where(CaseFollowUp.case_id == case.id)
                                      .order_by(CaseFollowUp.happened_at.desc())))
    return CasePage(
        case=case,
        assigned_to=emails.get(case.assigned_to_id),
        team_name=team_name,
        report=_report(session, case.report_id),
        deadlines=open_deadlines(session, case_id=case.id),
        family=[_family_number(session, contact, sms_backend) for contact in family_contacts(session, case.id)],
        consents=list(session.scalars(select(CaseConsent).where(CaseConsent.case_id == case.id)
                                      .order_by(CaseConsent.recorded_at.desc()))),
        approvals=_approvals(session, case.id, emails),
        follow_ups=[(item, emails.get(item.author_id)) for item in follow_ups],
        timeline=_timeline(session, case.id, emails),
    )


def pending_approvals(session: Session, staff: Staff, limit: int = APPROVALS_LIMIT) -> list[PendingApproval]:
    """Requests waiting for a decision on the cases this person sees, oldest first."""
    requester = aliased(User)
    rows = session.execute(
        select(CaseApproval.id, Case.id, Case.reference, Case.risk_level, CaseApproval.step, requester.email,
               CaseApproval.requested_at)
        .join(Case, Case.id == CaseApproval.case_id)
        .outerjoin(requester, requester.id == CaseApproval.requested_by_id)
        .where(CaseApproval.decision == "pending", visible_cases(staff))
        .order_by(CaseApproval.requested_at).limit(limit)
    )
    return [PendingApproval(*row) for row in rows]


def _emails(session: Session, case_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The emails of everyone who worked on the case, in one query."""
    ids = select(CaseEvent.author_user_id).where(CaseEvent.case_id == case_id).union(
        select(CaseApproval.requested_by_id).where(CaseApproval.case_id == case_id),
        select(CaseApproval.decided_by_id).where(CaseApproval.case_id == case_id),
        select(CaseFollowUp.author_id).where(CaseFollowUp.case_id == case_id),
        select(Case.assigned_to_id).where(Case.id == case_id),
    )
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def _report(session: Session, report_id: uuid.UUID | None) -> ReportSummary | None:
    report = session.get(Report, report_id) if report_id else None
    if report is None:
        return None
    location = session.get(Location, report.location_id) if report.location_id else None
    region = _region_of(session, location)
    return ReportSummary(
        reference=report.reference, received_at=report.received_at, channel=report.channel,
        concern=report.concern, danger_now=report.danger_now, child_sex=report.child_sex,
        child_age_band=report.child_age_band, location_name=location.name if location else None,
        region_name=region.name if region and region is not location else None, description=report.description,
    )


def _family_number(session: Session, contact, sms_backend: str) -> FamilyNumber:
    return FamilyNumber(contact.id, mask_phone(contact.phone), language_for(session, contact.phone),
                        family_route(session, contact.phone, sms_backend).channel,
                        is_opted_out(session, contact.phone))


def _approvals(session: Session, case_id: uuid.UUID, emails: dict) -> list[ApprovalRow]:
    approvals = session.scalars(select(CaseApproval).where(CaseApproval.case_id == case_id)
                                .order_by(CaseApproval.requested_at.desc()))
    return [ApprovalRow(a.id, a.step, a.content, a.closure_reason, emails.get(a.requested_by_id), a.requested_by_id,
                        a.requested_at, a.decision, emails.get(a.decided_by_id), a.decided_at, a.comment)
            for a in approvals]


def _timeline(session: Session, case_id: uuid.UUID, emails: dict) -> list[TimelineEntry]:
    """The latest entries, newest first; each knows the step the case was at, from the step changes before it."""
    events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                  .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(TIMELINE_LIMIT)))
    # Walk forwards from the step before the oldest entry shown.
    oldest = events[-1].at if events else None
    step = "registration"
    if oldest is not None:
        earlier = session.scalar(
            select(CaseEvent.body).where(CaseEvent.case_id == case_id, CaseEvent.kind == "step_changed",
                                         CaseEvent.at < oldest)
            .order_by(CaseEvent.at.desc()).limit(1))
        step = earlier or step
    entries = []
    for event in reversed(events):
        if event.kind == "step_changed" and event.body:
            step = event.body
        entries.append(TimelineEntry(event.id, event.at, event.kind, event.channel, event.body,
                                     emails.get(event.author_user_id), step))
    entries.reverse()
    return entries


def _region_of(session: Session, location: Location | None) -> Location | None:
    # Three levels at most (region, cercle, commune); the bound also guards against a cycle in bad data.
    current = location
    for _ in range(3):
        if current is None or current.level == 1 or current.parent_id is None:
            return current
        current = session.get(Location, current.parent_id)
    return current
