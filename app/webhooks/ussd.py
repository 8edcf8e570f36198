"""Africa's Talking USSD: each step is answered inline with the next screen (`CON`) or the last one (`END`)."""
from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.metrics.instruments import count_ussd_step
from app.runtime import runtime
from app.web.dispatch import PlainAnswer, as_response
from app.web.paths import URL_PREFIX
from app.webhooks import limits
from app.webhooks.common import bp, posted_form, raw_webhook, ussd_guard
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

PATH = f"{URL_PREFIX}/africastalking/ussd"

# Room for "CON " within the 160 characters a screen may hold, counted as the phone will show the text.
USSD_LIMITS = Limits(max_options=7, max_chars=156, measure=ussd_length)
# The first screen of a session over RATE_LIMIT_USSD_SESSIONS_PER_NUMBER.
TOO_MANY_SESSIONS = N_("You have dialled too often. Please try again later.")
TOO_MANY_SESSIONS_EMERGENCY = N_("You have dialled too often. Please try again later. "
                                 "In an emergency call %(numbers)s.")
# The last screen of a session sending more inputs than any conversation has (channels' MAX_INPUTS).
SESSION_TOO_LONG = N_("This session is too long and was closed. Please dial again.")


@bp.post(PATH.removeprefix(URL_PREFIX))
def africastalking_ussd():
    """Answer one USSD step when the raw route leaves it to Flask (a body with no length, or one too large)."""
    try:
        return as_response(ussd_answer(posted_form(), limits.source_address()))
    except HTTPException:
        raise  # a body over MAX_CONTENT_LENGTH: the blueprint's 413
    except Exception:
        log.exception("USSD step failed before its session was read")
        return as_response(_unavailable())


def _unavailable() -> PlainAnswer:
    """As answer_step: never a 500 to the telco, whatever failed before the session was read."""
    count_ussd_step("error")
    _ = gettext_for(runtime().settings.DEFAULT_LANGUAGE)
    return PlainAnswer(render_ussd(_(SERVICE_UNAVAILABLE), final=True))


def ussd_answer(form: dict[str, str], who: str) -> PlainAnswer:
    """The answer to one USSD form posted from who; a session's first step is where the rate limits apply."""
    try:
        step = parse_ussd_request(form)
    except TooManyInputs as exc:
        count_ussd_step("refused")
        return PlainAnswer(session_too_long(exc.step))
    except InvalidUssdRequest as exc:
        count_ussd_step("refused")
        return PlainAnswer(render_ussd(f"Invalid request: {exc}", final=True), 400)
    if not step.inputs:
        refused = new_session_refusal(step, who)
        if refused is not None:
            count_ussd_step("refused")
            return refused
    body, status, outcome = answered_step(step)
    count_ussd_step(outcome)
    return PlainAnswer(body, status)


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


def new_session_refusal(step: UssdRequest, who: str) -> PlainAnswer | None:
    """The answer refusing a new session over a limit, else None; one Redis round trip.

    Only a first step (`text` empty) is counted: steps of a started session never pay for a check and are never
    cut. A session first seen with inputs (a dial string with extra digits) is not counted; it starts at the
    first screen like any other.
    """
    rt = runtime()
    # Unless AT's token authenticates the request, it counts against its address (app.webhooks.common).
    per_source = [] if rt.settings.AT_WEBHOOK_TOKEN else [(limits.SOURCE, who)]
    refusal = limits.limiter().check(hits=[*per_source, (limits.USSD_SESSIONS, rt.phone_key(step.phone))],
                                     watch=[(limits.AUTH_FAILURES, who)])
    if refusal is None:
        return None
    if refusal.limit != limits.USSD_SESSIONS:
        return limits.too_many_answer(refusal, prefix="END ")
    log.warning("USSD session %s refused: too many sessions from its number", step.session_id)
    return PlainAnswer(render_ussd(_too_many_sessions_text(step.phone), final=True))


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
    body, status, _outcome = answered_step(step)
    return body, status


def answered_step(step: UssdRequest) -> tuple[str, int, str]:
    """As answer_step, with the step's outcome for the metrics: continue, end or error."""
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
            services=rt.community_services(step.service_code),
        )
        screen = answer_menu_step(rt.dialog_store, ctx, list(step.inputs), USSD_LIMITS, rt.session_times)
    except Exception:
        # Never a 500 to the telco: the person gets a polite last screen; the trace goes to the log.
        log.exception("USSD step failed in session %s", step.session_id)
        _ = gettext_for(settings.DEFAULT_LANGUAGE)
        hint = complaint_hint("ussd", settings.DEFAULT_LANGUAGE, {}, step.service_code)
        return render_ussd(f"{_(SERVICE_UNAVAILABLE)}\n{hint}", final=True), 200, "error"
    follow_up(rt.queue, ctx.events, rt.round_trips)
    return render_ussd(screen.text, screen.final), 200, "end" if screen.final else "continue"


def init_app(app: Flask) -> None:
    """Answer USSD steps on the raw route (the view stays for what it leaves to Flask)."""
    raw_routes = getattr(app, "raw_routes", None)
    if raw_routes is not None:
        raw_routes[("POST", PATH)] = raw_webhook(lambda form, _environ, who: ussd_answer(form, who), ussd_guard,
                                                 _unavailable)
