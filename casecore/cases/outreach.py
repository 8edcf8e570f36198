"""A case worker's texts to the family's numbers (the surveys are in cases/surveys.py).

A text goes through the outbox (written once per form key, sent after the commit), back the way the family last
wrote (WhatsApp or SMS, through the same provider: messaging/routes.py), and lands in the case's timeline.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.audit import record_event
from casecore.cases.casework import add_event, lock_case, meet_first_response
from casecore.cases.models import CaseContact, CaseEvent
from casecore.cases.opening import add_case_contact
from casecore.errors import InvalidInput, NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import queue_message
from casecore.messaging.routes import MESSAGE_LENGTH, staff_text_to
from casecore.people.roles import Staff
from casecore.phones import is_business_scoped_id, mask_phone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentToFamily:
    """A case worker's message: its timeline entry and outbox row; is_new False when the form came twice."""

    event_id: uuid.UUID
    outbox_id: uuid.UUID
    is_new: bool


def family_contacts(session: Session, case_id: uuid.UUID) -> list[CaseContact]:
    """The numbers linked to a case, first linked first."""
    return list(session.scalars(select(CaseContact).where(CaseContact.case_id == case_id)
                                .order_by(CaseContact.added_at, CaseContact.id)))


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


def link_sender(session: Session, staff: Staff, case_id: str | uuid.UUID, event_id: str | uuid.UUID) -> bool:
    """The case worker links the number a message came from with the case's reference to the case: its next
    messages come straight to the case, and the case's texts may go to it. False when it was linked already."""
    case = lock_case(session, staff, case_id)
    if case.status == "closed":
        raise Refused("case_closed")
    event = session.get(CaseEvent, parse_id(event_id, "event"))
    if event is None or event.case_id != case.id:
        raise NotFound(f"event {event_id} not found")
    if event.kind != "family_message" or not event.unlinked_phone:
        raise Refused("sender_not_unlinked")
    if is_business_scoped_id(event.unlinked_phone):
        raise Refused("sender_not_linkable")  # no number behind it: a family contact is called and sent SMS
    linked = add_case_contact(session, case.id, event.unlinked_phone)
    add_event(session, case.id, "contact_linked", staff.id)
    record_event(session, staff.id, "case.contact_linked", "case", case.id)
    log.info("case %s: the sender of message %s linked", case.id, event.id)
    return linked


class UnlinkedSender(NamedTuple):
    """Who sent a message with the case's reference: masked, and whether it can be linked (a number, not an id)."""

    masked: str
    linkable: bool


def unlinked_senders(session: Session, case_id: uuid.UUID) -> dict[uuid.UUID, UnlinkedSender | None]:
    """The case's messages from senders not linked to it: event id -> the sender, or None once linked since."""
    linked = {contact.phone for contact in family_contacts(session, case_id)}
    return {event_id: None if phone in linked else UnlinkedSender(mask_phone(phone), not is_business_scoped_id(phone))
            for event_id, phone in session.execute(
                select(CaseEvent.id, CaseEvent.unlinked_phone).where(CaseEvent.case_id == case_id,
                                                                     CaseEvent.unlinked_phone.is_not(None)))}
