"""Africa's Talking USSD: each step is answered inline with the next screen (`CON`) or the last one (`END`)."""
from __future__ import annotations

import logging
from dataclasses import replace

from flask import Response
from sqlalchemy.exc import SQLAlchemyError

from app.runtime import runtime
from app.webhooks import limits
from app.webhooks.common import authenticated_by_secret, bp, plain, posted_form
from casecore.i18n import N_, gettext_for
from casecore.messaging.contacts import language_for
from channels.africastalking_ussd import (
    InvalidUssdRequest,
    TooManyInputs,
    UssdRequest,
    parse_ussd_request,
    render_ussd,
    ussd_length,
)
from dialogs.common import SERVICE_UNAVAILABLE, USSD_EMERGENCY_NUMBERS
from dialogs.community import complaint_hint
from dialogs.engine import Context, Limits
from dialogs.sessions import answer_menu_step
from workers.followups import follow_up

log = logging.getLogger(__name__)

# Room for "CON " within the 160 characters a screen may hold, counted as the phone will show the text.
USSD_LIMITS = Limits(max_options=7, max_chars=156, measure=ussd_length)
# The first screen of a session over RATE_LIMIT_USSD_SESSIONS_PER_NUMBER.
TOO_MANY_SESSIONS = N_("You have dialled too often. Please try again later.")
TOO_MANY_SESSIONS_EMERGENCY = N_("You have dialled too often. Please try again later. "
                                 "In an emergency call %(numbers)s.")
# The last screen of a session sending more inputs than any conversation has (channels' MAX_INPUTS).
SESSION_TOO_LONG = N_("This session is too long and was closed. Please dial again.")


@bp.post("/africastalking/ussd")
def africastalking_ussd():
    """Answer one USSD step; a session's first step is where the rate limits apply."""
    try:
        step = parse_ussd_request(posted_form())
    except TooManyInputs as exc:
        return plain(session_too_long(exc.step))
    except InvalidUssdRequest as exc:
        return plain(render_ussd(f"Invalid request: {exc}", final=True), 400)
    if not step.inputs:
        refused = new_session_refusal(step)
        if refused is not None:
            return refused
    body, status = answer_step(step)
    return plain(body, status)


def answer_ussd(form: dict[str, str]) -> tuple[str, int]:
    """The response body and status for one AT USSD form (the web view's simulator posts the same forms)."""
    try:
        step = parse_ussd_request(form)
    except TooManyInputs as exc:
        return session_too_long(exc.step), 200
    except InvalidUssdRequest as exc:
        return render_ussd(f"Invalid request: {exc}", final=True), 400
    return answer_step(step)


def session_too_long(step: UssdRequest) -> str:
    """The last screen of a session with more inputs than any conversation: AT shows a caller a network error for
    anything but a 200, so they are told, in their language, to dial again (and how to complain)."""
    language = _callers_language(step.phone)
    _ = gettext_for(language)
    hint = complaint_hint("ussd", language, {}, step.service_code)
    log.info("USSD session %s ended: too many inputs", step.session_id)
    return render_ussd(f"{_(SESSION_TOO_LONG)}\n{hint}", final=True)


def new_session_refusal(step: UssdRequest) -> Response | None:
    """The answer refusing a new session over a limit, else None; one Redis round trip.

    Only a first step (`text` empty) is counted: steps of a started session never pay for a check and are never
    cut. A session first seen with inputs (a dial string with extra digits) is not counted; it starts at the
    first screen like any other.
    """
    rt = runtime()
    who = limits.source_address()
    per_source = [] if authenticated_by_secret() else [(limits.SOURCE, who)]
    refusal = limits.limiter().check(hits=[*per_source, (limits.USSD_SESSIONS, rt.phone_key(step.phone))],
                                     watch=[(limits.AUTH_FAILURES, who)])
    if refusal is None:
        return None
    if refusal.limit != limits.USSD_SESSIONS:
        return limits.too_many(refusal, prefix="END ")
    log.info("USSD session %s refused: too many sessions from its number", step.session_id)
    return plain(render_ussd(_too_many_sessions_text(step.phone), final=True))


def _too_many_sessions_text(phone: str) -> str:
    """Try later, and the emergency numbers, in the number's language (a look-up only on this rare path)."""
    settings = runtime().settings
    _ = gettext_for(_callers_language(phone))
    if not settings.emergency_contacts:
        return _(TOO_MANY_SESSIONS)
    numbers = ", ".join(settings.emergency_contacts[:USSD_EMERGENCY_NUMBERS])
    return _(TOO_MANY_SESSIONS_EMERGENCY) % {"numbers": numbers}


def _callers_language(phone: str) -> str:
    """The language the number chose before, else the default (for the rare screens outside a conversation)."""
    try:
        with runtime().unit_of_work(read_only=True) as session:
            language = language_for(session, phone)
    except SQLAlchemyError:
        language = None
    return language or runtime().settings.DEFAULT_LANGUAGE


def answer_step(step: UssdRequest) -> tuple[str, int]:
    """The response body and status for one parsed USSD step."""
    rt = runtime()
    settings = rt.settings
    try:
        # Reference data is resolved (and cached) on every step, so a service with no receiving organisation
        # says so when the person dials, not after they have answered every question.
        ctx = Context(
            channel="ussd",
            session_id=step.session_id,
            phone=step.phone,
            default_language=settings.DEFAULT_LANGUAGE,
            # The code dialled, so that last screens can say how to come back and complain.
            services=replace(rt.community_services(), ussd_code=step.service_code),
        )
        screen = answer_menu_step(rt.dialog_store, ctx, list(step.inputs), USSD_LIMITS, rt.session_times)
    except Exception:
        # Never a 500 to the telco: the person gets a polite last screen; the trace goes to the log.
        log.exception("USSD step failed in session %s", step.session_id)
        _ = gettext_for(settings.DEFAULT_LANGUAGE)
        hint = complaint_hint("ussd", settings.DEFAULT_LANGUAGE, {}, step.service_code)
        return render_ussd(f"{_(SERVICE_UNAVAILABLE)}\n{hint}", final=True), 200
    follow_up(rt.queue, ctx.events)
    return render_ussd(screen.text, screen.final), 200
