"""The search by reference: the box in every page's header and the page it answers on.
May import only app.web, app.auth, app.runtime and the layers below (no other feature package)."""
from __future__ import annotations

from flask import Flask

from app.search import views


def init_app(app: Flask) -> None:
    """Register the search by reference."""
    views.init_app(app)
