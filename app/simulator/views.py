"""The simulator page and the calls its script makes; the plain form posts to the same URLs without a script."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.runtime import runtime
from app.simulator import inputs
from app.simulator.inputs import BadInput
from app.simulator.play import (
    SERVICE_CODE,
    Unavailable,
    UssdScreen,
    note_session_start,
    note_thread_shown,
    play_sms,
    play_ussd,
)
from app.simulator.thread import ThreadMessage, simulated_thread
from app.web.pages import page_gettext
from casecore.base import utcnow
from casecore.i18n import N_
from casecore.reports.family_numbers import is_real_family_number
from channels.africastalking_ussd import SCREEN_LIMIT

log = logging.getLogger(__name__)

bp = Blueprint("simulator", __name__, url_prefix="/simulator")

# The plain form sends reply_as=page and gets the whole page back; the page's script gets JSON.
AS_PAGE = "page"
_NO_DATABASE = N_("The database cannot be reached. Try again in a moment.")
_SWITCHED_OFF = N_("The simulator is switched off: SIMULATOR_NUMBERS lists no test number. Ask an administrator.")
_OTHER_ORGANISATION = N_("The simulator plays as test numbers of the organisation that receives community reports: "
                         "only its staff may use it.")
_REAL_FAMILY = N_("This test number is a real family's (messages or reports came from it): it cannot be played. "
                  "Ask an administrator to take it out of SIMULATOR_NUMBERS.")


@dataclass(frozen=True)
class PhoneView:
    """What the page draws: the setup, then the USSD screen or the SMS thread."""

    channel: str
    phone: str
    session_id: str
    since: datetime
    path: str = ""
    dialled: bool = False
    screen: UssdScreen | None = None
    cancelled: bool = False
    thread: tuple[ThreadMessage, ...] = ()
    error: str = ""


@bp.before_request
def _switched_on():
    """Every simulator URL answers 403 while SIMULATOR_NUMBERS lists no number, and to staff of an organisation other
    than the one its test numbers report to (after the login and CSRF checks)."""
    if not _numbers():
        reason = page_gettext()(_SWITCHED_OFF)
    elif not _of_the_intake_organisation():
        reason = page_gettext()(_OTHER_ORGANISATION)
    else:
        return None
    if request.endpoint == "simulator.page" or request.form.get("reply_as") == AS_PAGE:
        view = PhoneView(inputs.read_channel(request.args.get("channel")), "", inputs.new_session_id(), utcnow(),
                         error=reason)
        return _page(view, 403)
    return jsonify(error=reason), 403


@bp.get("")
def page():
    """The simulated phone, on a new session unless the URL names one (the plain form comes back here)."""
    args = request.args
    channel = inputs.read_channel(args.get("channel"))
    session_id = args.get("session", "")
    # Only an SMS thread is drawn again after a post; a USSD session is never dialled twice.
    if channel != "sms" or not inputs.is_session_id(session_id):
        session_id = inputs.new_session_id()
    view = PhoneView(channel, _numbers()[0], session_id, utcnow())
    try:
        # The default number too is checked: an SMS page shows that number's messages.
        view = replace(view, phone=_read_phone(args if "phone" in args else {"phone": view.phone}),
                       since=inputs.read_since(args.get("since")) or view.since)
    except BadInput as exc:
        return _page(replace(view, error=exc.translated(page_gettext())), 400)
    if channel == "sms":
        with runtime().unit_of_work() as session:
            view = replace(view, thread=tuple(simulated_thread(session, view.phone, view.since)))
        note_thread_shown(current_user.id, view.session_id, view.phone)
    return _page(view)


@bp.post("/ussd")
def ussd():
    """One USSD step: the AT form built from the posted path, answered by the USSD webhook's own function."""
    form = request.form
    as_page = form.get("reply_as") == AS_PAGE
    view = _posted_view("ussd", form)
    try:
        phone = _read_phone(form)
        session_id = inputs.read_session_id(form)
        if not as_page:
            text = inputs.read_text_path(form)
        elif form.get("dialled"):
            text = inputs.extend_path(form.get("text") or "", form.get("answer") or "")
        else:
            text = ""  # the first Send dials the service code
    except BadInput as exc:
        return _refused(exc.translated(page_gettext()), 400, as_page, view)
    if as_page and form.get("cancel"):
        # Hanging up sends nothing to the service: its state waits in Redis for the resume offer.
        return _page(replace(view, dialled=True, cancelled=True))
    try:
        note_session_start(current_user.id, "ussd", session_id, phone)
    except SQLAlchemyError as exc:
        log.error("simulator session not recorded: %s", exc.__class__.__name__)
        return _refused(page_gettext()(_NO_DATABASE), 503, as_page, view)
    screen = play_ussd(session_id, phone, text)
    if as_page:
        return _page(replace(view, path=text, dialled=True, screen=screen), screen.status)
    return jsonify(session_id=session_id, text=text, body=screen.body, screen=screen.text, final=screen.final,
                   length=len(screen.body)), screen.status


