"""`flask --app app events subscribe | list | unsubscribe`: partners' receivers of signed events."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli import domain_errors
from app.runtime import runtime
from casecore.changes import KINDS
from casecore.partners.subscriptions import list_subscriptions, parse_event_types, subscribe, unsubscribe

events_cli = AppGroup("events", help="Signed events posted to partners' receivers (a token with the events scope).")


@events_cli.command("subscribe")
@click.argument("url")
@click.option("--token", "token_name", required=True, help="The token whose organisation and scopes the events follow.")
@click.option("--events", "kinds", required=True, help=f"Comma-separated, from: {', '.join(KINDS)}.")
def subscribe_(url: str, token_name: str, kinds: str) -> None:
    """Post these events to URL (https; http only to 127.0.0.1 or localhost); the signing secret is printed once,
    on the last line, and kept sealed."""
    with domain_errors(), runtime().unit_of_work() as session:
        subscribed = subscribe(session, token_name, url, parse_event_types(kinds))
    click.echo(f"Subscription {subscribed.id} for token {token_name!r}: {', '.join(subscribed.event_types)}.")
    click.echo("Each event is signed with this secret (X-Relais-Signature). Keep it now: it is never shown again.")
    click.echo(subscribed.secret)


@events_cli.command("list")
def list_() -> None:
    """Every subscription: id, token, organisation, receiver (without its query), events, state, deliveries."""
    with runtime().unit_of_work(read_only=True) as session:
        rows = list_subscriptions(session)
    if not rows:
        click.echo("No subscriptions.")
    for row in rows:
        state = f"ended {row.ended_at:%Y-%m-%d %H:%M}" if row.ended_at else "active"
        click.echo(f"{row.id}\t{row.token_name}\t{row.organisation_slug}\t{row.url}\t{','.join(row.event_types)}\t"
                   f"{state}\t{row.pending} pending, {row.delivered} delivered, {row.failed} failed")


@events_cli.command("unsubscribe")
@click.argument("subscription_id")
def unsubscribe_(subscription_id: str) -> None:
    """End a subscription: nothing more is posted to its receiver; what waited is failed."""
    with domain_errors(), runtime().unit_of_work() as session:
        unsubscribe(session, subscription_id)
    click.echo(f"Subscription {subscription_id} ended.")
