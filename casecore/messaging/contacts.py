"""What we remember about a community member's number: the language they chose and whether they opted out.

A WhatsApp business-scoped id (casecore.phones) is remembered the same way, as a contact of its own: never merged
with a number, never read as one.

Every write is one INSERT ... ON CONFLICT, so two first messages from the same number at once leave one row.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.db import dialect_insert
from casecore.messaging.models import CommunityContact
from casecore.phones import sender_address
from casecore.sealing import lookup_key

_TABLE = CommunityContact.__table__
# Built once: the first screen of every USSD session reads the number's language, and the language step writes it;
# a statement built per call cost more than the query (SQLAlchemy keys its cache on the statement's structure).
_LANGUAGE = select(_TABLE.c.language).where(_TABLE.c.phone_key == bindparam("phone_key"))


@cache
def _remember_statement(session_dialect: str):
    """INSERT ... ON CONFLICT setting the language, for one dialect."""
    insert = (postgresql if session_dialect == "postgresql" else sqlite).insert(_TABLE).values(
        phone=bindparam("phone"), phone_key=bindparam("phone_key"), language=bindparam("language"),
        updated_at=bindparam("now"))
    return insert.on_conflict_do_update(index_elements=["phone_key"], set_={
        "language": insert.excluded.language, "updated_at": insert.excluded.updated_at})


def remember_language(session: Session | Connection, phone: str, language: str) -> None:
    """Remember the language this number chose, for every later conversation and message (session: a unit of
    work's, or a connection: the write is one statement)."""
    taxonomy.require(language, taxonomy.COMMUNITY_LANGUAGES, "language")
    number = sender_address(phone)
    dialect = (session.connection() if isinstance(session, Session) else session).dialect.name
    session.execute(_remember_statement(dialect),
                    {"phone": number, "phone_key": lookup_key(number), "language": language, "now": utcnow()})


def language_for(session: Session | Connection, phone: str) -> str | None:
    """The language this number chose, or None when it never chose one."""
    return session.execute(_LANGUAGE, {"phone_key": lookup_key(sender_address(phone))}).scalar()


def language_and_change(session: Session, phone: str) -> tuple[str | None, datetime | None]:
    """The language this number chose (or None) and when what we remember about it last changed."""
    row = session.execute(
        select(CommunityContact.language, CommunityContact.updated_at)
        .where(CommunityContact.phone == sender_address(phone))
    ).first()
    return (row.language, row.updated_at) if row else (None, None)


def opt_out(session: Session, phone: str) -> bool:
    """Stop every later message to this number (STOP, ARRET); True if it was not opted out already."""
    now = utcnow()
    insert = dialect_insert(session, _TABLE).values(phone=sender_address(phone), opted_out_at=now, updated_at=now)
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
        .where(CommunityContact.phone == sender_address(phone), CommunityContact.opted_out_at.is_not(None))
        .values(opted_out_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(changed)


def is_opted_out(session: Session, phone: str) -> bool:
    """Whether this number asked for no more messages."""
    opted_out_at = session.scalar(
        select(CommunityContact.opted_out_at).where(CommunityContact.phone == sender_address(phone))
    )
    return opted_out_at is not None
