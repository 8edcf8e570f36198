"""Complaints about the service or its staff: validated, stored once per channel session (or staff form), with a
reference, a severity by category and the date it must be closed by.

The focal points are alerted by a job once the complaint is committed (casecore.complaints.alerts); who may then
see it is casecore.complaints.access, what they do with it casecore.complaints.handling.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.changes import COMPLAINT_CREATED, note_change
from casecore.complaints.access import record_named_staff
from casecore.complaints.models import Complaint
from casecore.db import dialect_insert, find_by_channel_session
from casecore.deadlines.timelines import Timelines
from casecore.errors import InvalidInput, InvalidPhoneNumber
from casecore.free_text import short_text, without_controls
from casecore.people.roles import Staff
from casecore.phones import contact_phone
from casecore.references import clean_reference, is_valid_reference, new_reference

log = logging.getLogger(__name__)

DESCRIPTION_LENGTH = 500
_REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class ComplaintDraft:
    """What the complaint conversation collected, in list-of-values codes."""

    organisation_id: uuid.UUID
    channel: str
    channel_session_id: str | None
    category: str
    anonymous: bool
    contact_phone: str | None
    may_contact: bool
    description: str | None
    language: str
    # phones.phone_key of the complainant's number, given even when anonymous: only that number may ask the status.
    complainant_key: str | None
    # The staff member who logged it, for a complaint received in person or by phone (taxonomy.STAFF_INTAKE_CHANNELS).
    received_by_id: uuid.UUID | None = None


@dataclass(frozen=True)
class SubmittedComplaint:
    """What the complainant is told: the reference; is_new is False for a retried submit."""

    id: uuid.UUID
    reference: str
    is_new: bool


def submit_complaint(session: Session, draft: ComplaintDraft, default_region: str,
                     timelines: Timelines | None = None) -> SubmittedComplaint:
    """Store the complaint once per channel session and return its reference; a retried submit returns the first.

    Its severity is its category's default; without timelines its date to be closed by is left to the scheduler.
    """
    _validate(draft)
    contact_phone, may_contact = _contact(draft, default_region)
    received_at = utcnow()
    severity = taxonomy.DEFAULT_COMPLAINT_SEVERITY[draft.category]
    values = dict(
        organisation_id=draft.organisation_id,
        channel=draft.channel,
        channel_session_id=draft.channel_session_id,
        category=draft.category,
        anonymous=draft.anonymous,
        contact_phone=contact_phone,
        may_contact=may_contact,
        # PostgreSQL cannot store a NUL; no other control character is meant either.
        description=short_text(without_controls(draft.description, keep_newlines=True), DESCRIPTION_LENGTH),
        language=draft.language,
        status="new",
        complainant_key=draft.complainant_key,
        received_at=received_at,
        severity=severity,
        due_at=None if timelines is None else timelines.complaint_due(received_at, severity),
        received_by_id=draft.received_by_id,
    )
    for _ in range(_REFERENCE_ATTEMPTS):
        complaint_id, reference = uuid.uuid4(), new_reference()
        inserted = session.execute(
            dialect_insert(session, Complaint.__table__)
            .values(id=complaint_id, reference=reference, **values)
            # A clash on the session (a retried submit) or on the reference inserts nothing; no savepoint needed.
            .on_conflict_do_nothing()
            .returning(Complaint.__table__.c.id)
        ).first()
        if inserted is None:
            existing = find_by_channel_session(session, Complaint, draft.channel, draft.channel_session_id)
            if existing is not None:
                return SubmittedComplaint(existing.id, existing.reference, is_new=False)
            continue  # the reference collided: draw again
        # No category in the log: even that says too much about a complaint next to its id.
        log.info("complaint %s received on %s", complaint_id, draft.channel)
        note_change(session, COMPLAINT_CREATED, complaint_id, draft.organisation_id)
        return SubmittedComplaint(complaint_id, reference, is_new=True)
    raise RuntimeError("could not allocate a unique reference")


def log_complaint(session: Session, staff: Staff, *, channel: str, category: str, description: str | None,
                  anonymous: bool, contact: str | None, may_contact: bool, language: str, form_key: str,
                  named_staff_ids: Sequence[str | uuid.UUID] = (), default_region: str, timelines: Timelines,
                  phone_key: Callable[[str], str] | None = None) -> SubmittedComplaint:
    """Store a complaint a staff member received in person or by phone, once per form (form_key), and return it.

    Any role may log one; logging it gives no right to see it afterwards (casecore.complaints.access). phone_key
    keys the complainant's number so that number may ask for the status, as for a complaint made on USSD.
    """
    taxonomy.require(channel, taxonomy.STAFF_INTAKE_CHANNELS, "complaint channel")
    try:
        form = uuid.UUID(str(form_key))
    except ValueError:
        raise InvalidInput("the form's key is missing or malformed") from None
    number = None if anonymous else without_controls(contact).strip() or None
    draft = ComplaintDraft(
        organisation_id=staff.organisation_id, channel=channel, channel_session_id=f"form:{form}",
        category=category, anonymous=anonymous, contact_phone=number, may_contact=may_contact and number is not None,
        description=description, language=language, received_by_id=staff.id,
        complainant_key=_key_of(number, default_region, phone_key),
    )
    if draft.contact_phone and draft.may_contact:
        # A number typed by staff is checked here: the form says so, where a community channel keeps the complaint.
        contact_phone(draft.contact_phone, default_region)
    submitted = submit_complaint(session, draft, default_region, timelines)
    if not submitted.is_new:
        # A form sent again by the one who filled it in; a key reused by anyone else learns nothing of it.
        logged_by = session.scalar(select(Complaint.received_by_id).where(Complaint.id == submitted.id))
        if logged_by != staff.id:
            raise InvalidInput("the form's key is missing or malformed")
    if submitted.is_new:
        record_named_staff(session, submitted.id, named_staff_ids, staff.id)
        record_event(session, staff.id, "complaint.logged", "complaint", submitted.id)
    return submitted


def complaint_status(session: Session, reference: str, complainant_key: str | None) -> str | None:
    """The complaint's status code for the number that made it; None when the reference or the number differs."""
    code = clean_reference(reference)
    if not complainant_key or not is_valid_reference(code):
        return None
    return session.scalar(
        select(Complaint.status).where(Complaint.reference == code, Complaint.complainant_key == complainant_key)
    )


