"""`flask --app app backup [PATH]` and `flask --app app restore PATH`: a SQLite database's copy while the service
runs, and putting one back while it is stopped (casecore.backups); for PostgreSQL, the pg_dump and pg_restore lines.
docs/backups.md says what to keep with a backup and how to practise a restore."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import URL, make_url

from app.runtime import runtime
from casecore import sealing
from casecore.backups import BackupError, backup, check, restore, stamped_name
from casecore.migrate import migration_ids
from settings import INSTANCE

DEFAULT_FOLDER = INSTANCE / "backups"


def keep_with_it() -> list[str]:
    """What a copy of the database is no use without, in words for the operator."""
    settings = runtime().settings
    return [
        "DATA_ENCRYPTION_KEY (and any DATA_ENCRYPTION_OLD_KEYS): the personal data in the copy is sealed under it",
        "SECRET_KEY: numbers are found by a hash keyed with it, and logins are signed with it",
        f"MEDIA_DIR ({settings.MEDIA_DIR}): received photos and case documents are files there, not in the database",
        "Keep the keys apart from the copies (a password manager, a sealed envelope): whoever holds both reads all.",
    ]


def postgres_lines(url: str) -> tuple[str, str]:
    """The pg_dump and pg_restore command lines for DATABASE_URL, the password left out."""
    given = make_url(url)
    server = URL.create("postgresql", username=given.username, host=given.host, port=given.port,
                        database=given.database, query=given.query).render_as_string(hide_password=False)
    dump = f'pg_dump --format=custom --file="relais-$(date -u +%Y%m%dT%H%M%SZ).dump" "{server}"'
    load = f'pg_restore --clean --if-exists --no-owner --single-transaction --dbname="{server}" relais-....dump'
    return dump, load


def _sqlite_path() -> Path:
    """The SQLite file of DATABASE_URL; for PostgreSQL, a ClickException giving the pg_dump line instead."""
    url = runtime().settings.DATABASE_URL
    if not url.startswith("sqlite"):
        dump, load = postgres_lines(url)
        raise click.ClickException(
            "DATABASE_URL is PostgreSQL: back it up with pg_dump (the password from PGPASSWORD or ~/.pgpass), while "
            f"the service runs:\n  {dump}\nand restore it, the processes stopped, with:\n  {load}\n"
            "See docs/backups.md.")
    database = make_url(url).database
    if not database or database == ":memory:":
        raise click.ClickException("DATABASE_URL names no database file")
    return Path(database)


@click.command("backup")
@with_appcontext
@click.argument("given", metavar="PATH", required=False)
def backup_command(given: str | None) -> None:
    """Write a consistent copy of the SQLite database to PATH (a file, or a folder to put a dated file in: one that
    exists or a path ending in /; default instance/backups/), while the service runs."""
    database = _sqlite_path()
    path = Path(given) if given else DEFAULT_FOLDER
    # A folder named with its slash is one even before it exists (the nightly cron line's first night).
    if given is None or given.endswith(("/", os.sep)) or path.is_dir():
        path = path / stamped_name()
    ids, head = migration_ids()
    try:
        backup(database, path)
        checked = check(path, ids.__contains__, head, sealing.keyring().open_text)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a folder this user may not write to, a full disk
        raise click.ClickException(f"cannot write the backup to {path}: {error.strerror or error}") from None
    click.echo(f"Backed up {database} to {path} (migration {checked.revision}).")
    click.echo("It is no use without these, kept with it:")
    for line in keep_with_it():
        click.echo(f"  - {line}")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Put the backup at PATH in place of the SQLite database; the current one is kept beside it. Stop the web,
    worker and scheduler processes first."""
    database = _sqlite_path()
    if path.resolve() == database.resolve():
        raise click.ClickException(f"{path} is the database itself: give a backup")
    ids, head = migration_ids()
    rt = runtime()
    try:
        checked = check(path, ids.__contains__, head, sealing.keyring().open_text)
        if not yes:
            click.confirm(f"Replace {database} with {path} (migration {checked.revision})?", abort=True)
        # This command's own pooled connections, if any, must not count as a running process.
        if "engine" in rt.__dict__:
            rt.engine.dispose()
        aside = restore(path, database)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {path} as {database}." + (f" The database it replaced is kept as {aside}."
                                                   if aside.exists() else ""))
    if not checked.at_head:
        click.echo(f"The backup is at migration {checked.revision}, this code's newest is {head}: run "
                   "`flask --app app db upgrade` before starting the processes.")
    click.echo("Start the web, worker and scheduler processes again. Jobs still in Redis about anything newer than "
               "the backup find nothing to do; MEDIA_DIR must be the one kept with the backup.")
