"""Incoming SMS and WhatsApp: stored in the inbox before the provider gets its answer, then handled by a worker."""
from __future__ import annotations

import logging
import uuid
from functools import partial
from typing import Callable

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wsgi import get_current_url

from app.runtime import runtime
from app.web.dispatch import PlainAnswer, as_response
from app.web.paths import URL_PREFIX
from app.webhooks import limits
from app.webhooks.common import UNSTORED, bp, posted_form, raw_webhook, twilio_refusal, twilio_signature_refusal
from casecore.errors import InvalidInput
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.media import MediaDraft
from casecore.messaging.outbox import last_options_sent
from channels.africastalking_sms import parse_africastalking_sms
from channels.inbound import InboundText, InvalidInbound
from channels.twilio_messages import EMPTY_TWIML, parse_twilio_message
from dialogs.keywords import START, STOP
from workers.queueing import enqueue_new_inbound

log = logging.getLogger(__name__)


AFRICASTALKING_SMS = f"{URL_PREFIX}/africastalking/sms"
TWILIO_MESSAGES = f"{URL_PREFIX}/twilio/messages"


@bp.post(AFRICASTALKING_SMS.removeprefix(URL_PREFIX))
def africastalking_sms():
    """An SMS to our short code (when the raw route leaves it to Flask: a body with no length, or too large)."""
    return as_response(africastalking_sms_answer(posted_form()))


def africastalking_sms_answer(form: dict[str, str]) -> PlainAnswer:
    """Answered through the send API, so the answer here is a bare 200 once the message is stored."""
    return _store(parse_africastalking_sms, form) or PlainAnswer("OK")


@bp.post(TWILIO_MESSAGES.removeprefix(URL_PREFIX))
def twilio_messages():
    """An SMS or WhatsApp message through Twilio (when the raw route leaves it to Flask)."""
    form = posted_form()
    refused = twilio_refusal(form)
    return refused or as_response(_store_twilio(form))


def twilio_messages_answer(form: dict[str, str], environ: dict, who: str) -> PlainAnswer:
    """Signed, and answered with empty TwiML once stored (replies go by the API)."""
    return twilio_signature_refusal(
        form, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), lambda: get_current_url(environ),
        environ.get("HTTP_X_TWILIO_SIGNATURE", ""), who) or _store_twilio(form)


def _store_twilio(form: dict[str, str]) -> PlainAnswer:
    return (_store(partial(parse_twilio_message, buttons_sent=_buttons_sent), form)
            or PlainAnswer(EMPTY_TWIML, mimetype="text/xml"))


def _buttons_sent(phone: str) -> tuple[str, ...]:
    """The quick-reply titles last sent to phone on WhatsApp: a tap Twilio reports by its title alone is read
    against them. Asked only for such a tap; with the database down the title is kept as typed text."""
    try:
        with runtime().unit_of_work(read_only=True) as session:  # a read: no wait for SQLite's write lock
            return last_options_sent(session, phone)
    except SQLAlchemyError as exc:
        log.warning("quick replies sent not read: %s", exc.__class__.__name__)
        return ()


def _store(parse: Callable[[dict[str, str]], InboundText], form: dict[str, str]) -> PlainAnswer | None:
    """Parse and store a provider's message; the error answer to give, or None when it is safely stored."""
    try:
        message = parse(form)
        stored = accept_inbound(message, limited=_over_limit(message))
    except InvalidInbound as exc:
        return PlainAnswer(f"Invalid request: {exc}", 400)
    if stored is None:
        # An error status makes the provider report it and, where it retries, send it again.
        return UNSTORED
    return None


def _over_limit(message: InboundText) -> bool:
    """Whether this message takes its number over RATE_LIMIT_MESSAGES_PER_NUMBER (one Redis round trip).

    An opt-out or opt-in keyword is counted but always handled: anyone must be able to stop our messages.
    """
    rt = runtime()
    refusal = limits.limiter().check(hits=[(limits.MESSAGES, rt.phone_key(message.phone))])
    if refusal is None:
        return False
    keyword = rt.keywords.match(message.body)
    return keyword is None or keyword.action not in (STOP, START)


def accept_inbound(message: InboundText, enqueue: bool = True, limited: bool = False) -> uuid.UUID | None:
    """Write the message to the inbox (so nothing received is lost), then enqueue its handling; None if unstored.

    A limited message (its number sent too many) is stored as such and never handled.
    Raises InvalidInbound for a message the case store refuses (a sender that is not a phone number).
    The simulator stores its messages the same way and handles them at once instead of enqueueing them.
    """
    rt = runtime()
    draft = InboundDraft(
        provider=message.provider, provider_message_id=message.message_id, channel=message.channel,
        phone=message.phone, to_address=message.to_address, body=message.body, received_at=message.received_at,
        # Recorded now, fetched by a worker: the provider must not wait for a download.
        media=tuple(MediaDraft(item.url, item.content_type) for item in message.media),
        sender_key=rt.phone_key(message.phone) if message.media else "",
    )
    try:
        if draft.media:
            # Its media rows in the same transaction: the message and what came with it are kept together or not at all.
            with rt.unit_of_work() as session:
                stored = store_inbound(session, draft, limited=limited)
        else:
            with rt.single_write() as connection:  # one INSERT, committed by itself
                stored = store_inbound(connection, draft, limited=limited)
    except InvalidInput as exc:
        raise InvalidInbound(str(exc)) from exc
    except SQLAlchemyError as exc:
        log.error("inbound %s message not stored: %s", message.provider, exc.__class__.__name__)
        return None
    if not stored.is_new:
        log.info("inbound message %s delivered again; already stored", stored.id)
    elif limited:
        log.warning("inbound message %s stored, not handled: too many messages from its number", stored.id)
    elif enqueue:
        # If Redis is down the scheduler's sweep enqueues it later; the provider still gets its answer.
        enqueue_new_inbound(rt.queue, stored.id, rt.round_trips)
    return stored.id


def init_app(app: Flask) -> None:
    """Take inbound messages on raw routes, like USSD steps (the views stay for what they leave to Flask)."""
    raw_routes = getattr(app, "raw_routes", None)
    if raw_routes is not None:
        raw_routes[("POST", AFRICASTALKING_SMS)] = raw_webhook(
            lambda form, _environ, _who: africastalking_sms_answer(form))
        raw_routes[("POST", TWILIO_MESSAGES)] = raw_webhook(twilio_messages_answer)
