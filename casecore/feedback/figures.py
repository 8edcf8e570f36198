"""Feedback figures per organisation and service, with no personal data; individual comments for focal points only.

Every figure is counted in SQL (ratings grouped, never one answer read). A group of fewer than the minimum answers
shows as "fewer than N", without average or distribution; and when a figure is shown together with its parts (the
organisation and its services, a service and its audiences or channels), the withheld parts together are either
none or at least the minimum, so subtracting the shown parts from the whole gives no family's answer away.

The minimum protects the parts of one period, never the difference between two periods: with rolling windows
("the last 30 days", "the last 90 days", or the same window a day later) a case worker who knows from the case
timeline when each family answered could subtract one window from another and read a single rating. So the only
periods are fixed calendar quarters (UTC), which never overlap, and case workers see a quarter only once it has
ended, when its figures no longer change (an answer is dated when it is recorded, never backdated). Supervisors,
administrators and focal points may also follow the quarter in progress.
"""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.cases.models import Referral
from casecore.directory.models import Service
from casecore.errors import InvalidInput
from casecore.feedback.models import Feedback
from casecore.people.roles import CASEWORKER, FOCAL_POINT, Staff

# The ended quarters always offered, however old the first answer (older ones are offered when they have answers).
OFFERED_QUARTERS = 8
# FEEDBACK_MIN_GROUP when no setting is given.
MIN_GROUP = 5
# Ratings counted as satisfied.
SATISFIED = (4, 5)
# The groups of answers not about a referral's service.
CASE_MANAGEMENT = "case_management"
GENERAL = "general"
COMMENTS_PER_PAGE = 25


@dataclass(frozen=True)
class Period:
    """A calendar quarter (UTC): the answers received from `since` (included) to `until` (excluded); not `ended`
    while it is in progress (its figures are then those so far)."""

    year: int
    quarter: int
    since: datetime
    until: datetime
    ended: bool

    @property
    def code(self) -> str:
        """How the quarter is written in a link or a file name: 2025-Q1."""
        return f"{self.year}-Q{self.quarter}"


@dataclass(frozen=True)
class Figure:
    """What may be shown of a group of ratings: everything, or nothing but that it is small (answers None)."""

    answers: int | None
    # Withheld for having fewer answers than the minimum (else withheld so that a smaller group stays hidden).
    small: bool = False
    average: float | None = None
    distribution: tuple[int, ...] | None = None  # answers rating 1, 2, 3, 4, 5
    satisfied_share: float | None = None

    @property
    def shown(self) -> bool:
        """Whether the numbers may be read."""
        return self.answers is not None


@dataclass(frozen=True)
class ServiceFigures:
    """One row of the page: a service of the directory, case management, or general feedback."""

    group: str  # "service" | CASE_MANAGEMENT | GENERAL
    service_id: uuid.UUID | None
    provider_name: str | None
    service_type: str | None
    overall: Figure
    by_audience: tuple[tuple[str, Figure], ...]  # adult, child (answers whose audience is known)
    by_channel: tuple[tuple[str, Figure], ...]


@dataclass(frozen=True)
class FeedbackFigures:
    """An organisation's feedback figures for a period; your_cases for a case worker (their cases' answers)."""

    period: Period
    min_group: int
    organisation: Figure
    services: list[ServiceFigures]
    your_cases: Figure | None


@dataclass(frozen=True)
class Comment:
    """One answer as a focal point reads it: no number is stored, and no case is named."""

    received_at: datetime
    rating: int
    comment: str
    channel: str
    about: str
    audience: str | None
    provider_name: str | None
    service_type: str | None


@dataclass(frozen=True)
class CommentPage:
    """A page of comments, newest first."""

    comments: list[Comment]
    page: int
    pages: int
    total: int

    @property
    def has_next(self) -> bool:
        """Whether an older page follows."""
        return self.page < self.pages


def may_view_feedback(role: str) -> bool:
    """Every staff role reads the aggregates of its organisation."""
    return role in taxonomy.ROLES


def may_read_comments(role: str) -> bool:
    """Only the complaints focal points read individual answers (issue 6: never the case worker they are about)."""
    return role == FOCAL_POINT


def may_see_quarter_in_progress(role: str) -> bool:
    """Case workers see a quarter once it has ended: its figures, fixed, cannot be compared with later ones."""
    return role != CASEWORKER


def quarter(year: int, number: int, now: datetime | None = None) -> Period:
    """The quarter `number` (1 to 4) of `year`."""
    since = datetime(year, 3 * number - 2, 1, tzinfo=timezone.utc)
    until = datetime(year + 1, 1, 1, tzinfo=timezone.utc) if number == 4 else datetime(
        year, 3 * number + 1, 1, tzinfo=timezone.utc)
    return Period(year, number, since, until, until <= (now or utcnow()))


