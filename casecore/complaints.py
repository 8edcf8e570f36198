"""Complaints about the service or its staff: validated, stored once per channel session, with a reference.

Nobody is alerted yet: issue 6 routes complaints to focal points (alerted_at is left for it).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.db import dialect_insert, find_by_channel_session
from casecore.errors import InvalidInput, InvalidPhoneNumber
from casecore.models import Complaint, utcnow
from casecore.phones import contact_phone
from casecore.references import clean_reference, is_valid_reference, new_reference
from casecore.free_text import short_text

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


@dataclass(frozen=True)
class SubmittedComplaint:
    """What the complainant is told: the reference; is_new is False for a retried submit."""

    id: uuid.UUID
    reference: str
    is_new: bool


def submit_complaint(session: Session, draft: ComplaintDraft, default_region: str) -> SubmittedComplaint:
    """Store the complaint once per channel session and return its reference; a retried submit returns the first."""
    _validate(draft)
    contact_phone, may_contact = _contact(draft, default_region)
    values = dict(
        organisation_id=draft.organisation_id,
        channel=draft.channel,
        channel_session_id=draft.channel_session_id,
        category=draft.category,
        anonymous=draft.anonymous,
        contact_phone=contact_phone,
        may_contact=may_contact,
        description=short_text(draft.description, DESCRIPTION_LENGTH),
        language=draft.language,
        status="new",
        complainant_key=draft.complainant_key,
        received_at=utcnow(),
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
        return SubmittedComplaint(complaint_id, reference, is_new=True)
    raise RuntimeError("could not allocate a unique reference")


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


def _validate(draft: ComplaintDraft) -> None:
    taxonomy.require(draft.channel, taxonomy.CHANNELS, "channel")
    taxonomy.require(draft.language, taxonomy.COMMUNITY_LANGUAGES, "language")
    taxonomy.require(draft.category, taxonomy.COMPLAINT_CATEGORIES, "complaint category")
    if draft.complainant_key is not None and not 0 < len(draft.complainant_key) <= 64:
        raise InvalidInput("a complainant key has 1 to 64 characters")
