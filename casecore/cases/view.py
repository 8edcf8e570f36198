"""Read side of the case page and the approvals list: plain rows, family numbers masked, access checked first."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, aliased

from casecore.cases.access import require_case, visible_cases
from casecore.cases.models import Case, CaseApproval, CaseConsent, CaseEvent, CaseFollowUp
from casecore.cases.outreach import family_contacts
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import open_deadlines
from casecore.messaging.models import CommunityContact
from casecore.messaging.routes import family_route
from casecore.paging import Page, fetch_page
from casecore.people.models import Location, Team, User
from casecore.people.roles import Staff
from casecore.phones import mask_phone, sender_phone
from casecore.reports.models import Report

TIMELINE_LIMIT = 200
# The page reads plain rows (Core selects of the columns it shows), not ORM objects: a long case has hundreds of
# timeline entries and follow-ups, and building an ORM object for each cost more than the queries themselves.
CONSENT_COLUMNS = (CaseConsent.id, CaseConsent.purpose, CaseConsent.given, CaseConsent.given_by, CaseConsent.note,
                   CaseConsent.recorded_at, CaseConsent.withdrawn_at, CaseConsent.child_assent)
FOLLOW_UP_COLUMNS = (CaseFollowUp.id, CaseFollowUp.kind, CaseFollowUp.happened_at, CaseFollowUp.notes,
                     CaseFollowUp.author_id, CaseFollowUp.next_due_at)


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
    """One request for approval and its answer; display names stand for the people."""

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
    closure_criteria: list[str]


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
    consents: list[Row]  # CONSENT_COLUMNS, newest first
    approvals: list[ApprovalRow]
    follow_ups: list[tuple[Row, str | None]]  # FOLLOW_UP_COLUMNS and the author's name, latest first
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
    names = _names(session, case.id)
    team_name = session.scalar(select(Team.name).where(Team.id == case.team_id)) if case.team_id else None
    follow_ups = session.execute(select(*FOLLOW_UP_COLUMNS).where(CaseFollowUp.case_id == case.id)
                                 .order_by(CaseFollowUp.happened_at.desc())).all()
    return CasePage(
        case=case,
        assigned_to=names.get(case.assigned_to_id),
        team_name=team_name,
        report=_report(session, case.report_id),
        deadlines=open_deadlines(session, case_id=case.id),
        family=_family(session, case.id, sms_backend),
        consents=session.execute(select(*CONSENT_COLUMNS).where(CaseConsent.case_id == case.id)
                                 .order_by(CaseConsent.recorded_at.desc())).all(),
        approvals=_approvals(session, case.id, names),
        follow_ups=[(item, names.get(item.author_id)) for item in follow_ups],
        timeline=_timeline(session, case.id, names),
    )


def pending_approvals(session: Session, staff: Staff, page: int = 1) -> Page:
    """One page of the requests waiting for a decision on the cases this person sees, oldest first."""
    requester = aliased(User)
    found = fetch_page(session, (
        select(CaseApproval.id, Case.id, Case.reference, Case.risk_level, CaseApproval.step, requester.display_name,
               CaseApproval.requested_at)
        .join(Case, Case.id == CaseApproval.case_id)
        .outerjoin(requester, requester.id == CaseApproval.requested_by_id)
        .where(CaseApproval.decision == "pending", visible_cases(staff))
        .order_by(CaseApproval.requested_at, CaseApproval.id)), page)
    return replace(found, rows=tuple(PendingApproval(*row) for row in found.rows))


def _names(session: Session, case_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The display names of everyone who worked on the case, in one query."""
    ids = select(CaseEvent.author_user_id).where(CaseEvent.case_id == case_id).union(
        select(CaseApproval.requested_by_id).where(CaseApproval.case_id == case_id),
        select(CaseApproval.decided_by_id).where(CaseApproval.case_id == case_id),
        select(CaseFollowUp.author_id).where(CaseFollowUp.case_id == case_id),
        select(Case.assigned_to_id).where(Case.id == case_id),
    )
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _report_query():
    """What a report said with its place and up to three levels above it (_region_of walks them the way
    casecore.triage.queries does), built once: making the aliases cost more than running the query."""
    places = [aliased(Location, name=f"place_{n}") for n in range(4)]
    query = select(Report.reference, Report.received_at, Report.channel, Report.concern, Report.danger_now,
                   Report.child_sex, Report.child_age_band, Report.description,
                   *(column for place in places for column in (place.id, place.name, place.level, place.parent_id)))
    query = query.outerjoin(places[0], places[0].id == Report.location_id)
    for child, parent in pairwise(places):
        query = query.outerjoin(parent, parent.id == child.parent_id)
    return query.where(Report.id == bindparam("report_id"))


