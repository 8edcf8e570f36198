"""The supervisor's triage: the queue of new reports, a report's page and decisions, its files, the committees.
May import app.web, app.auth, app.cases (its words), app.runtime and the layers below."""
from __future__ import annotations

from flask import Flask

from app.triage import committees, media, views


def init_app(app: Flask) -> None:
    """Register the triage pages, the report files and the committee pages."""
    views.init_app(app)
    media.init_app(app)
    committees.init_app(app)
