"""Who is using the web view: login and logout, one's own password, CSRF, sessions, the login requirement,
people-only cookies.
May import app.web, app.runtime and the layers below; never a feature package."""
from __future__ import annotations

from flask import Flask

from app.auth import password, views  # noqa: F401 - password adds its page to the views' blueprint


def init_app(app: Flask) -> None:
    """Install the login pages and the checks every request goes through."""
    views.init_app(app)
