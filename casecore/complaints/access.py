"""Need to know for complaints: who may read one, in one SQL condition every page and query uses.

- A complaint is read only within the organisation it was made to.
- The organisation's focal points read every category; its supervisors, who run the service, read the others
  but never a sensitive one (sexual exploitation or abuse, staff misconduct, fraud or corruption, data breach);
  case workers and administrators read none.
- A staff member a complaint names never reads it, whatever their role, a focal point included.
Logging a complaint received in person or by phone gives no right to read it afterwards.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, false, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.complaints.models import Complaint, ComplaintNote, ComplaintStaff
from casecore.db import dialect_insert
from casecore.errors import InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.people.models import User
from casecore.people.roles import FOCAL_POINT, SUPERVISOR, Staff

SENSITIVE = tuple(sorted(taxonomy.SENSITIVE_COMPLAINT_CATEGORIES))


def names(user_id: uuid.UUID) -> ColumnElement[bool]:
    """SQL condition on Complaint: it names this staff member."""
    return exists().where(ComplaintStaff.complaint_id == Complaint.id, ComplaintStaff.user_id == user_id)


def visible_complaints(staff: Staff) -> ColumnElement[bool]:
    """SQL condition on Complaint: the complaints this person may read (nothing for roles without access)."""
    if staff.role == FOCAL_POINT:
        scope = Complaint.organisation_id == staff.organisation_id
    elif staff.role == SUPERVISOR:
        scope = (Complaint.organisation_id == staff.organisation_id) & Complaint.category.not_in(SENSITIVE)
    else:
        return false()
    return scope & ~names(staff.id)


def may_read_complaints(role: str) -> bool:
    """Whether this role reads complaints at all (focal points; supervisors all but the sensitive ones)."""
    return role in (FOCAL_POINT, SUPERVISOR)


def may_handle_complaints(role: str) -> bool:
    """Whether this role acknowledges, investigates, resolves and closes complaints (supervisors only read)."""
    return role == FOCAL_POINT


def require_complaint(session: Session, staff: Staff, complaint_id: str | uuid.UUID) -> Complaint:
    """The complaint if this person may read it; NotFound otherwise, so its existence is not revealed either."""
    key = parse_id(complaint_id, "complaint")
    complaint = session.scalar(select(Complaint).where(Complaint.id == key, visible_complaints(staff))
                               .execution_options(populate_existing=True))
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} not found")
    return complaint


def view_complaint(session: Session, staff: Staff, complaint_id: str | uuid.UUID) -> Complaint:
    """The complaint for this person to read, the reading audited; NotFound when they may not."""
    complaint = require_complaint(session, staff, complaint_id)
    record_event(session, staff.id, "complaint.viewed", "complaint", complaint.id)
    return complaint


def record_named_staff(session: Session, complaint_id: uuid.UUID, user_ids: Iterable[str | uuid.UUID],
                       added_by_id: uuid.UUID | None) -> list[uuid.UUID]:
    """Record the staff a complaint names (each once, with a note in its trail); returns those newly named."""
    wanted = list(dict.fromkeys(parse_id(user_id, "user") for user_id in user_ids if user_id not in (None, "")))
    if not wanted:
        return []
    # The organisation's own staff only: its focal points cannot keep a complaint from anyone else's staff, and
    # naming someone elsewhere would tell nobody who can act on it.
    organisation_id = session.scalar(select(Complaint.organisation_id).where(Complaint.id == complaint_id))
    known = set(session.scalars(select(User.id).where(User.id.in_(wanted), User.organisation_id == organisation_id)))
    if len(known) != len(wanted):
        raise InvalidInput("a staff member named in the complaint is not one of the organisation's staff")
    now = utcnow()
    added = []
    for user_id in wanted:
        # Unique (complaint, user): of two focal points naming the same person at once, one inserts and the other
        # finds it done, so the trail shows them named once.
        inserted = session.execute(
            dialect_insert(session, ComplaintStaff.__table__)
            .values(id=uuid.uuid4(), complaint_id=complaint_id, user_id=user_id, added_by_id=added_by_id,
                    added_at=now)
            .on_conflict_do_nothing().returning(ComplaintStaff.__table__.c.id)
        ).first()
        if inserted is not None:
            added.append(user_id)
            session.add(ComplaintNote(complaint_id=complaint_id, author_id=added_by_id, at=now, kind="named",
                                      body=str(user_id)))
    session.flush()
    return added
