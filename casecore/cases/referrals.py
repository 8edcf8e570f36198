"""Referrals of a case to services of the directory, on the family's consent to share with providers.

A referral is sent, then accepted or declined by the provider, then done; the provider's answers (counter-referral
notes) are typed in by the case worker. Every change is in the audit trail and the case's timeline.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.access import require_case
from casecore.cases.models import CaseConsent, CaseEvent, Referral
from casecore.cases.surveys import SurveyPlan, queue_service_surveys
from casecore.directory.models import Service
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.free_text import short_text, without_controls
from casecore.ids import parse_id
from casecore.messaging.models import OutboundMessage
from casecore.people.roles import Staff

log = logging.getLogger(__name__)

# The purposes whose consent a referral may rely on, preferred first.
CONSENT_PURPOSES = ("sharing_providers", "services")
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "sent": ("accepted", "declined"), "accepted": ("done",), "declined": (), "done": (),
}
NOTES_LENGTH = 2000


class ConsentRequired(Conflict):
    """No given, unwithdrawn consent to share with providers (or for services) is recorded on the case."""


@dataclass(frozen=True)
class ReferralRow:
    """One referral as the case page shows it."""

    id: uuid.UUID
    provider_name: str
    service_type: str
    contact: str | None
    status: str
    notes: str | None
    counter_referral_notes: str | None
    created_at: datetime
    updated_at: datetime
    consent_purpose: str | None
    consent_withdrawn: bool  # its consent, or the one to services, was withdrawn (the page says so)
    next_statuses: tuple[str, ...]


def referral_consent(session: Session, case_id: uuid.UUID) -> CaseConsent | None:
    """The consent a new referral relies on: the latest record for sharing with providers when there is one, else
    for services; given and not withdrawn. A refusal or withdrawal of sharing is never worked round."""
    for purpose in CONSENT_PURPOSES:
        latest = session.scalar(
            select(CaseConsent).where(CaseConsent.case_id == case_id, CaseConsent.purpose == purpose)
            .order_by(CaseConsent.recorded_at.desc(), CaseConsent.id).limit(1)
        )
        if latest is None:
            continue
        return latest if latest.given and latest.withdrawn_at is None else None
    return None


def make_referral(
    session: Session, staff: Staff, case_id: str | uuid.UUID, service_id: str | uuid.UUID, notes: str = "",
) -> uuid.UUID:
    """Refer a case someone may see to a service of its organisation's directory; ConsentRequired without consent."""
    case = require_case(session, staff, case_id)
    if case.status == "closed":
        raise Conflict("a closed case cannot be referred")
    try:
        service = session.get(Service, parse_id(service_id, "service"))
    except NotFound:
        service = None
    if service is None or service.organisation_id != case.organisation_id or not service.is_active:
        raise InvalidInput("choose an active service of the directory")
    consent = referral_consent(session, case.id)
    if consent is None:
        raise ConsentRequired("no consent to share with service providers is recorded on this case")
    text = _notes(notes)
    now = utcnow()
    referral = Referral(case_id=case.id, service_id=service.id, consent_id=consent.id, status="sent", notes=text,
                        created_by_id=staff.id, created_at=now, updated_at=now)
    session.add(referral)
    session.flush()
    _timeline(session, case.id, staff.id, service.provider_name, "sent", text)
    record_event(session, staff.id, "referral.created", "referral", referral.id)
    log.info("case %s: referral %s sent to service %s", case.id, referral.id, service.id)
    return referral.id


def update_referral(
    session: Session, staff: Staff, case_id: str | uuid.UUID, referral_id: str | uuid.UUID, *, status: str = "",
    counter_referral_notes: str = "", surveys: SurveyPlan | None = None,
) -> Referral:
    """Record the provider's answer: a new status (sent -> accepted | declined, accepted -> done) and/or notes.

    A referral done queues the family's service survey with surveys (service_survey_ids gives what to send)."""
    case = require_case(session, staff, case_id)
    referral = session.get(Referral, parse_id(referral_id, "referral"))
    if referral is None or referral.case_id != case.id:
        raise NotFound(f"referral {referral_id} not found")
    text = _notes(counter_referral_notes)
    old = referral.status
    if status and status != old:
        taxonomy.require(status, taxonomy.REFERRAL_STATUSES, "referral status")
        if status not in NEXT_STATUSES[old]:
            raise Conflict("the referral cannot take this status now")
    elif text is None:
        raise InvalidInput("give the provider's answer: a new status or notes")
    new = status or old
    now = utcnow()
    # Conditional: two people recording answers at once cannot both move the same referral on.
    changed = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == old, Referral.updated_at == referral.updated_at)
        .values(status=new, updated_at=now, counter_referral_notes=_append(referral.counter_referral_notes, text, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict("the referral was changed meanwhile; reload the page")
    session.refresh(referral)
    provider = session.scalar(select(Service.provider_name).where(Service.id == referral.service_id))
    _timeline(session, case.id, staff.id, provider, new, text)
    record_event(session, staff.id, "referral.updated", "referral", referral.id)
    if surveys is not None and new == "done" and old != "done":
        queue_service_surveys(session, referral, surveys)
    log.info("case %s: referral %s %s", case.id, referral.id, new)
    return referral


def service_survey_ids(session: Session, referral_id: uuid.UUID) -> list[uuid.UUID]:
    """The service surveys of a referral still waiting in the outbox: the web sends them after its commit."""
    return list(session.scalars(select(OutboundMessage.id).where(
        OutboundMessage.purpose_key.startswith(f"service-survey:{referral_id}:", autoescape=True),
        OutboundMessage.status == "queued")))


def case_referrals(session: Session, case_id: uuid.UUID) -> list[ReferralRow]:
    """A case's referrals, newest first; the caller has checked that the reader may see the case."""
    rows = session.execute(
        select(Referral, Service.provider_name, Service.service_type, Service.contact, CaseConsent.purpose,
               CaseConsent.withdrawn_at)
        .join(Service, Service.id == Referral.service_id)
        .outerjoin(CaseConsent, CaseConsent.id == Referral.consent_id)
        .where(Referral.case_id == case_id)
        .order_by(Referral.created_at.desc(), Referral.id)
    ).all()
    return [
        ReferralRow(r.id, name, kind, contact, r.status, r.notes, r.counter_referral_notes, r.created_at,
                    r.updated_at, purpose, withdrawn is not None or r.declined_because == "consent_withdrawn",
                    NEXT_STATUSES.get(r.status, ()))
        for r, name, kind, contact, purpose, withdrawn in rows
    ]


def _notes(text: str) -> str | None:
    text = without_controls(text, keep_newlines=True).strip()
    if len(text) > NOTES_LENGTH:
        raise InvalidInput(f"notes are limited to {NOTES_LENGTH} characters")
    return short_text(text, NOTES_LENGTH)


def _append(existing: str | None, text: str | None, now: datetime) -> str | None:
    # The provider's answers accumulate, dated: nothing typed earlier is lost.
    if not text:
        return existing
    entry = f"{now:%Y-%m-%d}: {text}"
    return f"{existing}\n\n{entry}" if existing else entry


def _timeline(session: Session, case_id: uuid.UUID, user_id: uuid.UUID | None, provider: str | None, status: str,
              text: str | None) -> None:
    body = f"{status}: {provider or ''}" + (f"\n{text}" if text else "")
    session.add(CaseEvent(case_id=case_id, kind="referral", body=body, author_user_id=user_id, at=utcnow()))
    session.flush()