def _contact(draft: ComplaintDraft, default_region: str) -> tuple[str | None, bool]:
    """The number to call back and whether we may, as stored: nothing at all for an anonymous complaint."""
    if draft.anonymous or not draft.may_contact or not draft.contact_phone:
        return None, False
    try:
        return contact_phone(draft.contact_phone, default_region), True
    except InvalidPhoneNumber:
        # Keep the complaint: a focal point can still act on it, only without calling back.
        log.warning("complaint on %s: the contact number could not be read; stored without it", draft.channel)
        return None, False


def _key_of(number: str | None, default_region: str, phone_key: Callable[[str], str] | None) -> str | None:
    if number is None or phone_key is None:
        return None
    try:
        return phone_key(contact_phone(number, default_region))
    except InvalidPhoneNumber:
        return None  # refused just after, when a call back was asked for; else simply not kept


def _validate(draft: ComplaintDraft) -> None:
    taxonomy.require(draft.channel, taxonomy.COMPLAINT_INTAKE_CHANNELS, "channel")
    if (draft.channel in taxonomy.STAFF_INTAKE_CHANNELS) != (draft.received_by_id is not None):
        raise InvalidInput("a complaint received in person or by phone names the staff member who logged it")
    taxonomy.require(draft.language, taxonomy.COMMUNITY_LANGUAGES, "language")
    taxonomy.require(draft.category, taxonomy.COMPLAINT_CATEGORIES, "complaint category")
    if draft.complainant_key is not None and not 0 < len(draft.complainant_key) <= 64:
        raise InvalidInput("a complainant key has 1 to 64 characters")
