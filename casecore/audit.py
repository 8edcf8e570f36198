"""The audit trail: who saw or changed what, and when."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from casecore.ids import parse_id
from casecore.models import AuditEvent

log = logging.getLogger(__name__)


def record_event(
    session: Session, user_id: uuid.UUID | str | None, action: str, object_type: str, object_id: object
) -> AuditEvent:
    """Add an audit event to the unit of work; it is kept only if the work it describes commits."""
    event = AuditEvent(
        user_id=None if user_id is None else parse_id(user_id, "user"),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
    )
    session.add(event)
    session.flush()
    # Ids only: the audit line must never carry a phone number or a name.
    log.info("audit %s %s %s by user %s", action, object_type, event.object_id, event.user_id)
    return event

