"""The organisation's indicators on the web: the CSV of every value for a period (the page with charts follows).
May import app.web, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.indicators import views


def init_app(app: Flask) -> None:
    """Register the indicators' pages."""
    app.register_blueprint(views.bp)
