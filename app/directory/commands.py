"""`flask --app app services import FILE.csv --org SLUG` and `services export [--output FILE] --org SLUG`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.cli import domain_errors
from app.runtime import runtime
from casecore.directory.csv_io import COLUMNS, ServiceImportError, export_services, import_services
from casecore.people.organisations import find_organisation

services_cli = AppGroup("services", help="The service directory of an organisation.")

_ORG_HELP = "Organisation slug; may be left out when there is only one."


@services_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", default="", help=_ORG_HELP)
def services_import(path: Path, org_slug: str) -> None:
    """Add or update directory entries from CSV (columns provider_name,service_type,area_code,contact,
    last_verified); nothing is imported when any line is wrong."""
    # utf-8-sig: spreadsheets often save CSV with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as stream, domain_errors(), runtime().unit_of_work() as session:
        organisation = find_organisation(session, org_slug)
        try:
            result = import_services(session, organisation.id, stream, user_id=None)
        except ServiceImportError as refusal:
            # One line per problem, then the usual one-line refusal and exit status 1.
            for error in refusal.errors:
                click.echo(str(error), err=True)
            raise click.ClickException(f"nothing imported: {len(refusal.errors)} problem(s)") from None
    click.echo(f"Imported into '{organisation.slug}': {result.created} added, {result.updated} updated.")


@services_cli.command("export")
@click.option("--org", "org_slug", default="", help=_ORG_HELP)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="File to write; standard output when left out.")
def services_export(org_slug: str, output: Path | None) -> None:
    """Write the active entries as CSV with columns provider_name,service_type,area_code,contact,last_verified."""
    with domain_errors(), runtime().unit_of_work() as session:
        organisation = find_organisation(session, org_slug)
        if output is None:
            count = export_services(session, organisation.id, sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as stream:
                count = export_services(session, organisation.id, stream)
    if output is not None:
        click.echo(f"Exported {count} entries ({','.join(COLUMNS)}) to {output}.")
