"""Read side of triage: the queue of new reports by assignment date, filtered and paged, with its counts; a report's
details (plain rows, only the columns a page shows), and what was decided about a report."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from casecore import taxonomy
from casecore.cases.models import Case
from casecore.deadlines.models import CaseDeadline
from casecore.directory.models import Service
from casecore.errors import InvalidInput, NotFound
from casecore.paging import parse_page
from casecore.people.models import Location, User
from casecore.phones import mask_phone
from casecore.reports.models import CommitteeMember, Report


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
        select(Report.status, Report.decided_at, User.display_name, Report.duplicate_of_id, original.reference,
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
    return Decision(row.status, row.decided_at, row.display_name, row.duplicate_of_id, row.reference,
                    row.not_eligible_reason, row.decision_note, row.provider_name,
                    case.id if case else None, case.reference if case else None)


def active_services(session: Session, organisation_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str]]:
    """(id, provider name, service type) of the organisation's active services, for referring a report out."""
    return [tuple(row) for row in session.execute(
        select(Service.id, Service.provider_name, Service.service_type)
        .where(Service.organisation_id == organisation_id, Service.is_active.is_(True))
        .order_by(Service.provider_name, Service.service_type)
    )]


def reference_of(session: Session, report_id: uuid.UUID) -> str:
    """A report's reference (the original a duplicate points at, for its confirmation)."""
    return session.scalar(select(Report.reference).where(Report.id == report_id)) or ""


def service_name(session: Session, service_id: uuid.UUID) -> str:
    """A service of the directory as a person reads it: its provider's name."""
    return session.scalar(select(Service.provider_name).where(Service.id == service_id)) or ""


QUEUE_PAGE_SIZE = 50
URGENCY_FILTERS = ("urgent", "not_urgent")
FILTER_NAMES = ("urgency", "concern", "region", "channel", "age")


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to (None: everything) and the page shown."""

    urgency: str | None = None  # URGENCY_FILTERS
    concern: str | None = None  # taxonomy.PROTECTION_CONCERNS
    region: str | None = None  # a region's code: reports placed in it, at any level below
    channel: str | None = None  # taxonomy.CHANNELS
    age: str | None = None  # the child's age band, taxonomy.AGE_BANDS
    page: int = 1

    @property
    def narrowed(self) -> bool:
        return any(getattr(self, name) for name in FILTER_NAMES)

    def query_args(self, **changes) -> dict[str, str | int]:
        """The filters as query-string arguments (for links to other pages of the same list)."""
        values = {name: getattr(self, name) for name in (*FILTER_NAMES, "page")}
        values.update(changes)
        return {name: value for name, value in values.items()
                if value not in (None, "") and not (name == "page" and value == 1)}


def parse_queue_filters(args: Mapping[str, str]) -> QueueFilters:
    """The queue's filters from a query string (absent or empty: not filtered); InvalidInput when a value is not
    one of its list's."""
    def pick(name: str, allowed: Iterable[str]) -> str | None:
        value = (args.get(name) or "").strip() or None
        if value is not None and value not in allowed:
            raise InvalidInput(f"{name} must be one of {', '.join(allowed)}")
        return value

    region = (args.get("region") or "").strip() or None
    if region is not None and (len(region) > 32 or not region.replace("-", "").replace("_", "").isalnum()):
        raise InvalidInput("region must be a location code")
    return QueueFilters(pick("urgency", URGENCY_FILTERS), pick("concern", taxonomy.PROTECTION_CONCERNS), region,
                        pick("channel", taxonomy.CHANNELS), pick("age", taxonomy.AGE_BANDS),
                        parse_page(args.get("page")))


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
    channel: str = ""
    assign_by: datetime | None = None
    from_committee: bool = False


@dataclass(frozen=True)
class QueueCounts:
    """The whole queue at a glance, whatever the filters: new reports, urgent ones, ones past their assignment date."""

    new: int
    urgent: int
    overdue: int


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue as filtered, and whether another follows."""

    rows: tuple[TriageRow, ...]
    page: int
    has_next: bool


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


def _assign_by():
    # A report's open assignment date (the earlier, should it have two), found through case_deadline's report index
    # for each new report only: what the queue is ordered by.
    return (select(func.min(CaseDeadline.due_at))
            .where(CaseDeadline.report_id == Report.id, CaseDeadline.kind == "assignment",
                   CaseDeadline.met_at.is_(None))
            .correlate(Report).scalar_subquery())


def queue_counts(session: Session, organisation_id: uuid.UUID, now: datetime) -> QueueCounts:
    """How many new reports the organisation has, how many are urgent, how many are past their assignment date."""
    new, urgent, overdue = session.execute(
        select(func.count(), func.count().filter(Report.urgent.is_(True)), func.count().filter(_assign_by() <= now))
        .where(Report.organisation_id == organisation_id, Report.status == "new")
    ).one()
    return QueueCounts(new, urgent, overdue)


def _queue_order(assign_by) -> tuple:
    # The most overdue first, then the nearest; undated last; the oldest first among equals; the id for a stable page.
    return assign_by.is_(None), assign_by, Report.received_at, Report.id


def next_in_queue(session: Session, organisation_id: uuid.UUID, after: uuid.UUID) -> uuid.UUID | None:
    """The first new report of the queue other than after (the report just seen or decided), None when none waits."""
    assign_by = _assign_by()
    return session.scalar(
        select(Report.id)
        .where(Report.organisation_id == organisation_id, Report.status == "new", Report.id != after)
        .order_by(*_queue_order(assign_by)).limit(1))


def triage_queue(session: Session, organisation_id: uuid.UUID, filters: QueueFilters = QueueFilters(),
                 page_size: int = QUEUE_PAGE_SIZE) -> QueuePage:
    """One page of the organisation's new reports as filtered, by assignment date: the most overdue first, then the
    nearest; a report with no date last; the oldest first among equals."""
    assign_by = _assign_by().label("assign_by")
    region, cercle = aliased(Location), aliased(Location)
    query = (
        select(Report.id, Report.reference, Report.received_at, Report.urgent, Report.concern, Location.name,
               Report.child_sex, Report.child_age_band, Report.reporter_phone, Report.channel, assign_by,
               Report.committee_member_id.is_not(None))
        .outerjoin(Location, Report.location_id == Location.id)
        # The organisation's new reports come from ix_report_triage's first two columns: only those are sorted.
        .where(Report.organisation_id == organisation_id, Report.status == "new")
    )
    if filters.urgency is not None:
        query = query.where(Report.urgent.is_(filters.urgency == "urgent"))
    for column, value in ((Report.concern, filters.concern), (Report.channel, filters.channel),
                          (Report.child_age_band, filters.age)):
        if value is not None:
            query = query.where(column == value)
    if filters.region is not None:
        # A report is placed at a commune (or higher): its region is itself or one of its two parents.
        query = (query.outerjoin(cercle, cercle.id == Location.parent_id)
                 .outerjoin(region, region.id == cercle.parent_id)
                 .where(or_(Location.code == filters.region, cercle.code == filters.region,
                            region.code == filters.region)))
    rows = session.execute(
        query.order_by(*_queue_order(assign_by))
        .offset((filters.page - 1) * page_size).limit(page_size + 1)
    ).all()
    return QueuePage(tuple(
        TriageRow(rid, ref, received, urgent, concern, place, sex, age, mask_phone(phone), channel, assign_by,
                  from_committee)
        for rid, ref, received, urgent, concern, place, sex, age, phone, channel, assign_by, from_committee
        in rows[:page_size]), filters.page, len(rows) > page_size)


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
