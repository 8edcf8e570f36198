"""The organisation's indicators: the page with its charts, the CSV of every value for a period, what waits for
each person, and `flask dhis2 export`.
May import app.web, app.cli, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.indicators import commands, views


def init_app(app: Flask) -> None:
    """Register the indicators' pages."""
    views.init_app(app)
    app.cli.add_command(commands.dhis2_cli)
