"""The Flask entry point: webhooks, the web view and the CLI. `flask --app app ...` finds create_app."""
from __future__ import annotations

import logging

from flask import Flask

from app.sessions import PeopleOnlySessionInterface
from bootstrap import bootstrap
from settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app around the process runtime; connects to nothing until a request needs it."""
    runtime = bootstrap(settings)
    settings = runtime.settings
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY or _local_secret(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.SESSION_COOKIE_SECURE,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.session_interface = PeopleOnlySessionInterface()
    app.extensions["relais"] = runtime
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces each of its plugins at INFO on every `db upgrade`; only the migrations themselves matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from app import auth, cli, triage, webhooks

    webhooks.init_app(app)
    auth.init_app(app)
    triage.init_app(app)
    cli.init_app(app)
    return app


def _local_secret() -> str:
    """A per-instance secret for local runs with nothing configured, kept under instance/ so logins survive restarts."""
    import secrets

    from settings import INSTANCE

    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