def quarter_of(moment: datetime, now: datetime | None = None) -> Period:
    """The quarter a moment falls in."""
    moment = moment.astimezone(timezone.utc)
    return quarter(moment.year, (moment.month - 1) // 3 + 1, now)


def _previous(period: Period, now: datetime) -> Period:
    return quarter(period.year - 1, 4, now) if period.quarter == 1 else quarter(period.year, period.quarter - 1, now)


def offered_quarters(session: Session, staff: Staff, now: datetime | None = None) -> list[Period]:
    """The quarters staff may choose, newest first: the one in progress (not for case workers), then every ended
    quarter back to the organisation's first answer, and at least the last OFFERED_QUARTERS."""
    now = now or utcnow()
    first = session.scalar(select(func.min(Feedback.received_at)).where(
        Feedback.organisation_id == staff.organisation_id))
    current = quarter_of(now, now)
    offered = [current] if may_see_quarter_in_progress(staff.role) else []
    period = _previous(current, now)
    while len([p for p in offered if p.ended]) < OFFERED_QUARTERS or (first is not None and period.until > first):
        offered.append(period)
        period = _previous(period, now)
    return offered


def default_quarter(now: datetime | None = None) -> Period:
    """The last ended quarter: the same for everyone, and it no longer changes."""
    now = now or utcnow()
    return _previous(quarter_of(now, now), now)


def choose_quarter(session: Session, staff: Staff, code: str | None, now: datetime | None = None) -> Period:
    """The quarter written YYYY-Qn among those offered to staff (the last ended one when not given);
    InvalidInput saying why for anything else."""
    now = now or utcnow()
    if code in (None, ""):
        return default_quarter(now)
    text = code.strip().upper()
    year, _, number = text.partition("-Q")
    if not (len(year) == 4 and year.isascii() and year.isdigit() and number in ("1", "2", "3", "4")):
        raise InvalidInput("write the quarter as a year and a quarter, for example 2025-Q1")
    if not 2000 <= int(year) <= 2099:
        # Never offered, and year 0 or a quarter ending in 10000 is no date at all.
        raise InvalidInput("choose a quarter from the list")
    chosen = quarter(int(year), int(number), now)
    if not chosen.ended and chosen.since <= now and not may_see_quarter_in_progress(staff.role):
        raise InvalidInput("case workers see a quarter once it has ended")
    if chosen not in offered_quarters(session, staff, now):
        raise InvalidInput("choose a quarter from the list")
    return chosen


def feedback_figures(session: Session, staff: Staff, period: Period, min_group: int = MIN_GROUP) -> FeedbackFigures:
    """The figures staff may read: their organisation's per service, and a case worker's own cases' together."""
    if not may_view_feedback(staff.role):
        raise InvalidInput("unknown role")
    if not period.ended and not may_see_quarter_in_progress(staff.role):
        raise InvalidInput("case workers see a quarter once it has ended")
    min_group = max(1, min_group)
    cells = _rating_cells(session, staff.organisation_id, period)
    total = _sum(ratings for _, ratings in cells)
    organisation = _figure(total, total.total() >= min_group, min_group)
    by_group: dict[tuple, list[tuple[str | None, str, Counter]]] = {}
    for (group, audience, channel), ratings in cells:
        by_group.setdefault(group, []).append((audience, channel, ratings))
    group_totals = {group: _sum(r for _, _, r in rows) for group, rows in by_group.items()}
    shown_groups = _protect(group_totals, organisation.shown, min_group)
    services = [_service_row(group, rows, group in shown_groups, min_group) for group, rows in by_group.items()]
    services.sort(key=_row_order)
    your_cases = None
    if staff.role == CASEWORKER:
        yours = _own_cases(session, staff, period)
        # The organisation less yours would be the others' answers: shown only when none or enough of them.
        others = total.total() - yours.total()
        ok = yours.total() >= min_group and (others == 0 or others >= min_group or not organisation.shown)
        your_cases = _figure(yours, ok, min_group)
    return FeedbackFigures(period, min_group, organisation, services, your_cases)


def feedback_comments(session: Session, staff: Staff, period: Period, page: int = 1,
                      per_page: int = COMMENTS_PER_PAGE) -> CommentPage:
    """The comments of the organisation's answers in the period, newest first (focal points only); the caller
    records that they were read."""
    if not may_read_comments(staff.role):
        raise InvalidInput("only the complaints focal points read individual answers")
    where = (Feedback.organisation_id == staff.organisation_id, Feedback.received_at >= period.since,
             Feedback.received_at < period.until, Feedback.comment.is_not(None))
    total = session.scalar(select(func.count()).select_from(Feedback).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(Feedback.received_at, Feedback.rating, Feedback.comment, Feedback.channel, Feedback.about,
               Feedback.audience, Service.provider_name, Service.service_type)
        .outerjoin(Referral, Referral.id == Feedback.referral_id)
        .outerjoin(Service, Service.id == Referral.service_id)
        .where(*where)
        .order_by(Feedback.received_at.desc(), Feedback.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return CommentPage([Comment(*row) for row in rows], page, pages, total)


def _rating_cells(session: Session, organisation_id: uuid.UUID, period: Period) -> list[tuple[tuple, Counter]]:
    """Counts of answers by (group, audience, channel) and rating; group is (kind, service id, name, type)."""
    linked = Feedback.case_id.is_not(None)
    rows = session.execute(
        select(Service.id, Service.provider_name, Service.service_type, linked, Feedback.audience,
               Feedback.channel, Feedback.rating, func.count())
        .select_from(Feedback)
        .outerjoin(Referral, Referral.id == Feedback.referral_id)
        .outerjoin(Service, Service.id == Referral.service_id)
        .where(Feedback.organisation_id == organisation_id, Feedback.received_at >= period.since,
               Feedback.received_at < period.until)
        .group_by(Service.id, Service.provider_name, Service.service_type, linked, Feedback.audience,
                  Feedback.channel, Feedback.rating)
    ).all()
    cells: dict[tuple, Counter] = {}
    for service_id, name, kind, is_linked, audience, channel, rating, count in rows:
        if service_id is not None:
            group = ("service", service_id, name, kind)
        else:
            group = (CASE_MANAGEMENT if is_linked else GENERAL, None, None, None)
        cells.setdefault((group, audience, channel), Counter())[rating] += count
    return list(cells.items())


def _own_cases(session: Session, staff: Staff, period: Period) -> Counter:
    rows = session.execute(
        select(Feedback.rating, func.count())
        # Whose case it was when the family answered, not now: a case changing hands changes no ended quarter.
        .where(Feedback.case_worker_id == staff.id, Feedback.organisation_id == staff.organisation_id,
               Feedback.received_at >= period.since, Feedback.received_at < period.until)
        .group_by(Feedback.rating)
    ).all()
    return Counter({rating: count for rating, count in rows})


def _service_row(group: tuple, rows: list[tuple[str | None, str, Counter]], shown: bool,
                 min_group: int) -> ServiceFigures:
    kind, service_id, name, service_type = group
    total = _sum(r for _, _, r in rows)
    overall = _figure(total, shown, min_group)
    audiences = _by(((audience, r) for audience, _, r in rows))
    channels = _by(((channel, r) for _, channel, r in rows))
    # Answers whose audience is unknown are not shown on their own: they count as withheld.
    shown_audiences = _protect(audiences, overall.shown, min_group, hidden={None})
    shown_channels = _protect(channels, overall.shown, min_group)
    return ServiceFigures(
        kind, service_id, name, service_type, overall,
        tuple((a, _figure(audiences[a], a in shown_audiences, min_group))
              for a in taxonomy.FEEDBACK_AUDIENCES if a in audiences),
        tuple((c, _figure(channels[c], c in shown_channels, min_group))
              for c in taxonomy.CHANNELS if c in channels),
    )


def _protect(parts: Mapping[Hashable, Counter], whole_shown: bool, min_group: int,
             hidden: Iterable[Hashable] = ()) -> set:
    """The parts whose numbers may show: each of at least min_group answers; and when the whole shows, the
    withheld parts together none or at least min_group (the smallest shown parts are withheld until so)."""
    sizes = {key: ratings.total() for key, ratings in parts.items() if ratings.total()}
    hidden = set(hidden)
    shown = {key for key, size in sizes.items() if size >= min_group and key not in hidden}
    if not whole_shown:
        return shown
    withheld = sum(size for key, size in sizes.items() if key not in shown)
    while 0 < withheld < min_group and shown:
        smallest = min(shown, key=lambda key: (sizes[key], str(key)))
        shown.discard(smallest)
        withheld += sizes[smallest]
    return shown


def _figure(ratings: Counter, shown: bool, min_group: int) -> Figure:
    count = ratings.total()
    if count == 0:
        return Figure(0)  # nothing to give away
    if not shown:
        return Figure(None, small=count < min_group)
    distribution = tuple(ratings.get(rating, 0) for rating in taxonomy.FEEDBACK_RATINGS)
    average = sum(rating * n for rating, n in ratings.items()) / count
    satisfied = sum(ratings.get(rating, 0) for rating in SATISFIED) / count
    return Figure(count, False, round(average, 1), distribution, satisfied)


def _by(items: Iterable[tuple[Hashable, Counter]]) -> dict:
    out: dict = {}
    for key, ratings in items:
        out.setdefault(key, Counter()).update(ratings)
    return out


def _sum(counters: Iterable[Counter]) -> Counter:
    total: Counter = Counter()
    for ratings in counters:
        total.update(ratings)
    return total


def _row_order(row: ServiceFigures) -> tuple:
    # Services by name, then case management, then general.
    rank = {"service": 0, CASE_MANAGEMENT: 1, GENERAL: 2}[row.group]
    return rank, (row.provider_name or "").casefold(), row.service_type or "", str(row.service_id or "")
