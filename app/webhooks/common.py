"""The webhooks blueprint and what every provider webhook shares: a plain form parse and plain answers."""
from __future__ import annotations

import hmac
import logging
from typing import Callable, Mapping, TypeVar
from urllib.parse import parse_qsl

from flask import Blueprint, Response, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.runtime import runtime
from channels.twilio_messages import public_url, twilio_signature_is_valid

log = logging.getLogger(__name__)
T = TypeVar("T")

# Providers cannot send a CSRF token or a session cookie: other modules exempt this blueprint by these names.
BLUEPRINT = "webhooks"
URL_PREFIX = "/webhooks"
AFRICASTALKING_PREFIX = f"{URL_PREFIX}/africastalking/"

bp = Blueprint(BLUEPRINT, __name__, url_prefix=URL_PREFIX)


@bp.before_request
def require_africastalking_token():
    """AT does not sign callbacks: a secret in the callback URL, compared in constant time, stands in."""
    expected = runtime().settings.AT_WEBHOOK_TOKEN
    if not expected or not request.path.startswith(AFRICASTALKING_PREFIX):
        return None
    given = request.args.get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return plain("Forbidden: missing or wrong token", 403)
    return None


def posted_form() -> dict[str, str]:
    """The urlencoded body as a dict (a repeated field keeps its last value); anything else posts no fields.

    Werkzeug's general form parser (streams, multipart, MultiDict) cost a sixth of a USSD step's CPU.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return {}
    body = request.get_data(cache=False)  # MAX_CONTENT_LENGTH still applies: a larger body gets 413
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def plain(body: str, status: int = 200) -> Response:
    """A text/plain answer."""
    return Response(body, status=status, mimetype="text/plain")


def twilio_refusal(form: dict[str, str]) -> Response | None:
    """A 403 answer unless Twilio signed this request (providers §3d); None when the signature holds."""
    settings = runtime().settings
    if not settings.TWILIO_AUTH_TOKEN:
        # Unsigned, anyone could write as any number: opt a family out, or reach a case worker as them.
        return plain("Forbidden: Twilio is not configured here (TWILIO_AUTH_TOKEN)", 403)
    url = public_url(settings.PUBLIC_BASE_URL, request.path, request.query_string.decode("latin-1")) \
        if settings.PUBLIC_BASE_URL else request.url
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio_signature_is_valid(url, form, signature, settings.TWILIO_AUTH_TOKEN):
        return plain("Forbidden: the request signature does not match", 403)
    return None


def record_from_form(form: Mapping[str, str], parse: Callable[[Mapping[str, str]], T],
                     record: Callable[[Session, T], object], what: str) -> Response:
    """Parse a provider's notification and record it in one transaction: 400 when the form cannot be read
    (parse raised ValueError), 503 when the database is down (providers that retry will), else 200 `OK`."""
    try:
        parsed = parse(form)
    except ValueError as exc:
        return plain(f"Invalid request: {exc}", 400)
    try:
        with runtime().unit_of_work() as session:
            record(session, parsed)
    except SQLAlchemyError as exc:
        # The class only: a message could carry a number or a person's answers.
        log.error("%s not stored: %s", what, exc.__class__.__name__)
        return plain(f"Service unavailable: the {what} was not stored; please retry", 503)
    return plain("OK")
