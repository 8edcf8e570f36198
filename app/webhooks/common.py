"""The webhooks blueprint and what every provider webhook shares: a plain form parse and plain answers."""
from __future__ import annotations

import hmac
import logging
from typing import Callable, Mapping, TypeVar
from urllib.parse import parse_qsl, unquote

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.runtime import runtime
from app.web.dispatch import PlainAnswer, as_response
from app.web.paths import BLUEPRINT, URL_PREFIX
from app.webhooks import limits
from channels.twilio_messages import public_url, twilio_signature_is_valid

log = logging.getLogger(__name__)
T = TypeVar("T")

AFRICASTALKING_PREFIX = f"{URL_PREFIX}/africastalking/"
FORM = "application/x-www-form-urlencoded"
# What a provider is told when its message could not be stored: an error status, so that it retries.
UNSTORED = PlainAnswer("Service unavailable: the message was not stored; please retry", 503)

bp = Blueprint(BLUEPRINT, __name__, url_prefix=URL_PREFIX)


# USSD answers every refusal as a last screen too; its rate limits are checked in its view, on a session's first
# step only, so that a started session is never cut nor slowed.
USSD_ENDPOINT = f"{BLUEPRINT}.africastalking_ussd"


@bp.before_request
def guard_webhooks():
    """A source locked out after failed checks is refused even with a good token; then AT's token; requests that
    no secret authenticates also count against the per-address limit."""
    guard = ussd_guard if request.endpoint == USSD_ENDPOINT else webhook_guard
    refused = guard(limits.source_address(), request.args.get("token", ""), request.path)
    return as_response(refused) if refused is not None else None


def webhook_guard(who: str, token: str, path: str) -> PlainAnswer | None:
    """The refusal of a webhook call (not a USSD step) from who, with AT's token if any, else None."""
    africastalking = path.startswith(AFRICASTALKING_PREFIX)
    # Only calls no secret authenticates count against their address (AT's while AT_WEBHOOK_TOKEN is unset): signed
    # or token-bearing calls are the providers' own traffic, from a few addresses, and a per-address limit on them
    # would cap the whole service; forged ones fail their check and count towards the lock-out instead.
    refused = limits.source_refusal(who, count=africastalking and not runtime().settings.AT_WEBHOOK_TOKEN)
    if refused is None and africastalking:
        refused = africastalking_token_refusal(token, who)
    return refused


def ussd_guard(who: str, token: str, _path: str = "") -> PlainAnswer | None:
    """The refusal of a USSD step from who with this token, else None (its Flask view and raw route share it)."""
    locked_for = limits.locked_out(who) if runtime().settings.AT_WEBHOOK_TOKEN else None
    if locked_for is not None:
        # Before the token is looked at: a locked-out source must not learn whether its guess was right (403 for a
        # wrong token, 429 for the right one would tell it). From a list in memory: no round trip per step.
        return limits.too_many_answer(limits.Refusal(limits.AUTH_FAILURES, locked_for), prefix="END ")
    return africastalking_token_refusal(token, who, prefix="END ")


def africastalking_token_refusal(given: str, who: str, prefix: str = "") -> PlainAnswer | None:
    """A 403 unless given is AT_WEBHOOK_TOKEN (when one is set); a wrong one counts against who: AT does not sign
    callbacks, so a secret in the callback URL, compared in constant time, stands in."""
    expected = runtime().settings.AT_WEBHOOK_TOKEN
    if not expected:
        return None
    if not hmac.compare_digest(given.encode(), expected.encode()):
        limits.note_auth_failure(who)
        return PlainAnswer(f"{prefix}Forbidden: missing or wrong token", 403)
    return None


@bp.errorhandler(413)
def too_large(_error):
    """A body over MAX_CONTENT_LENGTH: no provider sends one; say so in words, not an HTML page."""
    limit = current_app.config["MAX_CONTENT_LENGTH"] // 1024
    return refusal(f"Request too large: a webhook body may hold at most {limit} kB", 413)


def posted_form() -> dict[str, str]:
    """The urlencoded body as a dict (a repeated field keeps its last value); anything else posts no fields.

    Werkzeug's general form parser (streams, multipart, MultiDict) cost a sixth of a USSD step's CPU.
    """
    if request.mimetype != FORM:
        return {}
    return form_fields(request.get_data(cache=False))  # MAX_CONTENT_LENGTH still applies: a larger body gets 413


def form_fields(body: bytes) -> dict[str, str]:
    """An urlencoded body's fields (a repeated field keeps its last value), as parse_qsl(keep_blank_values=True)
    reads them, without its checks and calls per field: most fields hold no escape to undo."""
    fields = {}
    for pair in body.decode("utf-8", "replace").split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields[_unquoted(name)] = _unquoted(value)
    return fields


