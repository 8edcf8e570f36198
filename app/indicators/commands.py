"""`flask --app app dhis2 export --period 2026-11 [--organisation SLUG] [--output FILE] [--push]`: the indicators
as a DHIS2 dataValueSet, the same numbers as /indicators.csv."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from app.cli import domain_errors
from app.runtime import runtime
from casecore.indicators.collect import indicators
from casecore.indicators.dhis2 import data_value_set, dhis2_period, load_dhis2_mapping
from casecore.people.organisations import find_organisation
from casecore.periods import calendar_period
from channels.dhis2 import Dhis2Error, push_data_values

dhis2_cli = AppGroup("dhis2", help="Aggregate indicators to DHIS2.")


@dhis2_cli.command("export")
@click.option("--period", required=True, help="A calendar month (YYYY-MM) or quarter (YYYY-Q1 to YYYY-Q4).")
@click.option("--organisation", "slug", default="", help="The organisation (default: DEFAULT_ORGANISATION, or "
              "the only one).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write the JSON here (default: "
              "standard output).")
@click.option("--push", is_flag=True, help="POST it to DHIS2_URL's /api/dataValueSets and print the import summary.")
def export(period: str, slug: str, output: str | None, push: bool) -> None:
    """Write the organisation's indicators for the period as DHIS2 dataValueSets JSON, listing what has no mapping."""
    rt = runtime()
    settings = rt.settings
    if not settings.DHIS2_MAPPING:
        raise click.ClickException("DHIS2_MAPPING is not set: name the file mapping indicators to data elements")
    with domain_errors():
        mapping = load_dhis2_mapping(settings.DHIS2_MAPPING)
        chosen = calendar_period(period, rt.zone)
        dhis2_period(chosen)
        with rt.unit_of_work(read_only=True) as session:
            organisation = find_organisation(session, slug or settings.DEFAULT_ORGANISATION)
            values = indicators(session, organisation.id, chosen, min_cell=settings.INDICATOR_MIN_CELL,
                                caseload_limit=settings.CASELOAD_LIMIT)
            found = data_value_set(values, mapping, organisation.slug, chosen)
    text = json.dumps(found.as_json(), indent=2, ensure_ascii=False)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)
    # What was left out goes to standard error: standard output stays the JSON alone.
    err = dict(err=True)
    click.echo(f"{len(found.data_values)} data value(s) for {organisation.slug}, {dhis2_period(chosen)}; "
               f"{found.withheld} withheld (fewer than {settings.INDICATOR_MIN_CELL}); {found.unplaced} of reports "
               "with no such place given (not sent).", **err)
    for indicator in found.unmapped:
        click.echo(f"  not mapped: {indicator}", **err)
    for place in found.unknown_places:
        click.echo(f"  no org unit: {place}", **err)
    if push:
        _push(settings, found.as_json())


def _push(settings, body: dict) -> None:
    if not settings.DHIS2_URL:
        raise click.ClickException("DHIS2_URL is not set: nothing to push to")
    try:
        summary = push_data_values(settings.DHIS2_URL, settings.DHIS2_USERNAME, settings.DHIS2_PASSWORD, body,
                                   timeout=max(settings.PROVIDER_TIMEOUT, 30.0))
    except Dhis2Error as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"DHIS2: {summary.status}; imported {summary.imported}, updated {summary.updated}, ignored "
               f"{summary.ignored}, conflicts {len(summary.conflicts)}", err=True)
    for conflict in summary.conflicts:
        click.echo(f"  conflict: {conflict}", err=True)
    if summary.ignored or summary.conflicts or summary.status not in ("SUCCESS", "OK"):
        raise click.ClickException("DHIS2 did not take every value: see the conflicts above")
