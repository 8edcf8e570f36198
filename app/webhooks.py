"""Provider webhooks: parse the provider's request, play the conversation, answer in the provider's format."""
from __future__ import annotations

import hmac
import logging
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, request

from app.runtime import runtime
from casecore.i18n import gettext_for
from channels.africastalking_ussd import InvalidUssdRequest, parse_ussd_request, render_ussd, ussd_length
from dialogs.engine import Context, Limits, play
from dialogs.report_child import COMMUNITY, REPORT_SUBMITTED, ReportServices
from workers.queueing import enqueue_report_alert

log = logging.getLogger(__name__)

# Providers cannot send a CSRF token or a session cookie: other modules exempt this blueprint by these names.
BLUEPRINT = "webhooks"
URL_PREFIX = "/webhooks"
AFRICASTALKING_PREFIX = f"{URL_PREFIX}/africastalking/"

bp = Blueprint(BLUEPRINT, __name__, url_prefix=URL_PREFIX)

# Room for "CON " within the 160 characters a screen may hold, counted as the phone will show the text.
USSD_LIMITS = Limits(max_options=7, max_chars=156, measure=ussd_length)


def init_app(app: Flask) -> None:
    """Register the webhooks blueprint."""
    app.register_blueprint(bp)


@bp.before_request
def require_africastalking_token():
    """AT does not sign callbacks: a secret in the callback URL, compared in constant time, stands in."""
    expected = runtime().settings.AT_WEBHOOK_TOKEN
    if not expected or not request.path.startswith(AFRICASTALKING_PREFIX):
        return None
    given = request.args.get("token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _plain("Forbidden: missing or wrong token", 403)
    return None


@bp.post("/africastalking/ussd")
def africastalking_ussd():
    """Answer one USSD step with the next screen (`CON`) or the last one (`END`)."""
    rt = runtime()
    settings = rt.settings
    try:
        step = parse_ussd_request(_posted_form())
    except InvalidUssdRequest as exc:
        return _plain(render_ussd(f"Invalid request: {exc}", final=True), 400)
    try:
        # Resolved (and cached) on every step, so a service with no receiving organisation says so when the
        # person dials, not after they have answered every question.
        receiving_organisation = rt.intake_organisation.get()
        ctx = Context(
            channel="ussd",
            session_id=step.session_id,
            phone=step.phone,
            default_language=settings.DEFAULT_LANGUAGE,
            services=ReportServices(
                places=rt.places.get(),
                unit_of_work=rt.unit_of_work,
                receiving_organisation=receiving_organisation,
                default_region=settings.DEFAULT_REGION,
                emergency_contacts=settings.emergency_contacts,
            ),
        )
        screen = play(COMMUNITY, step.inputs, ctx, USSD_LIMITS)
    except Exception:
        # Never a 500 to the telco: the person gets a polite last screen; the trace goes to the log.
        log.exception("USSD step failed in session %s", step.session_id)
        _ = gettext_for(settings.DEFAULT_LANGUAGE)
        return _plain(render_ussd(_("Sorry, the service is not available right now. Please try again later."),
                                  final=True))
    # After commit, so the worker finds the report; if Redis is down the scheduler enqueues it later.
    for event, report_id in ctx.events:
        if event == REPORT_SUBMITTED:
            enqueue_report_alert(rt.queue, report_id)
    return _plain(render_ussd(screen.text, screen.final))


def _posted_form() -> dict[str, str]:
    """The urlencoded body as a dict (a repeated field keeps its last value); anything else posts no fields.

    Werkzeug's general form parser (streams, multipart, MultiDict) cost a sixth of a USSD step's CPU.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return {}
    body = request.get_data(cache=False)  # MAX_CONTENT_LENGTH still applies: a larger body gets 413
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")
