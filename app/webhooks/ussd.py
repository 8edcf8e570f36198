"""Africa's Talking USSD: each step is answered inline with the next screen (`CON`) or the last one (`END`)."""
from __future__ import annotations

import logging

from workers.followups import follow_up
from app.runtime import runtime
from app.webhooks.common import bp, plain, posted_form
from casecore.i18n import gettext_for
from channels.africastalking_ussd import InvalidUssdRequest, parse_ussd_request, render_ussd, ussd_length
from dialogs.common import SERVICE_UNAVAILABLE
from dialogs.engine import Context, Limits
from dialogs.sessions import answer_menu_step

log = logging.getLogger(__name__)

# Room for "CON " within the 160 characters a screen may hold, counted as the phone will show the text.
USSD_LIMITS = Limits(max_options=7, max_chars=156, measure=ussd_length)


@bp.post("/africastalking/ussd")
def africastalking_ussd():
    """Answer one USSD step."""
    body, status = answer_ussd(posted_form())
    return plain(body, status)


def answer_ussd(form: dict[str, str]) -> tuple[str, int]:
    """The response body and status for one AT USSD form (the web view's simulator posts the same forms)."""
    rt = runtime()
    settings = rt.settings
    try:
        step = parse_ussd_request(form)
    except InvalidUssdRequest as exc:
        return render_ussd(f"Invalid request: {exc}", final=True), 400
    try:
        # Reference data is resolved (and cached) on every step, so a service with no receiving organisation
        # says so when the person dials, not after they have answered every question.
        ctx = Context(
            channel="ussd",
            session_id=step.session_id,
            phone=step.phone,
            default_language=settings.DEFAULT_LANGUAGE,
            services=rt.community_services(),
        )
        screen = answer_menu_step(rt.dialog_store, ctx, list(step.inputs), USSD_LIMITS, rt.session_times)
    except Exception:
        # Never a 500 to the telco: the person gets a polite last screen; the trace goes to the log.
        log.exception("USSD step failed in session %s", step.session_id)
        _ = gettext_for(settings.DEFAULT_LANGUAGE)
        return render_ussd(_(SERVICE_UNAVAILABLE), final=True), 200
    follow_up(rt.queue, ctx.events)
    return render_ussd(screen.text, screen.final), 200
