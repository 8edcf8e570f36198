"""Cases opened from reports, the family numbers linked to them, and messages families send (issue 5 adds the rest)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import Uuid, exists, literal, or_, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import UTCDateTime, utcnow
from casecore.cases.models import Case, CaseContact, CaseEvent
from casecore.changes import CASE_OPENED, note_change
from casecore.db import dialect_insert
from casecore.errors import InvalidInput, InvalidPhoneNumber, NotFound
from casecore.free_text import short_text
from casecore.ids import parse_id
from casecore.people.models import User
from casecore.phones import contact_phone, sender_phone
from casecore.references import clean_reference, is_valid_reference, new_reference
from casecore.reports.models import Report
from casecore.sealing import SealedText

log = logging.getLogger(__name__)

FAMILY_MESSAGE_LENGTH = 1000
# Feedback a number sends this long after its case closed still answers the closure survey (post-closure check).
FEEDBACK_AFTER_CLOSURE = timedelta(days=90)
_REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class CaseLink:
    """The case a number or a reference leads to, and who must hear about a message on it."""

    case_id: uuid.UUID
    organisation_id: uuid.UUID
    assigned_to_id: uuid.UUID | None


@dataclass(frozen=True)
class FamilyMessage:
    """A family's message recorded in a case's timeline; is_new is False for a retried delivery."""

    event_id: uuid.UUID
    is_new: bool


def open_case(
    session: Session,
    report_id: str | uuid.UUID,
    *,
    assigned_to_id: uuid.UUID | None = None,
    contact_phones: Iterable[str] = (),
    default_region: str | None = None,
) -> uuid.UUID:
    """Open a case from a report (which becomes "accepted"), with the family numbers linked to it."""
    report = session.get(Report, parse_id(report_id, "report"), with_for_update=True)
    if report is None:
        raise NotFound(f"report {report_id} does not exist")
    if assigned_to_id is not None:
        assignee = session.get(User, parse_id(assigned_to_id, "user"))
        if assignee is None or assignee.organisation_id != report.organisation_id:
            raise InvalidInput("a case is assigned to a staff member of the report's organisation")
    # Every number is checked before anything is written; one from a range the library does not know yet is still
    # the family's number (phones.contact_phone).
    phones = [contact_phone(phone, default_region) for phone in contact_phones]
    case_id = _insert_case(session, report, assigned_to_id)
    # Inserted without the ORM, so noted here; later changes in the same transaction are part of the opening.
    note_change(session, CASE_OPENED, case_id, report.organisation_id)
    report.status = "accepted"
    for phone in phones:
        _link(session, case_id, phone)
    session.flush()
    log.info("case %s opened from report %s", case_id, report.id)
    return case_id


def add_case_contact(
    session: Session, case_id: str | uuid.UUID, phone: str, *, default_region: str | None = None
) -> bool:
    """Link a family's number to a case; True if it was not linked already."""
    key = parse_id(case_id, "case")
    e164 = contact_phone(phone, default_region)
    if session.scalar(select(Case.id).where(Case.id == key)) is None:
        raise NotFound(f"case {case_id} does not exist")
    return _link(session, key, e164)


def is_case_contact(session: Session, case_id: uuid.UUID, phone: str) -> bool:
    """Whether this number (as a provider sent it) is linked to the case; a WhatsApp business-scoped id never is."""
    try:
        number = contact_phone(phone)
    except InvalidPhoneNumber:
        return False
    return session.scalar(select(CaseContact.id).where(CaseContact.case_id == case_id,
                                                       CaseContact.phone == number)) is not None


def find_case_for_phone(session: Session, phone: str) -> CaseLink | None:
    """The most recently opened open case this number is linked to, or None."""
    try:
        e164 = sender_phone(phone)
    except InvalidPhoneNumber:
        return None  # a number we cannot read is linked to nothing
    row = session.execute(
        select(Case.id, Case.organisation_id, Case.assigned_to_id)
        .join(CaseContact, CaseContact.case_id == Case.id)
        .where(CaseContact.phone == e164, Case.status == "open")
        .order_by(Case.opened_at.desc())
        .limit(1)
    ).first()
    return None if row is None else CaseLink(*row)