_REPORT_QUERY = _report_query()


def _report(session: Session, report_id: uuid.UUID | None) -> ReportSummary | None:
    """What the report said, with its place and the region above it, in one query."""
    if report_id is None:
        return None
    row = session.execute(_REPORT_QUERY, {"report_id": report_id}).first()
    if row is None:
        return None
    chain = [_Place(*row[8 + 4 * n:12 + 4 * n]) for n in range(4)]
    location, region = chain[0], _region_of(chain)
    return ReportSummary(
        reference=row.reference, received_at=row.received_at, channel=row.channel, concern=row.concern,
        danger_now=row.danger_now, child_sex=row.child_sex, child_age_band=row.child_age_band,
        location_name=location.name if location.id else None,
        region_name=region.name if region.id and region.id != location.id else None, description=row.description,
    )


def _family(session: Session, case_id: uuid.UUID, sms_backend: str) -> list[FamilyNumber]:
    """The linked numbers, masked, with each one's language and opt-out read in one query, and its route."""
    contacts = [(sender_phone(contact.phone), contact) for contact in family_contacts(session, case_id)]
    remembered = {phone: (language, opted_out_at) for phone, language, opted_out_at in session.execute(
        select(CommunityContact.phone, CommunityContact.language, CommunityContact.opted_out_at)
        .where(CommunityContact.phone.in_({phone for phone, _ in contacts})))} if contacts else {}
    numbers = []
    for phone, contact in contacts:
        language, opted_out_at = remembered.get(phone, (None, None))
        numbers.append(FamilyNumber(contact.id, mask_phone(contact.phone), language,
                                    family_route(session, contact.phone, sms_backend).channel,
                                    opted_out_at is not None))
    return numbers


def _approvals(session: Session, case_id: uuid.UUID, names: dict) -> list[ApprovalRow]:
    approvals = session.execute(
        select(CaseApproval.id, CaseApproval.step, CaseApproval.content, CaseApproval.closure_reason,
               CaseApproval.requested_by_id, CaseApproval.requested_at, CaseApproval.decision,
               CaseApproval.decided_by_id, CaseApproval.decided_at, CaseApproval.comment,
               CaseApproval.closure_criteria)
        .where(CaseApproval.case_id == case_id).order_by(CaseApproval.requested_at.desc()))
    return [ApprovalRow(a.id, a.step, a.content, a.closure_reason, names.get(a.requested_by_id), a.requested_by_id,
                        a.requested_at, a.decision, names.get(a.decided_by_id), a.decided_at, a.comment,
                        list(a.closure_criteria or []))
            for a in approvals]


def _timeline(session: Session, case_id: uuid.UUID, names: dict) -> list[TimelineEntry]:
    """The latest entries, newest first; each knows the step the case was at, from the step changes before it."""
    events = session.execute(
        select(CaseEvent.id, CaseEvent.at, CaseEvent.kind, CaseEvent.channel, CaseEvent.body,
               CaseEvent.author_user_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(TIMELINE_LIMIT)).all()
    # Walk forwards from the step before the oldest entry shown (only a long timeline has entries before it).
    oldest = events[-1].at if len(events) == TIMELINE_LIMIT else None
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
                                     names.get(event.author_user_id), step))
    entries.reverse()
    return entries


@dataclass(frozen=True)
class _Place:
    """A place of the report's chain (all None past the top)."""

    id: uuid.UUID | None
    name: str | None
    level: int | None
    parent_id: uuid.UUID | None


def _region_of(chain: list[_Place]) -> _Place:
    # Three levels at most (region, cercle, commune); the bound also guards against a cycle in bad data.
    for place in chain[:-1]:
        if place.id is None or place.level == 1 or place.parent_id is None:
            return place
    return chain[-1]
