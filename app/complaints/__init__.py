"""Complaints about the service: their list, intake and handling pages, the complaint figures, and their words.
May import only app.web, app.auth, app.runtime and the layers below (no other feature package)."""
from __future__ import annotations

from flask import Flask

from app.complaints import figures, views


def init_app(app: Flask) -> None:
    """Register the complaint pages and the complaint figures."""
    figures.init_app(app)
    views.init_app(app)
