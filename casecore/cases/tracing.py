"""Tracing and reunification (forms 4.B-4.E) for separated and unaccompanied children.

Tracing actions record where staff looked, whom they reached and how it ended. Community tracing requests (reports
of a missing child, kind "tracing", of the same organisation) are scored against the registered child (sex, age,
place, names) and the likely ones proposed; staff confirm or reject each, verify the family link, and date the
reunification, which sets a follow-up visit two weeks later. When the link is verified, the person who asked is
told by SMS that there is news, with the request's reference only (no child, no place, no agency), and their
number is linked to the case so that their replies reach the case worker.
"""
from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.access import visible_cases
from casecore.cases.ages import current_age
from casecore.cases.casework import add_event, lock_open_case, past_or_today, record_changed
from casecore.cases.models import Case
from casecore.cases.opening import add_case_contact
from casecore.cases.record_models import ChildRegistration, TraceMatch, TracingAction
from casecore.deadlines import timelines as deadlines
from casecore.errors import NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.messaging.contacts import language_for
from casecore.messaging.outbox import queue_message
from casecore.people.locations import commune_id
from casecore.people.models import Location
from casecore.people.roles import Staff
from casecore.reports.models import Report

# A proposal needs at least this score (the sex and the age agreeing; a name with either; a shared commune or cercle
# with one of them).
PROPOSE_FROM = 4
# Tracing requests still looked for: not found duplicates, not eligible, closed or handed over to CPIMS+.
OPEN_REQUESTS = ("new", "accepted", "referred")
AGE_BANDS = {"0_5": (0, 5), "6_11": (6, 11), "12_17": (12, 17)}
# Estimated ages are often a year off: a band this much wider still agrees, for a lower score.
AGE_TOLERANCE = 1
VISIT_AFTER_REUNIFICATION = timedelta(days=14)
MIN_NAME_LENGTH = 3


@dataclass(frozen=True)
class Child:
    """What matching knows of the registered child."""

    sex: str
    age: int | None
    places: tuple[uuid.UUID, ...]  # the place, its cercle and region (nearest first)
    names: tuple[str, ...]


@dataclass(frozen=True)
class Request:
    """What matching knows of a tracing request."""

    sex: str
    age_band: str
    places: tuple[uuid.UUID, ...]
    description: str | None


def score(child: Child, request: Request) -> tuple[int, list[str]]:
    """How likely the request is about the child, and why (codes); 0 when the sex or the age rules it out."""
    total, reasons = 0, []
    if "unknown" not in (child.sex, request.sex):
        if child.sex != request.sex:
            return 0, []
        total, reasons = total + 2, reasons + ["sex"]
    band = AGE_BANDS.get(request.age_band)
    if child.age is not None and band is not None:
        low, high = band
        if low <= child.age <= high:
            total, reasons = total + 2, reasons + ["age"]
        elif low - AGE_TOLERANCE <= child.age <= high + AGE_TOLERANCE:
            total, reasons = total + 1, reasons + ["age_near"]
        else:
            return 0, []
    for level, (points, code) in enumerate(((3, "same_commune"), (2, "same_cercle"), (1, "same_region"))):
        mine = child.places[level] if level < len(child.places) else None
        theirs = request.places[level] if level < len(request.places) else None
        if mine is not None and mine == theirs:
            total, reasons = total + points, reasons + [code]
            break
    words = set(_words(request.description or ""))
    if any(name in words for name in child.names):
        total, reasons = total + 3, reasons + ["name"]
    return total, reasons


