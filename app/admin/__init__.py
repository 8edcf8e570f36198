"""The administrator's pages: staff accounts and teams, locations and settings, the message log; never a case.
May import app.web, app.auth, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.admin import accounts, message_log, places


def init_app(app: Flask) -> None:
    """Register the accounts, places and message log pages."""
    message_log.init_app(app)
    accounts.init_app(app)
    places.init_app(app)
