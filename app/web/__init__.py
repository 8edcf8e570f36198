"""Shared page plumbing for every feature: the page's language and gettext, error pages, date filters, CSV files,
the words of lists several features show, the webhooks' blueprint name and URL prefix (paths.py), gzip for what
the web view answers and the static files under fingerprinted URLs.
May import app.runtime and the layers below; never a feature package."""
from __future__ import annotations

from flask import Flask

from app.web import compression, pages, static_files


def init_app(app: Flask) -> None:
    """Install the shared page helpers: the date filters, the HTML error pages, compression and static files."""
    pages.init_app(app)
    compression.init_app(app)
    static_files.init_app(app, live=app.extensions["relais"].settings.DEVELOPMENT)
