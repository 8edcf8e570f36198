"""What we remember about a community member's number: the language they chose and whether they opted out.

Every write is one INSERT ... ON CONFLICT, so two first messages from the same number at once leave one row.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.db import dialect_insert
from casecore.messaging.models import CommunityContact
from casecore.phones import sender_phone

_TABLE = CommunityContact.__table__


def remember_language(session: Session, phone: str, language: str) -> None:
    """Remember the language this number chose, for every later conversation and message."""
    taxonomy.require(language, taxonomy.COMMUNITY_LANGUAGES, "language")
    now = utcnow()
    insert = dialect_insert(session, _TABLE).values(phone=sender_phone(phone), language=language, updated_at=now)
    session.execute(
        insert.on_conflict_do_update(index_elements=["phone_key"], set_={"language": language, "updated_at": now})
    )


def language_for(session: Session, phone: str) -> str | None:
    """The language this number chose, or None when it never chose one."""
    return session.scalar(select(CommunityContact.language).where(CommunityContact.phone == sender_phone(phone)))


def language_and_change(session: Session, phone: str) -> tuple[str | None, datetime | None]:
    """The language this number chose (or None) and when what we remember about it last changed."""
    row = session.execute(
        select(CommunityContact.language, CommunityContact.updated_at)
        .where(CommunityContact.phone == sender_phone(phone))
    ).first()
    return (row.language, row.updated_at) if row else (None, None)


def opt_out(session: Session, phone: str) -> bool:
    """Stop every later message to this number (STOP, ARRET); True if it was not opted out already."""
    now = utcnow()
    insert = dialect_insert(session, _TABLE).values(phone=sender_phone(phone), opted_out_at=now, updated_at=now)
    # The WHERE keeps the first opt-out's time; a row comes back only when something changed.
    changed = session.execute(
        insert.on_conflict_do_update(
            index_elements=["phone_key"],
            set_={"opted_out_at": now, "updated_at": now},
            where=_TABLE.c.opted_out_at.is_(None),
        ).returning(_TABLE.c.id)
    ).first()
    return changed is not None


def opt_in(session: Session, phone: str) -> bool:
    """Allow messages to this number again (START); True if it was opted out."""
    changed = session.execute(
        update(CommunityContact)
        .where(CommunityContact.phone == sender_phone(phone), CommunityContact.opted_out_at.is_not(None))
        .values(opted_out_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(changed)


def is_opted_out(session: Session, phone: str) -> bool:
    """Whether this number asked for no more messages."""
    opted_out_at = session.scalar(
        select(CommunityContact.opted_out_at).where(CommunityContact.phone == sender_phone(phone))
    )
    return opted_out_at is not None
