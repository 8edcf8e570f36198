"""The organisation's indicators on the web: the page with its charts, and the CSV of every value for a period.
May import app.web, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.indicators import views


def init_app(app: Flask) -> None:
    """Register the indicators' pages."""
    views.init_app(app)
