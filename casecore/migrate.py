"""Alembic, configured in code so `flask db upgrade`, tests and scripts share one path to the schema."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ini interpolation treats % specially; URLs may contain escaped characters.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the database at database_url to revision (the newest by default)."""
    command.upgrade(alembic_config(database_url), revision)


@dataclass(frozen=True)
class Revisions:
    """The migrations this code carries: its heads, and every revision it knows."""

    heads: frozenset[str]
    known: frozenset[str]


@cache
def code_revisions() -> Revisions:
    """The heads and revisions of the migrations directory, read once per process (the files do not change under a
    running process; a new release is a new process)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return Revisions(frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions()))


def database_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database is at (its alembic_version table); raises when it has no such table."""
    return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def schema_state(at: frozenset[str], code: Revisions) -> str:
    """The schema against the code: "current" (at its heads), "behind" (not migrated, or at an older revision), or
    "ahead" (at a revision this code does not know: a newer release's migration ran)."""
    if at == code.heads:
        return "current"
    if at - code.known:
        return "ahead"
    return "behind"


def migration_ids() -> tuple[frozenset[str], str]:
    """Every migration this code has, and the newest (head): what a database restored here may be at."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(revision.revision for revision in script.walk_revisions()), script.get_current_head()