@bp.post("/sms")
def sms():
    """One SMS from the simulated phone: stored in the inbox and answered at once, as the worker would."""
    form = request.form
    as_page = form.get("reply_as") == AS_PAGE
    view = _posted_view("sms", form)
    try:
        phone = _read_phone(form)
        body = inputs.read_body(form)
        session_id = inputs.read_session_id(form) if form.get("session_id") else inputs.new_session_id()
    except BadInput as exc:
        return _refused(exc.translated(page_gettext()), 400, as_page, view)
    try:
        note_session_start(current_user.id, "sms", session_id, phone)
        messages = play_sms(phone, body)
    except Unavailable as exc:
        return _refused(page_gettext()(str(exc)), 503, as_page, view)
    except SQLAlchemyError as exc:
        log.error("simulated SMS not played: %s", exc.__class__.__name__)
        return _refused(page_gettext()(_NO_DATABASE), 503, as_page, view)
    if as_page:
        return redirect(url_for(".page", channel="sms", phone=phone, session=session_id,
                                since=view.since.isoformat()), 303)
    zone = runtime().zone
    sent = [m.as_json(zone) for m in messages if m.direction == "sent"]
    return jsonify(session_id=session_id, sent=sent[0] if sent else None,
                   replies=[m.as_json(zone) for m in messages if m.direction == "received"])


@bp.get("/sms/messages")
def sms_messages():
    """The simulated phone's thread as JSON, oldest first: replies written later (by the scheduler) show up too."""
    try:
        phone = _read_phone(request.args)
        since = inputs.read_since(request.args.get("since"))
    except BadInput as exc:
        return jsonify(error=exc.translated(page_gettext())), 400
    with runtime().unit_of_work() as session:
        thread = simulated_thread(session, phone, since)
    session_id = request.args.get("session", "")
    note_thread_shown(current_user.id, session_id if inputs.is_session_id(session_id) else "poll", phone)
    return jsonify(phone=phone, messages=[m.as_json(runtime().zone) for m in thread])


def _of_the_intake_organisation() -> bool:
    """Whether the person works for the organisation that receives community reports (and so the simulator's)."""
    try:
        return current_user.organisation_id == runtime().intake_organisation.get()
    except Exception:  # noqa: BLE001 - no intake organisation (several, none named): nobody plays
        log.warning("simulator refused: no organisation receives community reports (DEFAULT_ORGANISATION)")
        return False


def _region() -> str:
    return runtime().settings.DEFAULT_REGION


def _numbers() -> tuple[str, ...]:
    """The test numbers the simulator may play as (SIMULATOR_NUMBERS); the first is the page's default."""
    return inputs.allowed_phones(runtime().settings.SIMULATOR_NUMBERS, _region())


def _read_phone(values) -> str:
    phone = inputs.read_phone(values, _region(), _numbers())
    with runtime().unit_of_work(read_only=True) as session:
        if is_real_family_number(session, phone):
            # Playing as it would show a family's messages and act in their name.
            raise BadInput(_REAL_FAMILY)
    return phone


def _posted_view(channel: str, form) -> PhoneView:
    """The page as the plain form left it, to draw again with an error or the next screen."""
    session_id = form.get("session_id", "")
    try:
        since = inputs.read_since(form.get("since")) or utcnow()
    except BadInput:
        since = utcnow()
    try:
        phone = _read_phone(form)
    except BadInput:
        phone = _numbers()[0]  # the page drawn again must not carry a refused number into its next post
    return PhoneView(channel, phone,
                     session_id if inputs.is_session_id(session_id) else inputs.new_session_id(), since,
                     path=(form.get("text") or "")[:inputs.MAX_TEXT], dialled=bool(form.get("dialled")))


def _refused(reason: str, status: int, as_page: bool, view: PhoneView):
    if as_page:
        return _page(replace(view, error=reason), status)
    return jsonify(error=reason), status


def _page(view: PhoneView, status: int = 200):
    return render_template("simulator/simulator.html", sim=view, numbers=_numbers(), service_code=SERVICE_CODE,
                           screen_limit=SCREEN_LIMIT, sms_limit=inputs.MAX_BODY), status
