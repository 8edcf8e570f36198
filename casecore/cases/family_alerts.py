"""Telling staff by SMS that a family wrote on a case: the case worker, else the supervisors; written once."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from casecore.errors import NotFound
from casecore.i18n import gettext_for
from casecore.ids import parse_id
from casecore.cases.models import Case, CaseEvent
from casecore.people.models import User
from casecore.messaging.outbox import queue_message
from casecore.accounts.users import supervisors_of

log = logging.getLogger(__name__)


def family_message_text(language: str) -> str:
    """The alert SMS: that a family wrote, nothing else (no reference, name, concern or message; SMS safety)."""
    _ = gettext_for(language, "notifications")
    return _("Relais: a family sent a new message on one of your cases. Log in to read it.")


def family_message_purpose_key(event_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The outbox key that makes one alert per family message and staff member."""
    return f"family-message:{event_id}:{user_id}"


def queue_family_message_alert(session: Session, event_id: str | uuid.UUID, backend: str) -> list[uuid.UUID]:
    """Write the alert for a family's message (once) and return the outbox ids still to send."""
    event = session.get(CaseEvent, parse_id(event_id, "case event"))
    if event is None or event.kind != "family_message":
        raise NotFound(f"family message {event_id} does not exist")
    case = session.get(Case, event.case_id)
    to_send = []
    recipients = _recipients(session, case)
    for user in recipients:
        message = queue_message(
            session, purpose_key=family_message_purpose_key(event.id, user.id), to_phone=user.phone,
            body=family_message_text(user.language), backend=backend,
            organisation_id=case.organisation_id, recipient_user_id=user.id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    if not recipients:
        log.warning("case %s: nobody with a phone to tell about family message %s", case.id, event.id)
    return to_send


def _recipients(session: Session, case: Case) -> list[User]:
    if case.assigned_to_id is not None:
        worker = session.get(User, case.assigned_to_id)
        if worker is not None and worker.is_active and worker.phone:
            return [worker]
    # Nobody assigned (or they cannot be reached): the supervisors make sure the message is read.
    return supervisors_of(session, case.organisation_id)