def _unquoted(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    # The escapes AT's bodies carry (the number's +, the inputs' *) undone directly: unquote's own work was a
    # twentieth of a USSD step. Neither character is a hex digit, so no new escape can form.
    text = text.replace("%2A", "*").replace("%2B", "+")
    return unquote(text, errors="replace") if "%" in text else text


def plain(body: str, status: int = 200) -> Response:
    """A text/plain answer."""
    return Response(body, status=status, mimetype="text/plain")


def refusal(reason: str, status: int) -> Response:
    """A text/plain refusal; on USSD a last screen (`END ...`), so that a phone shows a clean end."""
    return plain(f"END {reason}" if request.endpoint == USSD_ENDPOINT else reason, status)


def twilio_refusal(form: dict[str, str]) -> Response | None:
    """A 403 answer unless Twilio signed this request (providers §3d); None when the signature holds."""
    refused = twilio_signature_refusal(form, request.path, request.query_string.decode("latin-1"),
                                       lambda: request.url, request.headers.get("X-Twilio-Signature", ""),
                                       limits.source_address())
    return as_response(refused) if refused is not None else None


def twilio_signature_refusal(form: dict[str, str], path: str, query: str, url: Callable[[], str], signature: str,
                             who: str) -> PlainAnswer | None:
    """twilio_refusal's answer for a call to path?query (url: the URL it came in on) from who, with signature."""
    settings = runtime().settings
    if not settings.TWILIO_AUTH_TOKEN:
        # Unsigned, anyone could write as any number: opt a family out, or reach a case worker as them.
        return PlainAnswer("Forbidden: Twilio is not configured here (TWILIO_AUTH_TOKEN)", 403)
    signed = public_url(settings.PUBLIC_BASE_URL, path, query) if settings.PUBLIC_BASE_URL else url()
    if not twilio_signature_is_valid(signed, form, signature, settings.TWILIO_AUTH_TOKEN):
        limits.note_auth_failure(who)
        return PlainAnswer("Forbidden: the request signature does not match", 403)
    return None


def raw_webhook(answer: Callable[[dict[str, str], dict, str], PlainAnswer],
                guard: Callable[[str, str, str], PlainAnswer | None] = webhook_guard,
                failed: Callable[[], PlainAnswer] = lambda: UNSTORED):
    """A raw route (app.web.dispatch) for a webhook: the guard, then answer(form, environ, who); the request is
    left to Flask's view, before anything of its body is read, when its body has no length or is too large. An
    exception gets failed()'s answer, never a 500 page."""
    def handle(environ: dict) -> PlainAnswer | None:
        length = environ.get("CONTENT_LENGTH") or ""
        if not length.isdigit() or int(length) > current_app.config["MAX_CONTENT_LENGTH"]:
            return None  # the view reads a body sent in chunks, and answers 413 to one too large
        who = environ.get("REMOTE_ADDR") or "unknown"  # after ProxyFix, as request.remote_addr
        try:
            query = environ.get("QUERY_STRING", "")
            token = next((value for name, value in parse_qsl(query, keep_blank_values=True) if name == "token"), "")
            refused = guard(who, token, environ.get("PATH_INFO", ""))
            if refused is not None:
                return refused
            body = environ["wsgi.input"].read(int(length))
            form_type = (environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower()
            return answer(form_fields(body) if form_type == FORM else {}, environ, who)
        except Exception:
            log.exception("webhook %s failed", environ.get("PATH_INFO", ""))
            return failed()
    return handle


def record_from_form(form: Mapping[str, str], parse: Callable[[Mapping[str, str]], T],
                     record: Callable[[Session, T], object], what: str,
                     after: Callable[[object], None] | None = None) -> Response:
    """Parse a provider's notification and record it in one transaction: 400 when the form cannot be read
    (parse raised ValueError), 503 when the database is down (providers that retry will), else 200 `OK`.

    after, if given, gets what record returned once the transaction committed (to enqueue follow-up work)."""
    try:
        parsed = parse(form)
    except ValueError as exc:
        return plain(f"Invalid request: {exc}", 400)
    try:
        with runtime().unit_of_work() as session:
            recorded = record(session, parsed)
    except SQLAlchemyError as exc:
        # The class only: a message could carry a number or a person's answers.
        log.error("%s not stored: %s", what, exc.__class__.__name__)
        return plain(f"Service unavailable: the {what} was not stored; please retry", 503)
    if after is not None:
        after(recorded)
    return plain("OK")
