"""SMS to staff about who holds a case: an assignment, a transfer to answer, a transfer's answer.

Each carries the case's reference and what to do, never a child's details or another organisation's name (SMS
safety, ../shared/domain/README.md); each is written to the outbox once per purpose key.
"""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from casecore.i18n import N_, gettext_for
from casecore.cases.models import Case, CaseTransfer
from casecore.people.models import User
from casecore.messaging.outbox import queue_message
from casecore.accounts.users import supervisors_of

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
        log.warning("case %s: nobody with a phone to tell (%s)", case.id, key.split(":", 1)[0])
    return to_send
