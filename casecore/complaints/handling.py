"""The focal point's work on a complaint: acknowledge, investigate (private notes), resolve, inform, close.

new -> acknowledged -> investigating (the first note) -> resolved -> (the complainant informed) -> closed. Each step
is one conditional UPDATE, so two focal points acting at once act once and the second is told why not (Refused,
whose code the web view words). Every change is audited and leaves a note in the complaint's private trail.

Naming a staff member takes the complaint away from them at once, even from a focal point naming themselves: a
complaint about its own handler must go to another (or, without one, be raised outside the organisation).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import log_when_committed, record_event
from casecore.base import utcnow
from casecore.complaints.access import may_handle_complaints, record_named_staff, require_complaint
from casecore.complaints.models import Complaint, ComplaintNote
from casecore.deadlines.timelines import Timelines
from casecore.errors import NotAllowed, Refused
from casecore.free_text import staff_text
from casecore.messaging.contacts import is_opted_out
from casecore.messaging.outbox import queue_message
from casecore.messaging.routes import MESSAGE_LENGTH, staff_text_to
from casecore.people.roles import Staff

log = logging.getLogger(__name__)

NOTE_LENGTH = 4000
OUTCOME_LENGTH = 2000
IN_HAND = ("acknowledged", "investigating")


@dataclass(frozen=True)
class Informed:
    """The message written to the outbox for the complainant, to enqueue once committed."""

    outbox_id: uuid.UUID


def acknowledge(session: Session, staff: Staff, complaint_id: str | uuid.UUID) -> None:
    """Take a new complaint in hand; Refused("already_acknowledged") when someone else just did."""
    complaint = _for_focal_point(session, staff, complaint_id)
    now = utcnow()
    _step(session, complaint, ("new",), "already_acknowledged",
          status="acknowledged", acknowledged_at=now, acknowledged_by_id=staff.id)
    _trail(session, complaint, staff, "acknowledged", None, "complaint.acknowledged", now)


def add_note(session: Session, staff: Staff, complaint_id: str | uuid.UUID, text: str | None) -> uuid.UUID:
    """Add a private note; the first one on an acknowledged complaint starts its investigation."""
    complaint = _for_focal_point(session, staff, complaint_id)
    body = staff_text(text, "note", length=NOTE_LENGTH)
    # Locked: a close at the same moment comes before or after the note, never around it.
    session.refresh(complaint, with_for_update=True)
    if complaint.status == "new":
        raise Refused("not_acknowledged")
    if complaint.status == "closed":
        raise Refused("closed")
    if complaint.status == "acknowledged":
        # Not _step: a second note written at the same moment is no conflict, it finds the status moved on.
        session.execute(update(Complaint).where(Complaint.id == complaint.id, Complaint.status == "acknowledged")
                        .values(status="investigating").execution_options(synchronize_session=False))
        session.expire(complaint)
    return _trail(session, complaint, staff, "note", body, "complaint.noted")


def name_staff(session: Session, staff: Staff, complaint_id: str | uuid.UUID,
               user_ids: list[str | uuid.UUID]) -> list[uuid.UUID]:
    """Record the staff the complaint names; from now on none of them may read it (the caller included)."""
    complaint = _for_focal_point(session, staff, complaint_id)
    added = record_named_staff(session, complaint.id, user_ids, staff.id)
    if added:
        record_event(session, staff.id, "complaint.staff_named", "complaint", complaint.id)
    return added


def set_severity(session: Session, staff: Staff, complaint_id: str | uuid.UUID, severity: str,
                 timelines: Timelines) -> None:
    """Change the severity; the date to close by is counted again from the receipt, and alerted anew."""
    taxonomy.require(severity, taxonomy.COMPLAINT_SEVERITIES, "complaint severity")
    complaint = _for_focal_point(session, staff, complaint_id)
    if complaint.severity == severity:
        return
    now = utcnow()
    due_at = timelines.complaint_due(complaint.received_at, severity)
    # A date already past when it is set is not alerted: the focal point setting it knows (as for new reports).
    past = now if due_at <= now else None
    _step(session, complaint, taxonomy.COMPLAINT_STATUSES[:-1], "closed", severity=severity, due_at=due_at,
          warned_at=past, overdue_alerted_at=past)
    _trail(session, complaint, staff, "severity", severity, "complaint.severity_changed", now)


def set_category(session: Session, staff: Staff, complaint_id: str | uuid.UUID, category: str,
                 timelines: Timelines) -> None:
    """File the complaint under another category (one made under the wrong one, say abuse filed as service quality).

    Who reads it follows at once (complaint_access keys on the category: a sensitive one leaves the supervisors'
    sight). The severity rises to the new category's default when that is higher, never falls without a focal
    point choosing it, and a new severity counts the date to close by again, as set_severity does.
    """
    taxonomy.require(category, taxonomy.COMPLAINT_CATEGORIES, "complaint category")
    complaint = _for_focal_point(session, staff, complaint_id)
    if complaint.category == category:
        return
    now = utcnow()
    values = {"category": category}
    severity = taxonomy.DEFAULT_COMPLAINT_SEVERITY[category]
    if _graver(severity, complaint.severity):
        due_at = timelines.complaint_due(complaint.received_at, severity)
        past = now if due_at <= now else None
        values.update(severity=severity, due_at=due_at, warned_at=past, overdue_alerted_at=past)
    _step(session, complaint, taxonomy.COMPLAINT_STATUSES[:-1], "closed", **values)
    if "severity" in values:
        # In the trail too, so the focal point sees why the date moved; one audit event covers both.
        session.add(ComplaintNote(complaint_id=complaint.id, author_id=staff.id, at=now, kind="severity",
                                  body=severity))
    _trail(session, complaint, staff, "category", category, "complaint.category_changed", now)


def resolve(session: Session, staff: Staff, complaint_id: str | uuid.UUID, outcome: str | None) -> None:
    """Record what was found and done; only a complaint in hand (acknowledged or investigating) is resolved."""
    complaint = _for_focal_point(session, staff, complaint_id)
    text = staff_text(outcome, "outcome", length=OUTCOME_LENGTH)
    now = utcnow()
    _step(session, complaint, IN_HAND, "not_in_hand",
          status="resolved", resolved_at=now, resolved_by_id=staff.id, outcome=text)
    _trail(session, complaint, staff, "resolved", text, "complaint.resolved", now)


def may_inform(complaint: Complaint) -> bool:
    """Whether the complainant left a number and agreed to be contacted (never for an anonymous complaint)."""
    return not complaint.anonymous and complaint.may_contact and bool(complaint.contact_phone)


def inform_complainant(session: Session, staff: Staff, complaint_id: str | uuid.UUID, text: str | None, *,
                       sms_backend: str, respell_sms: Callable[[str], str] = lambda text: text) -> Informed:
    """Tell the complainant the outcome in the focal point's words, once, through the outbox, after resolution."""
    complaint = _for_focal_point(session, staff, complaint_id)
    body = staff_text(text, "message", length=MESSAGE_LENGTH)
    if not may_inform(complaint):
        raise Refused("no_contact")
    if complaint.status != "resolved":
        raise Refused("already_informed" if complaint.informed_at else "not_resolved")
    route, wire = staff_text_to(session, complaint.contact_phone, body, sms_backend, respell_sms)
    now = utcnow()
    claimed = session.execute(
        update(Complaint).where(Complaint.id == complaint.id, Complaint.status == "resolved",
                                Complaint.informed_at.is_(None))
        .values(informed_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise Refused("already_informed")
    session.expire(complaint)
    message = queue_message(session, purpose_key=f"complaint-inform:{complaint.id}", to_phone=complaint.contact_phone,
                            body=wire, backend=route.backend, channel=route.channel,
                            organisation_id=complaint.organisation_id)
    _trail(session, complaint, staff, "informed", body, "complaint.complainant_informed", now)
    return Informed(message.id)


def close(session: Session, staff: Staff, complaint_id: str | uuid.UUID) -> None:
    """Close a resolved complaint, once the complainant was informed when they can be."""
    complaint = _for_focal_point(session, staff, complaint_id)
    # A complainant who since opted out cannot be told: that must not keep the complaint open for ever.
    if (complaint.status == "resolved" and may_inform(complaint) and complaint.informed_at is None
            and not is_opted_out(session, complaint.contact_phone)):
        raise Refused("not_informed")
    now = utcnow()
    _step(session, complaint, ("resolved",), "not_resolved", status="closed", closed_at=now, closed_by_id=staff.id)
    _trail(session, complaint, staff, "closed", None, "complaint.closed", now)


def _for_focal_point(session: Session, staff: Staff, complaint_id: str | uuid.UUID) -> Complaint:
    """The complaint if this person reads it and handles complaints; NotFound / NotAllowed otherwise."""
    complaint = require_complaint(session, staff, complaint_id)
    if not may_handle_complaints(staff.role):
        raise NotAllowed("only a complaints focal point handles complaints")
    return complaint


def _graver(severity: str, than: str | None) -> bool:
    """Whether severity is graver than than (None, a complaint from before severities, counts as the least)."""
    order = taxonomy.COMPLAINT_SEVERITIES  # gravest first
    return than not in order or order.index(severity) < order.index(than)


def _step(session: Session, complaint: Complaint, from_statuses: tuple[str, ...], refusal: str, **values) -> None:
    """Move the complaint on if it still stands in one of from_statuses; Refused(refusal) (or "closed") if not."""
    changed = session.execute(
        update(Complaint).where(Complaint.id == complaint.id, Complaint.status.in_(from_statuses))
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        session.refresh(complaint)
        raise Refused("closed" if complaint.status == "closed" else refusal)
    session.expire(complaint)


def _trail(session: Session, complaint: Complaint, staff: Staff, kind: str, body: str | None, action: str,
           at=None) -> uuid.UUID:
    note = ComplaintNote(complaint_id=complaint.id, author_id=staff.id, at=at or utcnow(), kind=kind, body=body)
    session.add(note)
    session.flush()
    record_event(session, staff.id, action, "complaint", complaint.id)
    log_when_committed(session, log, "complaint %s: %s by user %s", complaint.id, kind, staff.id)
    return note.id
