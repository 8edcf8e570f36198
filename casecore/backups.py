"""Copies of a SQLite database: a consistent backup while the processes run (SQLite's online backup API), a check
that a file is a Relais database this code can use, and a restore that swaps it in atomically while nothing runs.

PostgreSQL is backed up with pg_dump and restored with pg_restore (docs/backups.md): nothing here.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from casecore.sealing import SealingError, is_sealed_text

# A table every Relais database has, and one of its sealed columns (a staff member's phone) to try the data key on.
RELAIS_TABLES = {"alembic_version", "organisation", "user_account", "report", "outbound_message"}
# A sealed value to try the data key on: a staff member's number, else a report's (a database whose staff have no
# number yet still holds reports).
SEALED_SAMPLE = ("SELECT phone FROM user_account WHERE phone IS NOT NULL UNION ALL "
                 "SELECT reporter_phone FROM report WHERE reporter_phone IS NOT NULL UNION ALL "
                 "SELECT description FROM report WHERE description IS NOT NULL LIMIT 1")
# How long a restore waits for the processes' connections to go before saying they still run.
LOCK_TIMEOUT_SECONDS = 1.0


class BackupError(Exception):
    """A backup or a restore that cannot be done, with the reason in words for the operator."""


@dataclass(frozen=True)
class Checked:
    """What a check found in a database file: its migration and whether it is this code's newest."""

    revision: str
    at_head: bool


def stamped_name(now: datetime | None = None) -> str:
    """relais-20261207T101500Z.db: a backup's file name, in UTC, sorting by date."""
    return f"relais-{(now or datetime.now(timezone.utc)):%Y%m%dT%H%M%SZ}.db"


def backup(database: Path, target: Path) -> None:
    """Copy database to target, consistent as of one moment, while other processes read and write it (WAL); the
    copy is written beside target and renamed into place, so a file at target is always a whole backup."""
    if target.exists():
        raise BackupError(f"{target} exists already: give another path (nothing is overwritten)")
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        _copy(lambda: sqlite3.connect(database, timeout=30), partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _sync_folder(target.parent)


def check(path: Path, known: Callable[[str], bool], head: str, open_sealed: Callable[[str], str]) -> Checked:
    """What path holds, if it is a whole Relais database at a migration this code knows (known) and its personal
    data opens with the data keys in use (open_sealed); BackupError saying why not otherwise."""
    if not path.is_file():
        raise BackupError(f"there is no file at {path}")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{path} cannot be opened as a SQLite database ({error})") from None
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not RELAIS_TABLES <= tables:
            raise BackupError(f"{path} is not a Relais database (its tables are not Relais's)")
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"{path} is damaged: SQLite's check says {verdict}")
        revisions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        if len(revisions) != 1 or not known(revisions[0]):
            raise BackupError(f"{path} is at migration {', '.join(revisions) or 'none'}, which this version of "
                              "Relais does not know: restore it with the version that made it")
        sample = connection.execute(SEALED_SAMPLE).fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database ({error})") from None
    finally:
        connection.close()
    if sample and isinstance(sample[0], str) and is_sealed_text(sample[0]):
        try:
            open_sealed(sample[0])
        except SealingError:
            raise BackupError(f"{path} was sealed under a data key this process does not have: set "
                              "DATA_ENCRYPTION_KEY (or DATA_ENCRYPTION_OLD_KEYS) to the key kept with the backup"
                              ) from None
    return Checked(revisions[0], revisions[0] == head)


def restore(source: Path, database: Path, now: datetime | None = None) -> Path:
    """Put source (checked already) in place of database, atomically; returns where the database it replaced was
    kept. BackupError, changing nothing, while any process has the database open."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    aside = database.with_name(f"{database.name}.before-restore-{(now or datetime.now(timezone.utc)):%Y%m%dT%H%M%SZ}")
    incoming = database.with_name(f".{database.name}.restoring-{os.getpid()}")
    lock = _lock(database) if database.exists() else None
    try:
        if lock is not None:
            _copy(lambda: lock, aside, close_source=False)
        _copy(lambda: sqlite3.connect(f"file:{source}?mode=ro", uri=True), incoming)
        os.replace(incoming, database)
        _sync_folder(database.parent)
    finally:
        incoming.unlink(missing_ok=True)
        if lock is not None:
            lock.close()
    return aside


def _lock(database: Path) -> sqlite3.Connection:
    """The database held alone: refused (BackupError) while another connection has it open, as every running web,
    worker and scheduler process does. Its write-ahead log is folded in and removed: the file stands alone."""
    connection = sqlite3.connect(database, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
    try:
        # Kept until the connection closes: a process starting now waits rather than use the file being replaced.
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        connection.execute("BEGIN EXCLUSIVE")
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError:
        connection.close()
        raise BackupError(f"{database} is in use: stop the web, worker and scheduler processes (every host's), "
                          "then restore") from None
    return connection


def _copy(open_source: Callable[[], sqlite3.Connection], target: Path, close_source: bool = True) -> None:
    """The whole of a database into a new file readable by its owner only, in one step (one consistent read),
    synced to disk."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = open_source()
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # pages=-1: every page in one step, under one read transaction
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
    finally:
        copy.close()
        if close_source:
            source.close()
    with target.open("rb") as written:
        os.fsync(written.fileno())


def _sync_folder(folder: Path) -> None:
    """Make a rename in folder survive a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
