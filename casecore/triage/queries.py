"""Read side of triage: the queue of new reports and a report's details (plain rows, only the columns a page
shows), the assignment dates of queued reports, and what was decided about a report."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from casecore.cases.models import Case
from casecore.deadlines.models import CaseDeadline
from casecore.directory.models import Service
from casecore.errors import NotFound
from casecore.people.models import Location, User
from casecore.phones import mask_phone
from casecore.reports.models import CommitteeMember, Report


@dataclass(frozen=True)
class QueueExtra:
    """What the queue adds to a new report: when it must be assigned, and whether a committee member sent it."""

    assign_by: datetime | None
    from_committee: bool


@dataclass(frozen=True)
class Decision:
    """A decided report's outcome, as its page shows it (the case link only; the case's content is on its page)."""

    status: str
    decided_at: datetime | None
    decided_by: str | None
    duplicate_of_id: uuid.UUID | None
    duplicate_of_reference: str | None
    not_eligible_reason: str | None
    note: str | None
    service_name: str | None
    case_id: uuid.UUID | None
    case_reference: str | None


def queue_extras(session: Session, report_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, QueueExtra]:
    """The assignment date and committee mark of each report, in one query over at most a page of ids."""
    ids = list(report_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Report.id, CaseDeadline.due_at, Report.committee_member_id)
        .outerjoin(CaseDeadline, and_(CaseDeadline.report_id == Report.id, CaseDeadline.kind == "assignment",
                                      CaseDeadline.met_at.is_(None)))
        .where(Report.id.in_(ids))
    )
    extras: dict[uuid.UUID, QueueExtra] = {}
    for report_id, due_at, member_id in rows:
        known = extras.get(report_id)
        # Should a report have two open assignment dates, the earlier one counts.
        if known is None or (due_at is not None and (known.assign_by is None or due_at < known.assign_by)):
            extras[report_id] = QueueExtra(due_at, member_id is not None)
    return extras


@dataclass(frozen=True)
class TriageFacts:
    """What deciding about a report needs besides its details: its language, its date, who sent it."""

    language: str
    assign_by: datetime | None
    committee: str | None


def triage_facts(session: Session, report_id: uuid.UUID) -> TriageFacts:
    """The reporter's language, the date by which the report must be assigned, and the sender's committee."""
    assign_by = (select(CaseDeadline.due_at)
                 .where(CaseDeadline.report_id == Report.id, CaseDeadline.kind == "assignment",
                        CaseDeadline.met_at.is_(None))
                 .order_by(CaseDeadline.due_at).limit(1).correlate(Report).scalar_subquery())
    row = session.execute(
        select(Report.language, assign_by, CommitteeMember.committee)
        .outerjoin(CommitteeMember, CommitteeMember.id == Report.committee_member_id)
        .where(Report.id == report_id)
    ).one()
    return TriageFacts(*row)


def decision_of(session: Session, organisation_id: uuid.UUID, report_id: uuid.UUID) -> Decision | None:
    """What was decided about a report of the organisation; None while it is new (or not the organisation's)."""
    original = aliased(Report)
    row = session.execute(
        select(Report.status, Report.decided_at, User.email, Report.duplicate_of_id, original.reference,
               Report.not_eligible_reason, Report.decision_note, Service.provider_name)
        .outerjoin(User, User.id == Report.decided_by_id)
        .outerjoin(original, original.id == Report.duplicate_of_id)
        .outerjoin(Service, Service.id == Report.referred_to_service_id)
        .where(Report.id == report_id, Report.organisation_id == organisation_id)
    ).first()
    if row is None or row.status == "new":
        return None
    case = session.execute(select(Case.id, Case.reference).where(Case.report_id == report_id)
                           .order_by(Case.opened_at.desc()).limit(1)).first()
    return Decision(row.status, row.decided_at, row.email, row.duplicate_of_id, row.reference,
                    row.not_eligible_reason, row.decision_note, row.provider_name,
                    case.id if case else None, case.reference if case else None)


def active_services(session: Session, organisation_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str]]:
    """(id, provider name, service type) of the organisation's active services, for referring a report out."""
    return [tuple(row) for row in session.execute(
        select(Service.id, Service.provider_name, Service.service_type)
        .where(Service.organisation_id == organisation_id, Service.is_active.is_(True))
        .order_by(Service.provider_name, Service.service_type)
    )]


