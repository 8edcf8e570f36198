"""Read-side queries for the web view: plain rows, only the columns a page shows, separate from the write path."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.errors import NotFound
from casecore.people.models import Location
from casecore.phones import mask_phone
from casecore.reports.models import Report

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
