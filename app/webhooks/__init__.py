"""Provider webhooks: parse the provider's request, hand it to the dialogs or the inbox, answer in its format.
May import app.web, app.runtime and the layers below."""
from __future__ import annotations

from flask import Flask

from app.webhooks import delivery, limits, messages, primero, ussd, ussd_events  # noqa: F401  (routes register)
from app.webhooks.common import bp


def init_app(app: Flask) -> None:
    """Register the webhooks blueprint and their rate limiter."""
    limits.init_app(app)
    app.register_blueprint(bp)
    ussd.init_app(app)
    messages.init_app(app)
