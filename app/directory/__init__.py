"""The service directory: its pages (blueprint "services"), its CSV commands, and the service type words.
May import app.web, app.auth, app.cli, app.runtime and the layers below; never another feature package."""
from __future__ import annotations

from flask import Flask

from app.directory import views


def init_app(app: Flask) -> None:
    """Register the directory pages and the `flask services` commands."""
    views.init_app(app)
