"""Telling administrators by SMS that hand-offs to Primero stopped (the account or its role was refused): once
per pause, and nothing of any child in it."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.handoff.queue import current_pause
from casecore.i18n import gettext_for
from casecore.messaging.outbox import queue_message
from casecore.people.models import User
from casecore.people.roles import ADMIN


def pause_text(language: str) -> str:
    """The SMS: that hand-offs stopped and where to look, nothing else."""
    _ = gettext_for(language, "notifications")
    return _("Relais: cases are no longer handed over to CPIMS+ (Primero refused the account). "
             "See the hand-off page.")


def queue_pause_alerts(session: Session, backend: str) -> list[uuid.UUID]:
    """Write the alert of the pause in force to every active administrator with a phone (once each)."""
    stopped = current_pause(session)
    if stopped is None:
        return []
    admins = session.scalars(select(User).where(User.role == ADMIN, User.is_active.is_(True),
                                                User.phone.is_not(None)).order_by(User.email))
    to_send = []
    for user in admins:
        message = queue_message(session, purpose_key=f"handoff-paused:{stopped.id}:{user.id}", to_phone=user.phone,
                                body=pause_text(user.language), backend=backend,
                                organisation_id=user.organisation_id, recipient_user_id=user.id)
        if message.status == "queued":
            to_send.append(message.id)
    return to_send
