"""The hand-off to CPIMS+ (Primero) in the web view and on the command line: the queue administrators watch, and
`flask --app app primero check` of a deployment's mapping against its instance.
May import app.web, app.cli, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.handoff import commands, views


def init_app(app: Flask) -> None:
    """Register the queue's pages and the `primero` commands."""
    views.init_app(app)
    app.cli.add_command(commands.primero_cli)
