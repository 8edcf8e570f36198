"""SMS to staff about a case: an assignment, a transfer to answer, a transfer's answer, and a family that wrote
(to the case worker, else the supervisors).

Each carries the case's reference and what to do, never a child's details or another organisation's name (SMS
safety, ../shared/domain/README.md); each is written to the outbox once per purpose key.
"""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from casecore.cases.models import Case, CaseEvent, CaseTransfer
from casecore.errors import NotFound
from casecore.i18n import N_, gettext_for
from casecore.ids import parse_id
from casecore.messaging.outbox import queue_message
from casecore.people.lookups import supervisors_of
from casecore.people.models import User

log = logging.getLogger(__name__)

ASSIGNED = N_("Relais: case %(reference)s is now assigned to you. Log in to see it.")
TRANSFER_ASKED = N_("Relais: another organisation asks yours to take case %(reference)s. Log in to answer.")
TRANSFER_ACCEPTED = N_("Relais: the transfer of case %(reference)s was accepted.")
TRANSFER_DECLINED = N_("Relais: the transfer of case %(reference)s was declined. The case stays with you.")


def staff_alert_text(language: str, template: str, reference: str) -> str:
    """One of this module's SMS in the staff member's language."""
    return gettext_for(language, "notifications")(template) % {"reference": reference}


def queue_assignment_alert(session: Session, case: Case, worker: User, backend: str) -> list[uuid.UUID]:
    """Tell a case worker a case is now theirs (once per assignment); the outbox ids still to send."""
    # One per assignment: a case assigned to the same worker again later is a new assignment.
    key = f"case-assigned:{case.id}:{worker.id}:{case.assigned_at.isoformat()}"
    return _queue(session, [worker], key, ASSIGNED, case, backend, case.organisation_id)


def queue_transfer_request_alerts(session: Session, transfer: CaseTransfer, case: Case,
                                  backend: str) -> list[uuid.UUID]:
    """Tell the receiving organisation's supervisors that a transfer waits for their answer."""
    recipients = supervisors_of(session, transfer.to_organisation_id)
    return _queue(session, recipients, f"transfer-asked:{transfer.id}", TRANSFER_ASKED, case, backend,
                  transfer.to_organisation_id)


def queue_transfer_answer_alert(session: Session, transfer: CaseTransfer, case: Case,
                                backend: str) -> list[uuid.UUID]:
    """Tell the supervisor who asked for a transfer what the other organisation answered."""
    asker = session.get(User, transfer.requested_by_id) if transfer.requested_by_id else None
    recipients = [asker] if asker is not None and asker.is_active and asker.phone else []
    template = TRANSFER_ACCEPTED if transfer.status == "accepted" else TRANSFER_DECLINED
    return _queue(session, recipients, f"transfer-answered:{transfer.id}", template, case, backend,
                  transfer.from_organisation_id)


def _queue(session: Session, recipients: list[User], key: str, template: str, case: Case, backend: str,
           organisation_id: uuid.UUID) -> list[uuid.UUID]:
    to_send = []
    for user in recipients:
        if not user.phone:
            continue
        message = queue_message(
            session, purpose_key=f"{key}:{user.id}", to_phone=user.phone,
            body=staff_alert_text(user.language, template, case.reference), backend=backend,
            organisation_id=organisation_id, recipient_user_id=user.id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    if not recipients:
        log.error("case %s: nobody with a phone to tell (%s)", case.id, key.split(":", 1)[0])
    return to_send


def family_message_text(language: str) -> str:
    """The alert SMS: that a family wrote, nothing else (no reference, name, concern or message; SMS safety)."""
    _ = gettext_for(language, "notifications")
    return _("Relais: a family sent a new message on one of your cases. Log in to read it.")


def family_message_purpose_key(event_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The outbox key that makes one alert per family message and staff member."""
    return f"family-message:{event_id}:{user_id}"


def queue_family_message_alert(session: Session, event_id: str | uuid.UUID, backend: str,
                               recipients: list[User] | None = None) -> list[uuid.UUID]:
    """Write the alert for a family's message (once) and return the outbox ids still to send.

    recipients replaces the case's own (its case worker, else the supervisors): a case handed over to Primero is
    followed by its owner there."""
    event = session.get(CaseEvent, parse_id(event_id, "case event"))
    if event is None or event.kind != "family_message":
        raise NotFound(f"family message {event_id} does not exist")
    case = session.get(Case, event.case_id)
    to_send = []
    recipients = _recipients(session, case) if recipients is None else recipients
    for user in recipients:
        message = queue_message(
            session, purpose_key=family_message_purpose_key(event.id, user.id), to_phone=user.phone,
            body=family_message_text(user.language), backend=backend,
            organisation_id=case.organisation_id, recipient_user_id=user.id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    if not recipients:
        log.error("case %s: nobody with a phone to tell about family message %s", case.id, event.id)
    return to_send


def _recipients(session: Session, case: Case) -> list[User]:
    if case.assigned_to_id is not None:
        worker = session.get(User, case.assigned_to_id)
        if worker is not None and worker.is_active and worker.phone:
            return [worker]
    # Nobody assigned (or they cannot be reached): the supervisors make sure the message is read.
    return supervisors_of(session, case.organisation_id)
