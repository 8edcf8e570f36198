"""Staff forms acted on once: a double click or a form sent again finds its key used and changes nothing.

Each form that adds something carries a key drawn when the page was shown. The key is written in the unit of work
that acts on the form, so it is kept exactly when the action is: a refused or failed action leaves it free for
the person to try again, and of two requests with one key the second waits for the first and then finds it.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, Uuid, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from casecore.base import Base, UTCDateTime, utcnow
from casecore.db import dialect_insert
from casecore.errors import InvalidInput

# A form is sent within the life of its page's CSRF token (an hour): keys older than this can no longer come back.
KEEP_FORM_KEYS = timedelta(days=2)


class FormUse(Base):
    """A staff form acted on: its key, so the same form sent twice (a double click, a resend) acts once."""

    __tablename__ = "form_use"

    form_key: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def first_use(session: Session, user_id: uuid.UUID, action: str, form_key: str | None) -> bool:
    """Record the form's key; False when that form was already acted on (the caller then does nothing).

    A form without a key (a page shown before keys existed, a script) is acted on as before.
    """
    if not form_key:
        return True
    try:
        key = uuid.UUID(str(form_key))
    except ValueError:
        raise InvalidInput("the form's key is malformed; reload the page") from None
    inserted = session.execute(
        dialect_insert(session, FormUse.__table__)
        .values(form_key=key, action=action[:64], user_id=user_id, used_at=utcnow())
        .on_conflict_do_nothing().returning(FormUse.__table__.c.form_key)
    ).first()
    return inserted is not None


def forget_old_forms(session: Session, now: datetime) -> int:
    """Drop the keys of forms too old to be sent again (the scheduler's sweep); returns how many."""
    return session.execute(delete(FormUse).where(FormUse.used_at < now - KEEP_FORM_KEYS)).rowcount
