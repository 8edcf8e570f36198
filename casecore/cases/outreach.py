"""Messages from a case to the family's numbers: the case worker's texts, and the feedback surveys at closure and
after a service.

Both go through the outbox (written once per purpose key, sent after the commit). A case worker's text goes back
the way the family last wrote (WhatsApp or SMS, through the same provider) and lands in the case's timeline; the
surveys go by SMS and say nothing of the case (SMS safety: no name, concern, reference or agency).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.cases.access import Staff
from casecore.audit import record_event
from casecore.cases.casework import Refused, add_event, lock_case, meet_first_response, staff_text
from casecore.messaging.contacts import is_opted_out, language_for
from casecore.errors import InvalidInput
from casecore.feedback.answers import note_survey_sent
from casecore.cases.models import Case, CaseContact, CaseEvent, Referral
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.base import utcnow
from casecore.messaging.outbox import queue_message
from casecore.messaging.sms_length import measure_sms

log = logging.getLogger(__name__)

# A case worker's message: what fits two SMS once respelt for GSM-7.
MESSAGE_LENGTH = 300
MAX_SMS_SEGMENTS = 2
SURVEY_AUDIENCES = ("adult", "child")
# The plan's text after a service (whoever holds the phone answers).
SERVICE_SURVEY = "service"
# Messages to simulated numbers stay in the simulator, whatever the configured backend.
SIMULATOR = "simulator"


@dataclass(frozen=True)
class SurveyPlan:
    """How the surveys are worded and sent: texts by language (ready to send as SMS) and the backend."""

    texts: Callable[[str], Mapping[str, str]]  # language -> {"adult": ..., "child": ..., "service": ...}
    backend: str
    default_language: str


@dataclass(frozen=True)
class Route:
    """How a message reaches a number: the channel the family last wrote on and the backend that answers it."""

    channel: str
    backend: str


@dataclass(frozen=True)
class SentToFamily:
    """A case worker's message: its timeline entry and outbox row; is_new False when the form came twice."""

    event_id: uuid.UUID
    outbox_id: uuid.UUID
    is_new: bool


def family_route(session: Session, phone: str, sms_backend: str) -> Route:
    """WhatsApp when the number last wrote on WhatsApp, else SMS; the provider it wrote through, else sms_backend."""
    last = session.execute(
        select(InboundMessage.channel, InboundMessage.provider).where(InboundMessage.phone == phone)
        .order_by(InboundMessage.received_at.desc()).limit(1)
    ).first()
    channel = "whatsapp" if last is not None and last.channel == "whatsapp" else "sms"
    if last is not None and last.provider == SIMULATOR:
        return Route(channel, SIMULATOR)
    if sms_backend == "console" or last is None:
        return Route(channel, sms_backend)
    return Route(channel, last.provider)


def family_contacts(session: Session, case_id: uuid.UUID) -> list[CaseContact]:
    """The numbers linked to a case, first linked first."""
    return list(session.scalars(select(CaseContact).where(CaseContact.case_id == case_id)
                                .order_by(CaseContact.added_at, CaseContact.id)))


def staff_text_to(session: Session, phone: str, body: str, sms_backend: str,
                  respell_sms: Callable[[str], str]) -> tuple[Route, str]:
    """How staff's words reach a community number, and the words as they go that way (respelt for SMS); Refused
    when the number opted out or the text would take more than MAX_SMS_SEGMENTS."""
    if is_opted_out(session, phone):
        raise Refused("opted_out")
    route = family_route(session, phone, sms_backend)
    wire = respell_sms(body) if route.channel == "sms" else body
    if route.channel == "sms" and measure_sms(wire).segments > MAX_SMS_SEGMENTS:
        raise Refused("message_too_long")
    return route, wire


def message_family(session: Session, staff: Staff, case_id: str | uuid.UUID, *, contact_id: str | uuid.UUID | None,
                   text: str, form_key: str, sms_backend: str,
                   respell_sms: Callable[[str], str] = lambda text: text) -> SentToFamily:
    """Send the case worker's text to one of the family's numbers and add it to the timeline, once per form_key."""
    case = lock_case(session, staff, case_id)
    key = f"case-message:{_form_key(form_key)}"
    sent = _already_sent(session, case.id, key)
    if sent is not None:
        return sent
    body = staff_text(text, "message", length=MESSAGE_LENGTH)
    contact = _contact(session, case.id, contact_id)
    route, wire = staff_text_to(session, contact.phone, body, sms_backend, respell_sms)
    event = add_event(session, case.id, "message_to_family", staff.id, body, channel=route.channel,
                      source_key=key)
    outbox = queue_message(session, purpose_key=key, to_phone=contact.phone, body=wire, backend=route.backend,
                           channel=route.channel, organisation_id=case.organisation_id)
    meet_first_response(session, case.id)
    record_event(session, staff.id, "case.family_messaged", "case", case.id)
    log.info("case %s: message %s to the family on %s", case.id, event.id, route.channel)
    return SentToFamily(event.id, outbox.id, True)


def queue_closure_surveys(session: Session, case: Case, approval_id: uuid.UUID, plan: SurveyPlan) -> list[uuid.UUID]:
    """Invite the adult and the child to give feedback, by SMS to each linked number; written once per closure."""
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


def _already_sent(session: Session, case_id: uuid.UUID, key: str) -> SentToFamily | None:
    event = session.scalar(select(CaseEvent).where(CaseEvent.source_key == key))
    if event is None:
        return None
    if event.case_id != case_id:
        raise InvalidInput("that form belongs to another case")
    outbox_id = session.scalar(select(OutboundMessage.id).where(OutboundMessage.purpose_key == key))
    return SentToFamily(event.id, outbox_id, False)


def _form_key(value: str) -> uuid.UUID:
    """The form's one-time key (a UUID the page drew): a form sent twice carries the same one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("the form's key is missing or malformed") from None


def _contact(session: Session, case_id: uuid.UUID, contact_id: str | uuid.UUID | None) -> CaseContact:
    contacts = family_contacts(session, case_id)
    if not contacts:
        raise Refused("no_family_number")
    if contact_id in (None, ""):
        if len(contacts) > 1:
            raise Refused("choose_number")
        return contacts[0]
    for contact in contacts:
        if str(contact.id) == str(contact_id):
            return contact
    raise Refused("choose_number")


def _language(session: Session, phone: str, case: Case, default: str) -> str:
    for language in (language_for(session, phone), case.family_language):
        if language in taxonomy.COMMUNITY_LANGUAGES:
            return language
    return default
