"""`flask --app app primero check`: does the instance hold every value Relais would send it, and who is who."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli import domain_errors
from app.runtime import runtime
from casecore.handoff.mapping import (
    DISABLED_VALUE,
    NO_TARGET,
    UNKNOWN_LOCATION,
    UNKNOWN_VALUE,
    load_mapping,
    mapping_problems,
)
from casecore.people.models import Location, Organisation, User
from casecore.people.roles import CASE_ROLES
from channels.primero.client import PrimeroRefused, PrimeroUnavailable

primero_cli = AppGroup("primero", help="The hand-off to CPIMS+ (Primero v2).")

EXPLAINED = {
    NO_TARGET: "no value to send",
    UNKNOWN_VALUE: "not a value of the instance",
    DISABLED_VALUE: "disabled in the instance",
    UNKNOWN_LOCATION: "not a location of the instance",
}


@primero_cli.command("check")
@click.option("--organisation", "slug", default="", help="Check an organisation's own Primero settings "
              "(PRIMERO_ORGANISATIONS) and its staff; without it, the PRIMERO_* settings and all the staff.")
def check(slug: str) -> None:
    """Read the instance's lookups and locations and list every Relais code with no valid target there, and every
    staff account with no Primero user; exit 1 when anything is missing."""
    rt = runtime()
    settings = rt.primero_settings(slug)
    if slug and slug not in rt.primero_overrides:
        click.echo(f"{slug} has no settings of its own in PRIMERO_ORGANISATIONS: checking the PRIMERO_* ones.")
    if not settings.PRIMERO_URL:
        raise click.ClickException("PRIMERO_URL is not set: nothing to check")
    with domain_errors():
        mapping = load_mapping(settings.PRIMERO_MAPPING or None)
    client = rt.primero(slug)
    try:
        lookups, locations = client.lookups(), client.location_codes()
    except (PrimeroUnavailable, PrimeroRefused) as exc:
        raise click.ClickException(f"Primero at {settings.PRIMERO_URL} did not answer the check: {exc}") from None
    with rt.unit_of_work(read_only=True) as session:
        relais_locations = list(session.scalars(select(Location.code)))
        staff_query = select(User.email, User.role).where(User.is_active.is_(True), User.role.in_(CASE_ROLES))
        if slug:
            staff_query = staff_query.join(Organisation, Organisation.id == User.organisation_id).where(
                Organisation.slug == slug)
        staff = list(session.execute(staff_query.order_by(User.email)))
    problems = mapping_problems(mapping, lookups, locations, relais_locations)
    source = settings.PRIMERO_MAPPING or "stock Primero's values"
    click.echo(f"Primero at {settings.PRIMERO_URL} as {settings.PRIMERO_USERNAME}, module {settings.PRIMERO_MODULE};"
               f" mapping: {source}.")
    click.echo(f"{len(lookups)} lookups and {len(locations)} locations read from the instance.")
    for problem in problems:
        target = f" -> {problem.target}" if problem.target else ""
        click.echo(f"  {problem.section} {problem.relais_code}{target}: {EXPLAINED[problem.kind]}")
    unmapped = [email for email, _role in staff if mapping.user_name(email) is None]
    click.echo("Staff and their Primero users (cases they hand over are owned by that user):")
    for email, role in staff:
        click.echo(f"  {email} ({role}) -> {mapping.user_name(email) or 'none'}")
    if problems or unmapped:
        raise click.ClickException(
            f"{len(problems)} code(s) without a valid target and {len(unmapped)} staff account(s) without a Primero "
            "user: fix PRIMERO_MAPPING (README, CPIMS+/Primero) and check again")
    click.echo("Every Relais code has a value in the instance, and every case worker and supervisor a user.")
