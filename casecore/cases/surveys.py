"""The feedback surveys a case sends its family's numbers, at closure and after a service, and the record of each
survey sent, so that feedback/ can tie an answer to it.

They go by SMS and say nothing of the case (SMS safety: no name, concern, reference or agency).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.cases.models import Case, FeedbackRequest, Referral
from casecore.cases.outreach import family_contacts
from casecore.db import dialect_insert
from casecore.messaging.contacts import is_opted_out, language_for
from casecore.messaging.outbox import queue_message
from casecore.messaging.routes import family_route

log = logging.getLogger(__name__)

SURVEY_AUDIENCES = ("adult", "child")
# The plan's text after a service (whoever holds the phone answers).
SERVICE_SURVEY = "service"


@dataclass(frozen=True)
class SurveyPlan:
    """How the surveys are worded and sent: texts by language (ready to send as SMS) and the backend."""

    texts: Callable[[str], Mapping[str, str]]  # language -> {"adult": ..., "child": ..., "service": ...}
    backend: str
    default_language: str


def queue_closure_surveys(session: Session, case: Case, approval_id: uuid.UUID, plan: SurveyPlan, *,
                          audiences: list[str] | None = None) -> list[uuid.UUID]:
    """Invite the adult and the child to give feedback, by SMS to each linked number; written once per closure.
    audiences: only those (the ones the supervisor could not meet; None: both)."""
    to_send = []
    asked_at = utcnow()
    for contact in family_contacts(session, case.id):
        if is_opted_out(session, contact.phone):
            continue
        language = _language(session, contact.phone, case, plan.default_language)
        # By SMS, through the provider the number last wrote through (a simulated phone keeps it in the simulator).
        backend = family_route(session, contact.phone, plan.backend).backend
        texts = plan.texts(language)
        for audience in SURVEY_AUDIENCES:
            if audiences is not None and audience not in audiences:
                continue
            key = f"closure-survey:{approval_id}:{contact.id}:{audience}"
            message = queue_message(session, purpose_key=key, to_phone=contact.phone, body=texts[audience],
                                    backend=backend, organisation_id=case.organisation_id)
            # So that the answer from this number is counted as the closure's, and the adult's or the child's.
            note_survey_sent(session, purpose_key=key, case_id=case.id, contact_id=contact.id, kind="closure",
                             audience=audience, asked_at=asked_at)
            if message.status == "queued":
                to_send.append(message.id)
    log.info("case %s: %d closure survey message(s) queued", case.id, len(to_send))
    return to_send


def queue_service_surveys(session: Session, referral: Referral, plan: SurveyPlan) -> list[uuid.UUID]:
    """Invite the family to say how a service went, by one SMS to each linked number; written once per referral
    and number, and nothing of the case, the service or the provider in it."""
    case = session.get(Case, referral.case_id)
    to_send = []
    for contact in family_contacts(session, case.id):
        if is_opted_out(session, contact.phone):
            continue
        language = _language(session, contact.phone, case, plan.default_language)
        backend = family_route(session, contact.phone, plan.backend).backend
        key = f"service-survey:{referral.id}:{contact.id}"
        message = queue_message(session, purpose_key=key, to_phone=contact.phone,
                                body=plan.texts(language)[SERVICE_SURVEY], backend=backend,
                                organisation_id=case.organisation_id)
        note_survey_sent(session, purpose_key=key, case_id=case.id, contact_id=contact.id, kind="service",
                         referral_id=referral.id)
        if message.status == "queued":
            to_send.append(message.id)
    log.info("case %s: %d service survey message(s) queued", case.id, len(to_send))
    return to_send


def _language(session: Session, phone: str, case: Case, default: str) -> str:
    for language in (language_for(session, phone), case.family_language):
        if language in taxonomy.COMMUNITY_LANGUAGES:
            return language
    return default


def note_survey_sent(session: Session, *, purpose_key: str, case_id: uuid.UUID, contact_id: uuid.UUID, kind: str,
                     audience: str | None = None, referral_id: uuid.UUID | None = None,
                     asked_at: datetime | None = None) -> None:
    """Remember that a survey went to a family's number (once per purpose key), so its answer can be tied to it;
    the surveys sent together share asked_at (the adult's is then answered first)."""
    taxonomy.require(kind, taxonomy.FEEDBACK_REQUEST_KINDS, "survey kind")
    if audience is not None:
        taxonomy.require(audience, taxonomy.FEEDBACK_AUDIENCES, "audience")
    session.execute(
        dialect_insert(session, FeedbackRequest.__table__)
        .values(id=uuid.uuid4(), purpose_key=purpose_key, case_id=case_id, referral_id=referral_id,
                contact_id=contact_id, kind=kind, audience=audience, asked_at=asked_at or utcnow())
        .on_conflict_do_nothing(index_elements=["purpose_key"])
    )
