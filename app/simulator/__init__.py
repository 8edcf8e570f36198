"""The simulator: a phone drawn in the browser, for trainers and testers, answered through the webhooks' code.
May import app.web, app.webhooks, app.runtime and the layers below."""
from __future__ import annotations

from flask import Flask

from app.simulator.views import bp


def init_app(app: Flask) -> None:
    """Register the simulator page and its calls."""
    app.register_blueprint(bp)
