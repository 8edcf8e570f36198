"""Handling one inbound SMS or WhatsApp message: play the number's dialogue, write the reply to the outbox."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from bootstrap import Runtime
from casecore.cases.media import attach_sender_media
from casecore.i18n import gettext_for
from casecore.messaging.inbox import RECEIVED, InboundSnapshot, get_inbound, mark_processed
from casecore.messaging.media import MEDIA_RECEIVED, media_of
from casecore.messaging.outbox import queue_message
from casecore.messaging.sms_length import measure_sms
from channels.sms.encoding import to_gsm7
from dialogs.common import SERVICE_UNAVAILABLE
from dialogs.community import complaint_hint
from dialogs.engine import Context, Limits
from dialogs.media_reply import answer_media_only
from dialogs.report_child import REPORT_SUBMITTED
from dialogs.sessions import TextReply, answer_text_message, expired_text, take_expired_dialogues, text_key
from dialogs.state import StoreUnavailable

log = logging.getLogger(__name__)

# A prompt costs one SMS segment, two at most: 306 GSM-7 characters once respelt (channels.sms.encoding).
SMS_LIMITS = Limits(max_options=9, max_chars=306, measure=lambda text: measure_sms(to_gsm7(text)).units,
                    show_home=True)
# WhatsApp has no segments; lists stay short enough to read on a small screen.
WHATSAPP_LIMITS = Limits(max_options=10, max_chars=1000, show_home=True)
LIMITS = {"sms": SMS_LIMITS, "whatsapp": WHATSAPP_LIMITS}
# Inbound messages from the web view's simulator are answered in the outbox only, never through a provider.
SIMULATOR = "simulator"


def reply_backend(runtime: Runtime, provider: str) -> str:
    """The backend that answers a provider's messages: the same provider, unless messages go to the console."""
    if provider == SIMULATOR:
        return SIMULATOR
    if runtime.settings.SMS_BACKEND == "console":
        return "console"
    return provider


@dataclass(frozen=True)
class InboundWork:
    """An inbox row to answer, the types its items declared and the ids of those still to fetch."""

    inbound: InboundSnapshot
    media_types: list[str]
    to_fetch: list[uuid.UUID]


def read_inbound(session, inbound_id: str | uuid.UUID) -> InboundWork:
    """What answering a message needs, read in the caller's transaction (two queries)."""
    inbound = get_inbound(session, inbound_id)
    media_types, to_fetch = media_of(session, inbound.id)
    return InboundWork(inbound, media_types, to_fetch)


def process_inbound(runtime: Runtime, inbound_id: str | uuid.UUID) -> tuple[list[uuid.UUID], list]:
    """Answer one stored inbound message once; returns the outbox ids to send and the conversation's events."""
    with runtime.unit_of_work() as session:
        work = read_inbound(session, inbound_id)
    return answer_inbound(runtime, work)


def answer_inbound(runtime: Runtime, work: InboundWork) -> tuple[list[uuid.UUID], list]:
    """Play the dialogue for a message read by read_inbound and write its reply, unless it was handled already;
    returns the outbox ids to send and the conversation's events."""
    inbound, media_types, to_fetch = work.inbound, work.media_types, work.to_fetch
    if inbound.status != RECEIVED:
        # Handled already, or limited: its number sent too many messages to have this one answered.
        log.info("inbound message %s is %s: not handled", inbound.id, inbound.status)
        return [], []
    settings = runtime.settings
    key_of_phone = runtime.phone_key(inbound.phone)
    key = text_key(inbound.channel, key_of_phone)
    with runtime.dialog_store.lock(key):
        ctx = Context(channel=inbound.channel, session_id="", phone=inbound.phone,
                      default_language=settings.DEFAULT_LANGUAGE, services=runtime.community_services())
        try:
            if media_types and not inbound.body:
                # Photos or files without a caption: thanked, never read as an answer to the question.
                reply = answer_media_only(runtime.dialog_store, ctx, str(inbound.id), media_types,
                                          LIMITS[inbound.channel], runtime.session_times)
            else:
                reply = answer_text_message(runtime.dialog_store, ctx, inbound.body, str(inbound.id),
                                            LIMITS[inbound.channel], runtime.session_times, runtime.keywords,
                                            reply_via=inbound.provider)
        except (SQLAlchemyError, RedisError, StoreUnavailable):
            raise  # down for now: RQ retries the job, and the scheduler re-enqueues the message after that
        except Exception:
            # A message the conversation cannot take must not be retried for ever: apologise and move on.
            log.exception("inbound message %s could not be answered", inbound.id)
            _ = gettext_for(settings.DEFAULT_LANGUAGE)
            hint = complaint_hint(inbound.channel, settings.DEFAULT_LANGUAGE, runtime.keywords.first_words)
            reply = TextReply(f"{_(SERVICE_UNAVAILABLE)}\n{hint}", True)
        with runtime.unit_of_work() as session:
            outbound = _queue_text(
                session, runtime, purpose_key=f"reply:{inbound.id}", phone=inbound.phone, channel=inbound.channel,
                provider=inbound.provider, text=reply.text, ignores_opt_out=reply.may_reach_opted_out,
                options=list(reply.choices) if inbound.channel == "whatsapp" and reply.choices else None,
            )
            if media_types or any(event == REPORT_SUBMITTED for event, _value in ctx.events):
                # After the dialogue, so that a report this very message completed is there to attach to.
                attach_sender_media(session, phone=inbound.phone, sender_key=key_of_phone, now=inbound.received_at,
                                    window=timedelta(hours=settings.MEDIA_ATTACH_HOURS))
            mark_processed(session, inbound.id)
    if to_fetch:
        ctx.events.append((MEDIA_RECEIVED, to_fetch))
    return [outbound.id] if outbound.status == "queued" else [], ctx.events


def _queue_text(session, runtime: Runtime, *, purpose_key: str, phone: str, channel: str, provider: str, text: str,
                **extra):
    """Write a message to a community member to the outbox, respelt for GSM-7 on SMS, sent back the way it came."""
    return queue_message(
        session, purpose_key=purpose_key, to_phone=phone, body=to_gsm7(text) if channel == "sms" else text,
        backend=reply_backend(runtime, provider), channel=channel, **extra,
    )


def end_expired_dialogues(runtime: Runtime) -> list[uuid.UUID]:
    """Close text dialogues left without a reply, each with a polite message; returns the outbox ids to send."""
    times = runtime.session_times
    to_send = []
    for state in take_expired_dialogues(runtime.dialog_store, times):
        text = expired_text(state, runtime.settings.DEFAULT_LANGUAGE, times, runtime.keywords.first_words)
        with runtime.unit_of_work() as session:
            outbound = _queue_text(
                session, runtime, purpose_key=f"dialogue-expired:{state.conversation_id}:{state.last_message_id}",
                phone=state.phone, channel=state.channel, provider=state.reply_via, text=text,
            )
        if outbound.status == "queued":
            to_send.append(outbound.id)
    return to_send
