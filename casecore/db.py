"""Engine, sessions and the unit of work; the same code on SQLite and PostgreSQL."""
from __future__ import annotations

import logging
import os
import select as io_select
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, exc, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# A pooled PostgreSQL connection back in the pool less than this long ago, and to which the server wrote nothing since,
# is taken as alive; one idle for longer (a firewall may have dropped it silently) is pinged before use.
# SQLAlchemy's pool_pre_ping pings on every checkout: a round trip per unit of work, 6% of an inbound message's CPU
# under load, when the pool is busiest and least stale.
PING_AFTER_IDLE_SECONDS = 5.0
_RETURNED_AT = "relais_returned_at"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so web and worker processes can share it."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            _owner_only(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, hide_parameters=True)
    event.listen(engine, "checkin", _note_return)
    event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
    return engine


def _note_return(_dbapi_connection, record) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dialect):
    """A checkout hook pinging a connection that sat idle or that the server has written to since its last use (a
    restart ends every session with a message and closes it: an idle connection's socket then reads, at the cost
    of a poll); a failed ping recycles the pool, as pool_pre_ping does."""
    def checkout(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None:
            return  # a fresh connection
        if time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS and not _has_news(dbapi_connection):
            return  # just used, and nothing came from the server since
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            raise exc.InvalidatePoolError("a pooled connection failed its ping") from error
    return checkout


def _has_news(dbapi_connection) -> bool:
    """Whether the server wrote to this idle connection (psycopg: its socket is readable), as it does to end it."""
    try:
        fd = dbapi_connection.pgconn.socket
        return bool(io_select.select([fd], [], [], 0)[0])
    except Exception:  # no socket to look at (closed, another driver): let the ping decide
        return True


def _owner_only(path: Path) -> None:
    """The database file readable by its owner only, from the start: SQLite gives its -wal and -shm files the
    database's mode, so they are too. A folder it makes is the owner's only."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if existing.exists():
                existing.chmod(0o600)
    except PermissionError:
        # Another user's file (a shared deployment): say so, and let SQLite decide whether it may open it.
        log.warning("the SQLite database's permissions could not be set to owner-only")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # The driver's own transaction handling starts no transaction before a SAVEPOINT, so releasing one
    # committed for good; we turn it off and emit BEGIN ourselves (SQLAlchemy's pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Execution option of a unit of work that only reads (unit_of_work(read_only=True)).
READ_ONLY = "relais_read_only"


def _sqlite_begin(connection) -> None:
    # IMMEDIATE: a transaction that reads, then writes (record a send's result) fails at once with "database is
    # locked" if another process wrote in between, busy timeout or not; taking the write lock first waits instead.
    # A unit of work that only reads begins DEFERRED: in WAL mode it reads a snapshot without any lock, so pages
    # do not queue for the one write lock (measured by bench/case_pages.py: waits were most of SQLite's p95).
    connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session], read_only: bool = False) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back when it raises.

    read_only: the block only reads (a page); on SQLite it takes no write lock. Nothing is committed: whatever it
    might write is dropped, so a page writes its audit record in a unit of work of its own, after the reading.
    """
    session = session_factory()
    try:
        if read_only:
            session.connection(execution_options={READ_ONLY: True})
        yield session
        if not read_only:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        # Closing ends a read-only transaction without expiring what it loaded, so pages can still read it.
        session.close()


@contextmanager
def single_write(engine: Engine) -> Iterator[Connection]:
    """A connection for a block that writes with one statement at most, all or nothing by itself (an inbound
    message's INSERT ... ON CONFLICT DO NOTHING), and does nothing after it that would want it undone: on PostgreSQL
    the statement commits as it ends (no transaction block: no BEGIN and COMMIT round trips), elsewhere when the
    block ends without raising. Once the block has ended, what it wrote is committed on every database.

    A plain connection, no ORM session: its set-up and tear-down cost more than the statement.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")  # back to the default when pooled again
        yield connection
        connection.commit()  # SQLite's transaction (a no-op in PostgreSQL's autocommit)


@contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for a block that only reads, with one statement (a number's language on a USSD session's first
    screen): on PostgreSQL no transaction block (no BEGIN and ROLLBACK round trips), on SQLite a deferred one that
    takes no write lock (as unit_of_work(read_only=True)). It must not write: PostgreSQL would keep the write.

    A plain connection, no ORM session: its set-up and tear-down cost more than the statement.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")  # back to the default when pooled again
        else:
            connection.execution_options(**{READ_ONLY: True})
        yield connection
        connection.rollback()


def dialect_insert(session: Session, table):
    """An INSERT for the session's database, so ON CONFLICT clauses work on PostgreSQL and SQLite alike."""
    dialect = session.connection().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database: {dialect}")


def find_by_channel_session(session: Session, model, channel: str, channel_session_id: str | None):
    """The record a conversation on channel already stored (a retried last step finds it), or None."""
    if not channel_session_id:
        return None
    return session.scalar(
        select(model).where(model.channel == channel, model.channel_session_id == channel_session_id)
    )
