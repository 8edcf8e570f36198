"""One simulated step, played through the very code the provider webhooks run; nothing here decides an answer."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import redis
from sqlalchemy import select

from app.runtime import runtime
from app.simulator.thread import ThreadMessage, exchange
from app.webhooks.messages import accept_inbound
from app.webhooks.ussd import answer_ussd
from casecore.audit import AuditEvent, record_event
from casecore.base import utcnow
from casecore.i18n import N_
from channels.inbound import InboundText
from workers.followups import follow_up
from workers.inbound import SIMULATOR, process_inbound
from workers.queueing import enqueue_send

log = logging.getLogger(__name__)

# What Africa's Talking posts for the service (providers §1); 99999 is AT's sandbox network.
SERVICE_CODE = "*384*1234#"
NETWORK_CODE = "99999"
SESSION_STARTED = "simulator_used"
THREAD_VIEWED = "simulator.thread_viewed"


class Unavailable(RuntimeError):
    """The step could not be played now (database or Redis down); the message, a web msgid, says what to expect."""


@dataclass(frozen=True)
class UssdScreen:
    """The webhook's answer to one step: the body exactly as the telco would get it, and its HTTP status."""

    body: str
    status: int

    @property
    def final(self) -> bool:
        """Whether the session is over (`END`)."""
        return not self.body.startswith("CON ")

    @property
    def text(self) -> str:
        """What the phone shows: the body without CON or END."""
        return self.body[4:] if self.body[:4] in ("CON ", "END ") else self.body


def ussd_form(session_id: str, phone: str, text: str) -> dict[str, str]:
    """The form AT posts for one USSD step."""
    return {"sessionId": session_id, "serviceCode": SERVICE_CODE, "phoneNumber": phone,
            "networkCode": NETWORK_CODE, "text": text}


def play_ussd(session_id: str, phone: str, text: str) -> UssdScreen:
    """Answer one USSD step as the AT webhook would."""
    body, status = answer_ussd(ussd_form(session_id, phone, text))
    return UssdScreen(body, status)


def play_sms(phone: str, body: str) -> list[ThreadMessage]:
    """Store one SMS in the inbox, answer it at once as the worker would; returns it and its replies."""
    rt = runtime()
    message = InboundText(provider=SIMULATOR, channel="sms", message_id=f"SIM-{uuid.uuid4()}", phone=phone,
                          to_address=SIMULATOR, body=body, received_at=utcnow())
    inbox_id = accept_inbound(message, enqueue=False)
    if inbox_id is None:
        raise Unavailable(N_("The message was not stored: the database cannot be reached. Try again."))
    try:
        outbound_ids, events = process_inbound(rt, inbox_id)
    except redis.RedisError as exc:
        # The message stays in the inbox as received: the scheduler's sweep answers it once Redis is back.
        log.warning("simulated SMS %s stored but not answered (%s)", inbox_id, exc.__class__.__name__)
        raise Unavailable(N_("The message was stored but cannot be answered now; the reply will come later.")) from None
    follow_up(rt.queue, events)
    for outbound_id in outbound_ids:
        # The simulator backend marks them sent; they are enqueued like any reply so the outbox stays truthful.
        enqueue_send(rt.queue, outbound_id)
    with rt.unit_of_work() as session:
        return exchange(session, inbox_id, outbound_ids)


def audited_object_id(session_id: str, phone_key: str) -> str:
    """What `simulator_used` records as its object: the session id and the keyed hash of the number, never the number.

    The audit table has no other column for it; inputs.MAX_SESSION_ID keeps the pair within object_id's 64 characters.
    """
    return f"{session_id}:{phone_key}"


def note_session_start(user_id: uuid.UUID, channel: str, session_id: str, phone: str) -> bool:
    """Record `simulator_used` the first time a session is played as phone; True when this call recorded it."""
    return _note_once(user_id, SESSION_STARTED, channel, session_id, phone)


def note_thread_shown(user_id: uuid.UUID, session_id: str, phone: str) -> bool:
    """Record `simulator.thread_viewed` the first time a person sees a simulated phone's messages in a session (the
    page polls for replies: once per session, not per poll)."""
    return _note_once(user_id, THREAD_VIEWED, "sms", session_id, phone)


def _note_once(user_id: uuid.UUID, action: str, channel: str, session_id: str, phone: str) -> bool:
    rt = runtime()
    object_id = audited_object_id(session_id, rt.phone_key(phone))
    with rt.unit_of_work() as session:
        seen = session.scalar(select(AuditEvent.id).where(
            AuditEvent.object_id == object_id, AuditEvent.action == action, AuditEvent.user_id == user_id).limit(1))
        if seen is not None:
            return False
        record_event(session, user_id, action, f"{channel}_simulation", object_id)
        return True
