"""Who hears of a family's message on a case handed over to Primero: the Relais account of the case's owner in
Primero (the mapping's users, read backwards), else the organisation's supervisors."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casecore.handoff.mapping import HandoffMapping
from casecore.handoff.models import Handoff
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
