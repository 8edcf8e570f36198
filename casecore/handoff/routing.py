"""Who hears of a family's message on a case handed over to Primero: the Relais account of the case's owner in
Primero (the mapping's users, read backwards), else the organisation's supervisors."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.cases.models import Case, CaseEvent
from casecore.db import dialect_insert
from casecore.handoff.mapping import HandoffMapping
from casecore.handoff.models import Handoff, HandoffNote
from casecore.people.lookups import supervisors_of
from casecore.people.models import User


def handed_over_case(session: Session, case_id: uuid.UUID) -> Handoff | None:
    """The hand-off of a Relais case whose Primero case exists, if any."""
    return session.scalar(select(Handoff).where(Handoff.case_id == case_id, Handoff.status == "sent"))


def owner_accounts(session: Session, handoff: Handoff, mapping: HandoffMapping) -> list[User]:
    """The active Relais accounts, with a phone, of the Primero user who owns the case; else the supervisors."""
    emails = mapping.emails_of(handoff.owned_by)
    if emails:
        owners = list(session.scalars(select(User).where(
            func.lower(User.email).in_(emails), User.organisation_id == handoff.organisation_id,
            User.is_active.is_(True), User.phone.is_not(None))))
        if owners:
            return owners
    return supervisors_of(session, handoff.organisation_id)


def messages_to_note(session: Session, received_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Family messages on handed-over cases not yet added to the Primero case (nor refused there), oldest first:
    those whose job was lost, failed for good, or came while the hand-off was still on its way."""
    return list(session.scalars(
        select(CaseEvent.id).join(Handoff, (Handoff.case_id == CaseEvent.case_id) & (Handoff.status == "sent"))
        .outerjoin(HandoffNote, HandoffNote.event_id == CaseEvent.id)
        .where(CaseEvent.kind == "family_message", HandoffNote.event_id.is_(None), CaseEvent.at < received_before)
        .order_by(CaseEvent.at).limit(limit)))


def note_added(session: Session, event_id: uuid.UUID, handoff_id: uuid.UUID, status: str) -> None:
    """Record that a family message is in the Primero case (or was refused there): never sent again."""
    session.execute(dialect_insert(session, HandoffNote.__table__)
                    .values(event_id=event_id, handoff_id=handoff_id, status=status, at=utcnow())
                    .on_conflict_do_nothing())


def records_to_sync(session: Session, limit: int = 1000) -> list[uuid.UUID]:
    """Hand-offs whose case record changed since Primero last got it (the case's record_version ahead of the one
    sent), while the case is still the organisation's (a case transferred away is not sent to its old CPIMS+)."""
    return list(session.scalars(
        select(Handoff.id).join(Case, Case.id == Handoff.case_id)
        .where(Handoff.status == "sent", Case.organisation_id == Handoff.organisation_id,
               Case.record_version > Handoff.record_version_synced)
        .order_by(func.coalesce(Handoff.record_synced_at, Handoff.created_at)).limit(limit)))
