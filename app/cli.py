"""Command-line tasks: `flask --app app db upgrade | demo | user create | team create | locations import |
retention purge | backup | restore`."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app.backup_commands import backup_command, restore_command
from app.runtime import runtime
from casecore import taxonomy
from casecore.accounts.passwords import MIN_PASSWORD_LENGTH
from casecore.accounts.teams import create_team
from casecore.accounts.users import STAFF_SEXES, create_user
from casecore.demo import load_demo
from casecore.errors import CaseCoreError
from casecore.people.locations import import_locations
from casecore.people.lookups import find_user_by_email
from casecore.people.organisations import find_organisation
from casecore.rekey import rekey
from casecore.retention import RetentionPolicy, purge

log = logging.getLogger(__name__)

db_cli = AppGroup("db", help="Database schema.")
user_cli = AppGroup("user", help="Staff accounts.")
team_cli = AppGroup("team", help="Teams of case workers led by a supervisor.")
locations_cli = AppGroup("locations", help="Administrative locations.")
retention_cli = AppGroup("retention", help="Removing what is past its retention period (RETENTION_* settings).")
keys_cli = AppGroup("keys", help="The data key personal data is sealed with (DATA_ENCRYPTION_KEY).")


@contextmanager
def domain_errors():
    """Turn casecore's typed errors into a one-line message and exit status 1, never a traceback."""
    try:
        yield
    except CaseCoreError as exc:
        raise click.ClickException(str(exc) or type(exc).__name__) from None


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or update the database schema to the newest version."""
    # Imported here: Alembic is only needed by this command, not by every web process that builds the app.
    from casecore.migrate import upgrade_database

    upgrade_database(runtime().settings.DATABASE_URL)
    click.echo("Database is up to date.")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo organisation, Mali's locations, a demo team, demo accounts and a demo case (safe to run again)."""
    settings = runtime().settings
    with domain_errors(), runtime().unit_of_work() as session:
        loaded = load_demo(session, settings.DEFAULT_REGION, secret_key=settings.secret_key)
    click.echo(f"Demo organisation '{loaded.organisation_slug}' ready with {loaded.locations} locations.")
    click.echo("Demo logins (FOR DEMONSTRATIONS ONLY: never use these accounts with real reports):")
    for login in loaded.logins:
        click.echo(f"  {login.role:<11} {login.name} <{login.email}>  password: {login.password}")
    click.echo(f"Demo family number (linked to demo case {loaded.case_reference}): {loaded.family_phone}")


@user_cli.command("create")
@click.argument("email")
@click.option("--name", "display_name", required=True,
              help="The name people see in lists, pickers and the audit trail: Awa Diallo.")
@click.option("--role", required=True, type=click.Choice(taxonomy.ROLES), help="What the account may do.")
@click.option("--phone", required=True, help="Mobile number for SMS alerts, international or national format.")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True,
    help=f"At least {MIN_PASSWORD_LENGTH} characters; asked for (hidden) when not given, which keeps it out of "
    "the shell history.",
)
@click.option("--language", type=click.Choice(taxonomy.LANGUAGES), default=None, help="Language of the web view.")
@click.option("--org", "org_slug", default="", help="Organisation slug; may be left out when there is only one.")
@click.option("--team", "team_name", default="", help="Team of the organisation a case worker joins.")
@click.option("--sex", type=click.Choice(STAFF_SEXES), default=None,
              help="Lets a family that asks for a woman case worker be matched.")
@click.option("--languages", default="", help="Languages spoken with families, comma-separated: fr,bm.")
def user_create(email: str, display_name: str, role: str, phone: str, password: str, language: str | None,
                org_slug: str, team_name: str, sex: str | None, languages: str) -> None:
    """Create a staff account."""
    settings = runtime().settings
    with domain_errors(), runtime().unit_of_work() as session:
        user = create_user(
            session, email=email, display_name=display_name, role=role, phone=phone, password=password,
            language=language or settings.DEFAULT_LANGUAGE, organisation_slug=org_slug,
            default_region=settings.DEFAULT_REGION, team_name=team_name, sex=sex, spoken_languages=languages,
        )
        summary = f"Created {user.role} {user.display_name} <{user.email}> in organisation '{user.organisation.slug}'"
        summary += f", team '{' '.join(team_name.split())}'." if team_name else "."
    click.echo(summary)


@team_cli.command("create")
@click.argument("name")
@click.option("--supervisor", "supervisor_email", required=True, help="Email of the supervisor who leads it.")
@click.option("--org", "org_slug", default="", help="Organisation slug; may be left out when there is only one.")
def team_create(name: str, supervisor_email: str, org_slug: str) -> None:
    """Create a team led by a supervisor; case workers join it with `user create --team`."""
    with domain_errors(), runtime().unit_of_work() as session:
        organisation = find_organisation(session, org_slug)
        supervisor = find_user_by_email(session, organisation.id, supervisor_email)
        team = create_team(session, organisation_id=organisation.id, name=name, supervisor_id=supervisor.id)
        summary = f"Created team '{team.name}' led by {supervisor.email} in organisation '{organisation.slug}'."
    click.echo(summary)


@locations_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def locations_import(path: Path) -> None:
    """Create or update locations from a CSV file with columns code,name,level,parent_code."""
    # utf-8-sig: spreadsheets often save CSV with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as stream, domain_errors(), runtime().unit_of_work() as session:
        count = import_locations(session, stream)
    click.echo(f"Imported {count} locations.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; remove nothing.")
def retention_purge(dry_run: bool) -> None:
    """Remove message bodies, USSD session records, partners' settled event deliveries, turned-down reports' personal
    data and audit events past their time (the scheduler runs this daily); say what was removed."""
    rt = runtime()
    done = purge(rt.unit_of_work, RetentionPolicy.from_settings(rt.settings), rt.media_store, dry_run=dry_run)
    click.echo(("Would remove" if dry_run else "Removed") + ":")
    for what, count in done.counts().items():
        click.echo(f"  {what.replace('_', ' ')}: {count}")


@keys_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Rows re-sealed per transaction.")
def keys_rotate(batch: int) -> None:
    """Seal again under DATA_ENCRYPTION_KEY what an older key (DATA_ENCRYPTION_OLD_KEYS) sealed: every table, every
    received file, the conversations in progress. Runs while the service runs; safe to run again."""
    rt = runtime()
    done = rekey(rt.unit_of_work, rt.media_store, rt.dialog_store, batch=batch)
    click.echo("Re-sealed under the current data key:")
    for table, count in sorted(done.rows.items()):
        if count:
            click.echo(f"  {table}: {count} rows")
    click.echo(f"  files: {done.files}\n  conversations in progress: {done.conversations}")
    if done.anything_left:
        raise click.ClickException(
            f"still under an old key: {done.left} rows, {done.files_left} files, {done.conversations_left} "
            "conversations (written by a process not restarted with the new key?): run the command again")
    click.echo("Nothing is left under an old key: it can be removed from DATA_ENCRYPTION_OLD_KEYS.")


def init_app(app: Flask) -> None:
    """Register the command groups on the app's CLI."""
    app.cli.add_command(db_cli)
    app.cli.add_command(demo)
    app.cli.add_command(user_cli)
    app.cli.add_command(team_cli)
    app.cli.add_command(locations_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
