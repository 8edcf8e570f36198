"""The Flask entry point: webhooks, the web view and the CLI. `flask --app app ...` finds create_app."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import (
    admin,
    api,
    auth,
    cases,
    cli,
    complaints,
    directory,
    feedback,
    handoff,
    health,
    indicators,
    metrics,
    search,
    simulator,
    triage,
    web,
    webhooks,
)
from app.auth.sessions import PeopleOnlySessionInterface
from app.web.dispatch import RelaisFlask
from bootstrap import bootstrap, configure_logging
from settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app around the process runtime; connects to nothing until a request needs it."""
    configure_logging(settings, role="web")
    runtime = bootstrap(settings)
    settings = runtime.settings
    _warn_about_open_doors(settings)
    # No Flask static route: app.web.static_files serves app/static from memory, gzipped, under hashed URLs.
    app = RelaisFlask(__name__, static_folder=None)
    # Before any template is compiled: every value a page prints shows its invisible characters (pages.py).
    app.jinja_options = {**app.jinja_options, "finalize": web.pages.shown_on_page}
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.SESSION_COOKIE_SECURE,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if settings.TRUSTED_PROXY_COUNT > 0:
        # Only X-Forwarded-For, only from that many proxies: the rate limits key on the address it gives.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.TRUSTED_PROXY_COUNT, x_proto=0)
    app.session_interface = PeopleOnlySessionInterface()
    app.extensions["relais"] = runtime
    webhooks.init_app(app)
    web.init_app(app)
    auth.init_app(app)
    triage.init_app(app)
    simulator.init_app(app)
    cases.init_app(app)
    admin.init_app(app)
    directory.init_app(app)
    complaints.init_app(app)
    feedback.init_app(app)
    handoff.init_app(app)
    indicators.init_app(app)
    search.init_app(app)
    health.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    metrics.init_app(app, settings)  # last: it names the webhook routes registered above
    return app


def _warn_about_open_doors(settings: Settings) -> None:
    """Say at start-up what is fine on a laptop and wrong in production."""
    if not settings.SECRET_KEY:
        log.warning("SECRET_KEY is not set: using instance/secret_key; in production set one, the same on every host")
    if not settings.AT_WEBHOOK_TOKEN:
        if not settings.DEVELOPMENT:
            # Anyone could post reports, messages and delivery reports as Africa's Talking: no start at all.
            raise ValueError("AT_WEBHOOK_TOKEN is not set: the Africa's Talking webhooks would accept calls from "
                             "anyone. Set it (and give it to Africa's Talking in the callback URLs), or set "
                             "DEVELOPMENT=true on a development machine")
        log.warning("AT_WEBHOOK_TOKEN is not set: the Africa's Talking webhooks accept calls from anyone")
    if not settings.TWILIO_AUTH_TOKEN:
        log.warning("TWILIO_AUTH_TOKEN is not set: the Twilio webhook refuses every call")
    elif not settings.PUBLIC_BASE_URL:
        log.warning("PUBLIC_BASE_URL is not set: Twilio signatures are checked against the URL this process sees")
