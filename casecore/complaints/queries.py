"""What the complaint pages read: the complaints a person may read, newest first, and one complaint with its private
trail, the staff it names and who may still be named. Read-side queries; who reads what is complaint_access's."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.complaints.access import may_handle_complaints, view_complaint, visible_complaints
from casecore.complaints.handling import may_inform
from casecore.complaints.models import Complaint, ComplaintNote, ComplaintStaff
from casecore.errors import InvalidInput
from casecore.paging import parse_page
from casecore.people.models import User
from casecore.people.roles import Staff

# open: every status but closed (the default); closed; all.
STATUS_FILTERS = ("open", "closed", "all")
PAGE_SIZE = 50


@dataclass(frozen=True)
class ComplaintRow:
    """One line of the list: codes and dates, no description and no number."""

    id: uuid.UUID
    reference: str
    received_at: datetime
    channel: str
    category: str
    severity: str | None
    status: str
    due_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class ComplaintPage:
    """One page of the list, and whether an older page follows."""

    rows: tuple[ComplaintRow, ...]
    page: int
    has_next: bool


@dataclass(frozen=True)
class TrailEntry:
    """One entry of the private trail; body is a note's text, an outcome, a code (severity, category) or, for a
    named staff member, their display name."""

    at: datetime
    kind: str
    body: str | None
    author: str | None


@dataclass(frozen=True)
class StaffChoice:
    """A staff member who may be named in the complaint."""

    id: uuid.UUID
    display_name: str
    role: str


@dataclass(frozen=True)
class ComplaintView:
    """One complaint as its page shows it, to someone who may read it."""

    complaint: Complaint
    named: tuple[str, ...]
    trail: tuple[TrailEntry, ...]
    received_by: str | None
    may_handle: bool
    may_inform: bool
    to_name: tuple[StaffChoice, ...]


def parse_filters(status: str | None, category: str | None, page: str | None) -> tuple[str, str | None, int]:
    """The list's filters from a query string (open, every category, page 1 when absent); InvalidInput if wrong."""
    status = status or "open"
    if status not in STATUS_FILTERS:
        raise InvalidInput(f"status must be one of {', '.join(STATUS_FILTERS)}")
    category = category or None
    if category is not None:
        taxonomy.require(category, taxonomy.COMPLAINT_CATEGORIES, "complaint category")
    return status, category, parse_page(page)


def complaint_list(session: Session, staff: Staff, status: str = "open", category: str | None = None,
                   page: int = 1) -> ComplaintPage:
    """One page of the complaints this person may read, newest first (nothing for a role that reads none)."""
    query = select(Complaint.id, Complaint.reference, Complaint.received_at, Complaint.channel, Complaint.category,
                   Complaint.severity, Complaint.status, Complaint.due_at, Complaint.acknowledged_at,
                   Complaint.resolved_at).where(visible_complaints(staff))
    if status == "open":
        query = query.where(Complaint.status != "closed")
    elif status == "closed":
        query = query.where(Complaint.status == "closed")
    if category is not None:
        query = query.where(Complaint.category == category)
    found = session.execute(query.order_by(Complaint.received_at.desc(), Complaint.id)
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return ComplaintPage(tuple(ComplaintRow(*row) for row in found[:PAGE_SIZE]), page, len(found) > PAGE_SIZE)


def complaint_view(session: Session, staff: Staff, complaint_id: str | uuid.UUID) -> ComplaintView:
    """One complaint for this person, the reading audited; NotFound when they may not read it."""
    complaint = view_complaint(session, staff, complaint_id)
    named_ids = list(session.scalars(select(ComplaintStaff.user_id)
                                     .where(ComplaintStaff.complaint_id == complaint.id)))
    notes = list(session.scalars(select(ComplaintNote).where(ComplaintNote.complaint_id == complaint.id)
                                 .order_by(ComplaintNote.at, ComplaintNote.id)))
    names = _names(session, {*named_ids, *(n.author_id for n in notes), complaint.received_by_id})
    handles = may_handle_complaints(staff.role)
    trail = tuple(
        TrailEntry(note.at, note.kind, _trail_body(note, names, handles), names.get(note.author_id))
        for note in notes)
    return ComplaintView(
        complaint=complaint, named=tuple(sorted(names.get(user_id, "?") for user_id in named_ids)), trail=trail,
        received_by=names.get(complaint.received_by_id), may_handle=handles, may_inform=may_inform(complaint),
        to_name=nameable_staff(session, complaint.organisation_id, named_ids) if handles else (),
    )


def nameable_staff(session: Session, organisation_id: uuid.UUID,
                   named_ids: list[uuid.UUID] = ()) -> tuple[StaffChoice, ...]:
    """The organisation's active staff a complaint may name, but those it names already (the reader included)."""
    query = select(User.id, User.display_name, User.role).where(User.organisation_id == organisation_id,
                                                                User.is_active.is_(True))
    if named_ids:
        query = query.where(User.id.not_in(list(named_ids)))
    return tuple(StaffChoice(*row) for row in session.execute(query.order_by(User.display_name, User.email)).all())


def _names(session: Session, user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = [user_id for user_id in user_ids if user_id is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def _trail_body(note: ComplaintNote, names: dict[uuid.UUID, str], handles: bool) -> str | None:
    """What a reader sees of a trail entry: the investigation's notes are the focal points' alone (a supervisor
    reading the complaint sees that a note was written, not what it says)."""
    if note.kind == "note" and not handles:
        return None
    return _named(note.body, names) if note.kind == "named" else note.body


def _named(body: str | None, names: dict[uuid.UUID, str]) -> str | None:
    """A "named" note keeps the user's id: show their display name."""
    try:
        return names.get(uuid.UUID(body or ""), body)
    except ValueError:
        return body
