"""`flask --app app token create | list | revoke`: the API's service accounts."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli import domain_errors
from app.runtime import runtime
from casecore.partners.scopes import SCOPES
from casecore.partners.tokens import create_token, list_tokens, parse_scopes, revoke_token

token_cli = AppGroup("token", help="API tokens for partner systems (bearer tokens of an organisation).")


@token_cli.command("create")
@click.argument("name")
@click.option("--org", "slug", default="", help="The organisation's slug (needed when there are several).")
@click.option("--scopes", required=True, help=f"Comma-separated, from: {', '.join(SCOPES)}.")
def create(name: str, slug: str, scopes: str) -> None:
    """Make a token; it is printed once, on the last line, and kept only as a hash."""
    with domain_errors(), runtime().unit_of_work() as session:
        token = create_token(session, name, slug, parse_scopes(scopes))
    click.echo(f"Token {name!r} created with scopes {', '.join(parse_scopes(scopes))}. Keep it now: it is never "
               "shown again.")
    click.echo(token)


@token_cli.command("list")
def list_() -> None:
    """Every token: name, organisation, scopes, made, last used, revoked."""
    with runtime().unit_of_work(read_only=True) as session:
        rows = list_tokens(session)
    if not rows:
        click.echo("No tokens.")
    for row in rows:
        used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never used"
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        click.echo(f"{row.name}\t{row.organisation_slug}\t{','.join(row.scopes)}\tcreated "
                   f"{row.created_at:%Y-%m-%d %H:%M}\t{used}\t{state}")


@token_cli.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke a token: its next call is refused (401)."""
    with domain_errors(), runtime().unit_of_work() as session:
        revoke_token(session, name)
    click.echo(f"Token {name!r} revoked.")