def propose_matches(session: Session, staff: Staff, case_id: str | uuid.UUID, today: date) -> int:
    """Score the organisation's tracing requests against the case's registered child and propose the likely ones
    not already proposed; returns how many were added."""
    case = lock_open_case(session, staff, case_id)
    child = _child(session, case, today)
    known = set(session.scalars(select(TraceMatch.report_id).where(TraceMatch.case_id == case.id)))
    added = 0
    for report in session.scalars(select(Report).where(
            Report.organisation_id == case.organisation_id, Report.kind == "tracing", Report.id != case.report_id,
            Report.status.in_(OPEN_REQUESTS),
            # A request opened into a case this person may not see is that case's content.
            ~exists().where(Case.report_id == Report.id, ~visible_cases(staff)))):
        if report.id in known:
            continue
        points, reasons = score(child, Request(report.child_sex, report.child_age_band,
                                               _places(session, report.location_id), report.description))
        if points >= PROPOSE_FROM:
            session.add(TraceMatch(case_id=case.id, report_id=report.id, score=points, reasons=reasons,
                                   status="proposed", proposed_at=utcnow()))
            added += 1
    session.flush()
    record_event(session, staff.id, "case.tracing_searched", "case", case.id)
    return added


def decide_match(session: Session, staff: Staff, case_id: str | uuid.UUID, match_id: str | uuid.UUID,
                 confirm: bool) -> None:
    """Confirm a proposed match (the request is about this child) or reject it."""
    case = lock_open_case(session, staff, case_id)
    match = _match(session, case, match_id)
    if match.status != "proposed":
        raise Refused("already_decided")
    match.status = "confirmed" if confirm else "rejected"
    match.decided_by_id, match.decided_at = staff.id, utcnow()
    add_event(session, case.id, "tracing_match", staff.id, match.status)
    record_event(session, staff.id, f"case.match_{match.status}", "case", case.id)


def verify_link(session: Session, staff: Staff, case_id: str | uuid.UUID, match_id: str | uuid.UUID, *,
                verified_on: date | None, how: str | None, today: date, news_text: Callable[[str, str], str],
                backend: str, default_region: str | None = None) -> list[uuid.UUID]:
    """Record that the family link of a confirmed match was verified; tell the person who asked (once) that there
    is news, and link their number to the case. Returns the messages to send."""
    case = lock_open_case(session, staff, case_id)
    match = _match(session, case, match_id)
    if match.status != "confirmed":
        raise Refused("match_not_confirmed")
    match.verified_on = past_or_today(verified_on, today)
    match.verification = staff_text(how, "verification")
    add_event(session, case.id, "tracing_verified", staff.id)
    record_event(session, staff.id, "case.family_link_verified", "case", case.id)
    report = session.get(Report, match.report_id)
    if match.news_sent_at is not None or not (report.reporter_phone and report.may_contact
                                              and report.consent_to_share):
        return []
    add_case_contact(session, case.id, report.reporter_phone, default_region=default_region)
    language = language_for(session, report.reporter_phone) or report.language
    if language not in taxonomy.COMMUNITY_LANGUAGES:
        language = "fr"
    sent = queue_message(session, purpose_key=f"tracing-news:{match.id}", to_phone=report.reporter_phone,
                         body=news_text(language, report.reference), backend=backend,
                         organisation_id=case.organisation_id)
    match.news_sent_at = utcnow()
    return [sent.id] if sent.status == "queued" else []


def record_reunification(session: Session, staff: Staff, case_id: str | uuid.UUID, match_id: str | uuid.UUID, *,
                         reunified_on: date | None, today: date) -> None:
    """Date the child's reunification with the family of a verified match; a follow-up visit is due two weeks on."""
    case = lock_open_case(session, staff, case_id)
    match = _match(session, case, match_id)
    if match.verified_on is None:
        raise Refused("link_not_verified")
    match.reunified_on = past_or_today(reunified_on, today)
    due = datetime.combine(match.reunified_on + VISIT_AFTER_REUNIFICATION, time(12), timezone.utc)
    if due > utcnow():
        deadlines.schedule(session, "visit", due, case_id=case.id)
    add_event(session, case.id, "reunified", staff.id)
    record_event(session, staff.id, "case.reunified", "case", case.id)


