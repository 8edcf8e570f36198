"""Personal data at rest: after every conversation on every channel, neither the database files nor Redis hold a
number or a word typed, though Relais reads them all back (casecore.sealing)."""
from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import redis
from sqlalchemy import select
from sqlalchemy.engine import make_url

from casecore.cases.models import CaseContact, CaseEvent
from casecore.cases.opening import open_case
from casecore.complaints.models import Complaint
from casecore.feedback.models import Feedback
from casecore.messaging.models import CommunityContact, InboundMessage, OutboundMessage
from casecore.reports.models import Report
from dialogs.community import main_menu_token
from tests.factories import make_report
from tests.web.test_every_conversation import FLOWS, UssdPhone
from tests.web.test_text_conversations import Phone, app, providers  # noqa: F401  (fixtures)

_message_ids = itertools.count(1)
NUMBERS = {"ussd": "+22376701431", "sms": "+22376701432", "whatsapp": "+22376701433"}
# What a person types, one distinctive word per channel and conversation so a leak says where it came from.
WORDS = {(channel, flow): f"Kadidia{channel.capitalize()}{flow.capitalize()}"
         for channel in NUMBERS for flow in FLOWS}


class TextPhone(Phone):
    """Phone, with provider message ids as the providers make them (the test's own name the number)."""

    def post(self, body: str, message_id: str | None = None, signature: str | None = None, button: str = ""):
        return super().post(body, message_id or f"SM{next(_message_ids):032x}", signature, button)


def _converse(phone, channel: str, flow: str, reference: str) -> None:
    """One whole conversation, typing a distinctive text and the number wherever free text is asked."""
    first = phone.send(None if channel == "ussd" else f"Bonjour {WORDS[(channel, 'report')]}")
    if any("Langue / Language" in reply for reply in first):  # the first conversation from this number
        phone.send("1")
    phone.send(main_menu_token(flow))
    inputs, _model, _reference = FLOWS[flow]
    for typed in inputs:
        if typed == "<text>" and channel == "ussd":
            continue
        if typed in ("<text>", "Mon fils est rentré"):
            typed = f"{WORDS[(channel, flow)]} est battue, appelez le {NUMBERS[channel]}"
        phone.send(reference if typed == "<reference>" else typed)


def test_no_number_or_typed_word_is_kept_in_clear(app, providers, sqlite_url, redis_url):  # noqa: F811
    runtime = app.extensions["relais"]
    with runtime.unit_of_work() as session:
        earlier = make_report(session, reporter_phone=NUMBERS["sms"], reporter_key=runtime.phone_key(NUMBERS["sms"]),
                              channel_session_id="earlier")
        open_case(session, earlier.id, contact_phones=tuple(NUMBERS.values()))
        reference = earlier.reference
    for channel, number in NUMBERS.items():
        text_phone = None if channel == "ussd" else TextPhone(app, providers, channel, number)
        for flow in FLOWS:
            phone = text_phone or UssdPhone(app, number)
            _converse(phone, channel, flow, reference)

    # Relais itself reads everything back.
    with runtime.unit_of_work() as session:
        typed = {d for d in session.scalars(select(Report.description)) if d} | set(
            session.scalars(select(CaseEvent.body).where(CaseEvent.kind == "family_message")))
        assert {f"{WORDS[(c, f)]} est battue, appelez le {NUMBERS[c]}" for c in ("sms", "whatsapp")
                for f in ("report", "tracing", "message")} <= typed
        assert f"{WORDS[('ussd', 'message')]} est battue, appelez le {NUMBERS['ussd']}" in typed
        numbers = set(session.scalars(select(InboundMessage.phone))) | set(
            session.scalars(select(Report.reporter_phone)))
        assert set(NUMBERS.values()) <= numbers
        assert session.scalars(select(CaseContact).where(CaseContact.phone == NUMBERS["ussd"])).all()
        assert session.scalars(select(CommunityContact).where(CommunityContact.phone.in_(NUMBERS.values()))).all()
        assert session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == NUMBERS["sms"])).all()
        assert session.scalars(select(Feedback)).all() and session.scalars(select(Complaint)).all()

    secrets = [*NUMBERS.values(), *(n.lstrip("+") for n in NUMBERS.values()), *(n[-8:] for n in NUMBERS.values()),
               *WORDS.values(), "battue"]
    database = Path(make_url(sqlite_url).database)
    files = {path.name: path.read_bytes() for path in (database, database.with_name(database.name + "-wal"))
             if path.exists()}
    assert files[database.name + "-wal"], "the write-ahead log is part of what is checked"
    found = {(name, secret) for name, data in files.items() for secret in secrets if secret.encode() in data}
    assert not found
    stored = _everything_in(redis.Redis.from_url(redis_url))
    assert stored, "Redis held the conversations"
    assert not {secret for secret in secrets if secret.encode() in stored}


def _everything_in(client: redis.Redis) -> bytes:
    """Every key and value in Redis, compressed job payloads opened, as one blob."""
    parts = []
    for key in client.scan_iter(count=1000):
        parts.append(key)
        kind = client.type(key)
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"hash":
            values = [v for pair in client.hgetall(key).items() for v in pair]
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = client.zrange(key, 0, -1)
        else:
            values = []
        for value in values:
            parts.append(value)
            try:
                parts.append(zlib.decompress(value))  # RQ keeps a job's call compressed
            except zlib.error:
                pass
    return b"\n".join(parts)

