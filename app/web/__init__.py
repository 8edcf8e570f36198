"""Shared page plumbing for every feature: the page's language and gettext, error pages, date filters, CSV files,
the words of lists several features show, the webhooks' blueprint name and URL prefix (paths.py).
May import app.runtime and the layers below; never a feature package."""
from __future__ import annotations

from flask import Flask

from app.web import pages


def init_app(app: Flask) -> None:
    """Install the shared page helpers: the date filters and the HTML error pages."""
    pages.init_app(app)
