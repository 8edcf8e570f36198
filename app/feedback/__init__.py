"""What families and children think of the services: the feedback figures and comments, and their words.
May import app.web, app.auth, app.directory (service type words), app.runtime and the layers below."""
from __future__ import annotations

from flask import Flask

from app.feedback import views


def init_app(app: Flask) -> None:
    """Register the feedback page."""
    views.init_app(app)
