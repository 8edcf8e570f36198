"""The hand-off to CPIMS+ (Primero) from the command line: checking a deployment's mapping against its instance.
May import app.cli, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.handoff import commands


def init_app(app: Flask) -> None:
    """Register the `primero` commands."""
    app.cli.add_command(commands.primero_cli)