def find_case_for_feedback(session: Session, phone: str, now: datetime | None = None) -> CaseLink | None:
    """The case feedback from this number is about: its open case, else the one closed most recently within
    FEEDBACK_AFTER_CLOSURE (the closure survey invites the family to answer after closing)."""
    found = find_case_for_phone(session, phone)
    if found is not None:
        return found
    try:
        e164 = sender_phone(phone)
    except InvalidPhoneNumber:
        return None
    since = (now or utcnow()) - FEEDBACK_AFTER_CLOSURE
    row = session.execute(
        select(Case.id, Case.organisation_id, Case.assigned_to_id)
        .join(CaseContact, CaseContact.case_id == Case.id)
        .where(CaseContact.phone == e164, Case.status.in_(("closure_requested", "closed")),
               or_(Case.closed_at.is_(None), Case.closed_at >= since))
        .order_by(Case.closed_at.is_(None).desc(), Case.closed_at.desc())
        .limit(1)
    ).first()
    return None if row is None else CaseLink(*row)


def find_case_by_reference(session: Session, reference: str) -> CaseLink | None:
    """The open case with this reference, or opened from the report with this reference; None otherwise."""
    code = clean_reference(reference)
    if not is_valid_reference(code):
        return None
    from_report = select(Report.id).where(Report.reference == code)
    row = session.execute(
        select(Case.id, Case.organisation_id, Case.assigned_to_id)
        .where(Case.status == "open", or_(Case.reference == code, Case.report_id.in_(from_report)))
        .order_by(Case.opened_at.desc())
        .limit(1)
    ).first()
    return None if row is None else CaseLink(*row)


def record_family_message(
    session: Session, case_id: str | uuid.UUID, *, channel: str, body: str, source_key: str,
    unlinked_phone: str | None = None,
) -> FamilyMessage:
    """Add a family's message to the case's timeline once per source_key (a retried delivery adds nothing);
    unlinked_phone: the sender's number when it is not linked to the case (it gave the reference)."""
    taxonomy.require(channel, taxonomy.CHANNELS, "channel")
    text = short_text(body, FAMILY_MESSAGE_LENGTH)
    if text is None:
        raise InvalidInput("a family message needs some text")
    if not source_key or len(source_key) > 200:
        raise InvalidInput("a source key of 1 to 200 characters is required")
    key = parse_id(case_id, "case")
    event_id = uuid.uuid4()
    # INSERT ... SELECT FROM case_file: a missing case inserts nothing, and the write comes first, so two
    # deliveries at once do not trip over each other's read (SQLite cannot upgrade a stale read to a write).
    # The text and the number typed as their columns are, so that they are sealed like any other write.
    row = select(
        literal(event_id, Uuid), Case.id, literal("family_message"), literal(channel), literal(text, SealedText()),
        literal(source_key), literal(utcnow(), UTCDateTime), literal(unlinked_phone, SealedText()),
    ).where(Case.id == key)
    inserted = session.execute(
        dialect_insert(session, CaseEvent.__table__)
        .from_select(["id", "case_id", "kind", "channel", "body", "source_key", "at", "unlinked_phone"], row)
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(CaseEvent.__table__.c.id)
    ).first()
    if inserted is None:
        existing = session.scalar(select(CaseEvent.id).where(CaseEvent.source_key == source_key))
        if existing is None:
            raise NotFound(f"case {case_id} does not exist")
        return FamilyMessage(existing, is_new=False)
    log.info("case %s: family message %s received on %s", key, event_id, channel)
    return FamilyMessage(event_id, True)


def _insert_case(session: Session, report: Report, assigned_to_id: uuid.UUID | None) -> uuid.UUID:
    for _ in range(_REFERENCE_ATTEMPTS):
        reference = new_reference()
        # A case reference must not also be a report's: a family may give either to reach its case worker.
        taken = session.scalar(select(exists().where(Report.reference == reference)))
        if taken:
            continue
        case_id = uuid.uuid4()
        inserted = session.execute(
            dialect_insert(session, Case.__table__)
            .values(id=case_id, reference=reference, organisation_id=report.organisation_id, report_id=report.id,
                    assigned_to_id=assigned_to_id, status="open", opened_at=utcnow())
            .on_conflict_do_nothing(index_elements=["reference"])
            .returning(Case.__table__.c.id)
        ).first()
        if inserted is not None:
            return case_id
    raise RuntimeError("could not allocate a unique case reference")


def _link(session: Session, case_id: uuid.UUID, e164: str) -> bool:
    inserted = session.execute(
        dialect_insert(session, CaseContact.__table__)
        .values(case_id=case_id, phone=e164, added_at=utcnow())
        .on_conflict_do_nothing(index_elements=["case_id", "phone_key"])
        .returning(CaseContact.__table__.c.id)
    ).first()
    return inserted is not None
