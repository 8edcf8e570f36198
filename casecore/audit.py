"""The audit trail: who saw or changed what, and when."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.ids import parse_id

log = logging.getLogger(__name__)


class AuditEvent(Base):
    """Who saw or changed what, and when."""

    __tablename__ = "audit_event"

    id: Mapped[uuid.UUID] = uuid_pk()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)


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
    log_when_committed(session, log, "audit %s %s %s by user %s", action, object_type, event.object_id,
                       event.user_id)
    return event


_LOG_LINES = "log_lines_when_committed"


def log_when_committed(session: Session, logger: logging.Logger, message: str, *args: object) -> None:
    """An info line for the log once the unit of work commits: a change tried and undone (a confirmation asked
    first, a refusal) leaves no line saying it happened."""
    session.info.setdefault(_LOG_LINES, []).append((logger, message, args))


@event.listens_for(Session, "after_commit")
def _log_committed(session: Session) -> None:
    for logger, message, args in session.info.pop(_LOG_LINES, ()):
        logger.info(message, *args)


@event.listens_for(Session, "after_rollback")
def _forget_undone(session: Session) -> None:
    session.info.pop(_LOG_LINES, None)

