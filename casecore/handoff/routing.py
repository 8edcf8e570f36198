"""Who hears of a family's message on a case handed over to Primero: the Relais account of the case's owner in
Primero (the mapping's users, read backwards), else the organisation's supervisors."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.cases.models import CaseConsent, CaseEvent
from casecore.cases.record_models import CaseRiskChange, ChildRegistration, ServiceGiven, TracingAction
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


def records_to_sync(session: Session, limit: int = 200) -> list[uuid.UUID]:
    """Hand-offs whose case record changed since Primero last got it: a consent recorded or withdrawn, the
    registration saved, the risk revised, a service given or a tracing action recorded."""
    since = func.coalesce(Handoff.record_synced_at, Handoff.created_at)
    changed = [
        select(CaseConsent.case_id).where(CaseConsent.case_id == Handoff.case_id,
                                          or_(CaseConsent.recorded_at > since, CaseConsent.withdrawn_at > since)),
        select(ChildRegistration.case_id).where(ChildRegistration.case_id == Handoff.case_id,
                                                ChildRegistration.updated_at > since),
        select(CaseRiskChange.case_id).where(CaseRiskChange.case_id == Handoff.case_id,
                                             CaseRiskChange.changed_at > since),
        select(ServiceGiven.case_id).where(ServiceGiven.case_id == Handoff.case_id, ServiceGiven.created_at > since),
        select(TracingAction.case_id).where(TracingAction.case_id == Handoff.case_id,
                                            TracingAction.created_at > since),
    ]
    return list(session.scalars(
        select(Handoff.id).where(Handoff.status == "sent", Handoff.case_id.is_not(None),
                                 or_(*(query.exists() for query in changed)))
        .order_by(Handoff.record_synced_at).limit(limit)))
