"""Health checks for load balancers and monitoring: /healthz (the process answers), /readyz (it can serve: the
database, its migrations, Redis) and /readyz?deep=1 for administrators (a worker on every queue, the scheduler's
sweeps on time).
May import app.web, app.runtime and the layers below."""
from __future__ import annotations

from flask import Flask

from app.health import views


def init_app(app: Flask) -> None:
    """Register the health routes (raw where the app has raw routes) and their probes."""
    views.init_app(app)
