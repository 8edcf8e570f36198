"""The administrator's pages: staff accounts and teams, locations and settings, the message log; never a case. And
the page where supervisors and focal points confirm the access administrators ask for and read what they did.
May import app.web, app.auth, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.admin import access, accounts, message_log, places


def init_app(app: Flask) -> None:
    """Register the accounts, places and message log pages, and the page where access given is watched."""
    access.init_app(app)
    message_log.init_app(app)
    accounts.init_app(app)
    places.init_app(app)