def record_tracing_action(session: Session, staff: Staff, case_id: str | uuid.UUID, *, done_on: date | None,
                          location_code: str | None, address: str | None, contacted: str | None,
                          action: str | None, outcome: str, today: date) -> uuid.UUID:
    """Record a tracing action: when, where, whom it reached, what was done, how it ended."""
    case = lock_open_case(session, staff, case_id)
    if outcome not in taxonomy.TRACING_OUTCOMES:
        raise Refused("tracing_outcome")
    location_id = None
    if location_code:
        location_id = commune_id(session, location_code)
        if location_id is None:
            raise Refused("registration_location")
    row = TracingAction(case_id=case.id, done_on=past_or_today(done_on, today), location_id=location_id,
                        address=staff_text(address, "address", required=False),
                        contacted=staff_text(contacted, "contacted", required=False),
                        action=staff_text(action, "action"), outcome=outcome, recorded_by_id=staff.id,
                        created_at=utcnow())
    session.add(row)
    session.flush()
    record_changed(case)
    add_event(session, case.id, "tracing_action", staff.id, outcome)
    record_event(session, staff.id, "case.tracing_action", "case", case.id)
    return row.id


@dataclass(frozen=True)
class MatchRow:
    """A match as the case page shows it: the request's reference and what it said, the score and its reasons."""

    id: uuid.UUID
    reference: str
    received_at: datetime
    sex: str
    age_band: str
    place: str | None
    description: str | None
    score: int
    reasons: list[str]
    status: str
    verified_on: date | None
    verification: str | None
    reunified_on: date | None
    news_sent: bool


def tracing_of(session: Session, case_id: uuid.UUID) -> tuple[list[TracingAction], list[MatchRow]]:
    """The case's tracing actions (latest first) and its matches (best first) for the page (the caller has checked
    the person may see the case)."""
    actions = list(session.scalars(select(TracingAction).where(TracingAction.case_id == case_id)
                                   .order_by(TracingAction.done_on.desc(), TracingAction.created_at.desc())))
    rows = session.execute(
        select(TraceMatch, Report.reference, Report.received_at, Report.child_sex, Report.child_age_band,
               Location.name, Report.description)
        .join(Report, Report.id == TraceMatch.report_id).outerjoin(Location, Location.id == Report.location_id)
        .where(TraceMatch.case_id == case_id).order_by(TraceMatch.score.desc(), TraceMatch.proposed_at))
    matches = [MatchRow(m.id, reference, received, sex, band, place, description, m.score, list(m.reasons or []),
                        m.status, m.verified_on, m.verification, m.reunified_on, m.news_sent_at is not None)
               for m, reference, received, sex, band, place, description in rows]
    return actions, matches


def _child(session: Session, case: Case, today: date) -> Child:
    registration = session.scalar(select(ChildRegistration).where(ChildRegistration.case_id == case.id))
    report = session.get(Report, case.report_id) if case.report_id else None
    if registration is None and report is None:
        raise Refused("registration_needed")
    sex = (registration.sex if registration and registration.sex else None) or (report.child_sex if report
                                                                                 else "unknown")
    age = None
    if registration is not None:
        age = current_age(registration.date_of_birth, registration.age, today)
    place = (registration.location_current_id if registration else None) or (report.location_id if report
                                                                               else None)
    names = ()
    if registration is not None:
        names = tuple(word for field in ("name_first", "name_middle", "name_last", "name_nickname", "name_other")
                      for word in _words(getattr(registration, field) or ""))
    return Child(sex, age, _places(session, place), names)


def _places(session: Session, location_id: uuid.UUID | None) -> tuple[uuid.UUID | None, ...]:
    """The place, its cercle and its region, as (commune, cercle, region) slots (None where absent)."""
    slots: list[uuid.UUID | None] = [None, None, None]
    current = session.get(Location, location_id) if location_id else None
    while current is not None:
        if 1 <= current.level <= 3:
            slots[3 - current.level] = current.id
        current = session.get(Location, current.parent_id) if current.parent_id else None
    return tuple(slots)


def _words(text: str) -> list[str]:
    """Words of at least three letters, without accents or case: how a name is looked for in free text."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).casefold()
    return [word for word in "".join(ch if ch.isalnum() else " " for ch in folded).split()
            if len(word) >= MIN_NAME_LENGTH]


def _match(session: Session, case: Case, match_id: str | uuid.UUID) -> TraceMatch:
    match = session.get(TraceMatch, parse_id(match_id, "match"))
    if match is None or match.case_id != case.id:
        raise NotFound(f"match {match_id} not found")
    return match