TRIAGE_LIMIT = 200

@dataclass(frozen=True)
class TriageRow:
    """One new report as the triage list shows it; the reporter's number is already masked."""

    id: uuid.UUID
    reference: str
    received_at: datetime
    urgent: bool
    concern: str
    location_name: str | None
    child_sex: str
    child_age_band: str
    reporter_phone_masked: str


@dataclass(frozen=True)
class ReportDetail:
    """One report as its page shows it; reporter_phone is None unless the reporter consented to share it."""

    id: uuid.UUID
    reference: str
    channel: str
    received_at: datetime
    urgent: bool
    danger_now: bool
    concern: str
    child_sex: str
    child_age_band: str
    location_name: str | None
    region_name: str | None
    may_contact: bool
    consent_to_share: bool
    reporter_phone: str | None
    status: str
    description: str | None = None  # what the reporter wrote in their own words (text channels)


def triage_queue(session: Session, organisation_id: uuid.UUID, limit: int = TRIAGE_LIMIT) -> list[TriageRow]:
    """New reports of an organisation, urgent first then newest, at most limit."""
    # Filter and order match ix_report_triage (organisation_id, status, urgent, received_at) exactly, so the
    # database walks the index backwards and stops after `limit` rows, however many reports exist.
    rows = session.execute(
        select(
            Report.id,
            Report.reference,
            Report.received_at,
            Report.urgent,
            Report.concern,
            Location.name,
            Report.child_sex,
            Report.child_age_band,
            Report.reporter_phone,
        )
        .outerjoin(Location, Report.location_id == Location.id)
        .where(Report.organisation_id == organisation_id, Report.status == "new")
        .order_by(Report.urgent.desc(), Report.received_at.desc())
        .limit(limit)
    )
    return [
        TriageRow(rid, ref, received, urgent, concern, place, sex, age, mask_phone(phone))
        for rid, ref, received, urgent, concern, place, sex, age, phone in rows
    ]


def report_detail(session: Session, organisation_id: uuid.UUID, report_id: uuid.UUID) -> ReportDetail:
    """A report of this organisation; NotFound for an unknown id or another organisation's report."""
    report = session.scalar(
        select(Report).where(Report.id == report_id, Report.organisation_id == organisation_id)
    )
    if report is None:
        raise NotFound(f"no report {report_id}")
    location = session.get(Location, report.location_id) if report.location_id else None
    region = _region_of(session, location)
    phone = None
    if report.consent_to_share:
        # A number the provider sent in a form we could not parse is still the reporter's number.
        phone = report.reporter_phone or (report.answers or {}).get("reporter_phone_unparsed")
    return ReportDetail(
        id=report.id,
        reference=report.reference,
        channel=report.channel,
        received_at=report.received_at,
        urgent=report.urgent,
        danger_now=report.danger_now,
        concern=report.concern,
        child_sex=report.child_sex,
        child_age_band=report.child_age_band,
        location_name=location.name if location else None,
        region_name=region.name if region and region is not location else None,
        may_contact=report.may_contact,
        consent_to_share=report.consent_to_share,
        reporter_phone=phone,
        status=report.status,
        description=report.description,
    )


def _region_of(session: Session, location: Location | None) -> Location | None:
    # Three levels at most (region, cercle, commune); the bound also guards against a cycle in bad data.
    current = location
    for _ in range(3):
        if current is None or current.level == 1 or current.parent_id is None:
            return current
        current = session.get(Location, current.parent_id)
    return current
