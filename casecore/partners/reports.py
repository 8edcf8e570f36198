"""Reports for partners: taking one in from a partner system, and reading an organisation's reports."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.cases.models import Case
from casecore.deadlines.timelines import Timelines
from casecore.errors import Conflict, InvalidInput, InvalidPhoneNumber, NotFound
from casecore.free_text import INVISIBLE
from casecore.partners.paging import ListFilters, page_query
from casecore.partners.tokens import TokenHolder
from casecore.people.models import Location
from casecore.phones import normalise_phone
from casecore.references import clean_reference, is_valid_reference
from casecore.reports.intake import ReportDraft, SubmittedReport, submit_report
from casecore.reports.models import Report

CHANNEL = "api"
# In the report's answers (sealed with them): which partner sent it, and a digest of what it sent.
PARTNER_ANSWER = "api_client"
REQUEST_ANSWER = "api_request_sha256"


@dataclass(frozen=True)
class PartnerReport:
    """What a partner system sends: the conversations' questions, answered in list-of-values codes."""

    concern: str
    danger_now: bool
    child_sex: str
    child_age_band: str
    language: str = "fr"
    kind: str = "child_at_risk"
    location_code: str | None = None
    description: str | None = None
    last_seen: str | None = None
    relationship: str | None = None
    reporter_phone: str | None = None
    consent_to_share: bool = False
    may_contact: bool = False


def request_digest(body: Any) -> str:
    """A digest of a request, the same for the same JSON whatever its key order or spacing (given the report with
    its defaults filled in, the same for a default sent or left out)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def take_report(session: Session, holder: TokenHolder, report: PartnerReport, *, idempotency_key: str | None,
                digest: str, default_region: str, timelines: Timelines | None) -> SubmittedReport:
    """Store a partner's report for the token's organisation, once per idempotency key: the same key again gives
    the first report back; with a different request, Conflict. InvalidInput for a value the lists refuse."""
    if report.location_code is not None and (
            # Never a place's code, and PostgreSQL cannot even compare a text holding a NUL.
            INVISIBLE.search(report.location_code)
            or session.scalar(select(Location.id).where(Location.code == report.location_code)) is None):
        raise InvalidInput(f"location_code: {report.location_code!r} is not a known place code")
    keeps_number = bool(report.reporter_phone) and report.consent_to_share
    if report.reporter_phone:
        try:
            normalise_phone(report.reporter_phone, default_region)
        except InvalidPhoneNumber:
            raise InvalidInput("reporter.phone: not a phone number") from None
    if report.may_contact and not keeps_number:
        raise InvalidInput("reporter.may_contact: only with a phone number given with consent_to_share")
    draft = ReportDraft(
        channel=CHANNEL,
        # The key, per token: a retried post lands on the same report (the channel-session constraint).
        channel_session_id=f"{holder.id}:{idempotency_key}" if idempotency_key else None,
        reporter_phone=report.reporter_phone if keeps_number else None,
        language=report.language, concern=report.concern, danger_now=report.danger_now,
        child_sex=report.child_sex, child_age_band=report.child_age_band, location_code=report.location_code,
        may_contact=report.may_contact and keeps_number, consent_to_share=report.consent_to_share,
        answers={PARTNER_ANSWER: holder.name, REQUEST_ANSWER: digest}, kind=report.kind,
        description=report.description, last_seen=report.last_seen, relationship=report.relationship,
    )
    submitted = submit_report(session, draft, organisation_id=holder.organisation_id, default_region=default_region,
                              timelines=timelines)
    if not submitted.is_new:
        first = session.get(Report, submitted.id)
        if first is None or (first.answers or {}).get(REQUEST_ANSWER) != digest:
            raise Conflict("this Idempotency-Key was used with a different request")
    return submitted


def report_by_reference(session: Session, holder: TokenHolder, reference: str) -> tuple[Report, str | None, str | None]:
    """The organisation's report with this reference, its place code and its case's reference; NotFound else."""
    # As people write it (case, spaces, dashes); what cannot be a reference is looked up nowhere (a NUL would not
    # even reach PostgreSQL).
    code = clean_reference(reference)
    row = session.execute(_reports(holder).where(Report.reference == code)).first() \
        if is_valid_reference(code) else None
    if row is None:
        raise NotFound("no such report")
    return row[0], row[1], row[2]


def list_reports(session: Session, holder: TokenHolder, filters: ListFilters,
                 limit: int) -> tuple[list[tuple[Report, str | None, str | None]], bool]:
    """The organisation's reports, oldest received first, at most limit, and whether more follow."""
    query = page_query(_reports(holder), filters, status=Report.status, at=Report.received_at, row_id=Report.id,
                       limit=limit)
    rows = [tuple(row) for row in session.execute(query)]
    return rows[:limit], len(rows) > limit


def _reports(holder: TokenHolder):
    # Need to know: what some role of the token's organisation may see; a report opened into a case that was
    # transferred to another organisation is that case's content, and goes with it.
    case = select(Case.reference).where(Case.report_id == Report.id).order_by(Case.opened_at).limit(1)
    moved = select(Case.id).where(Case.report_id == Report.id, Case.organisation_id != holder.organisation_id)
    return (select(Report, Location.code, case.scalar_subquery())
            .outerjoin(Location, Location.id == Report.location_id)
            .where(Report.organisation_id == holder.organisation_id, ~moved.exists()))

