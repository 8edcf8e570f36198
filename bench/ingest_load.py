"""The load for `make bench-ingest`: SMS and WhatsApp messages posted exactly as Africa's Talking and Twilio post them.

Each client thread keeps one keep-alive connection and posts back to back, cycling through the three kinds (AT SMS
with the token in the URL, Twilio SMS and Twilio WhatsApp signed with X-Twilio-Signature). Every message has its
own provider id; each sender (a distinct number per thread and round) sends `per_sender` messages, well under the
per-number limit, so that the benchmark measures the webhook and not the limits. What the server acknowledged is
kept per message id, for the check after the workers drain the inbox.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

from bench import load
from bench.load import Connection

AT_SMS_URL = "/webhooks/africastalking/sms"
TWILIO_URL = "/webhooks/twilio/messages"
KINDS = ("at-sms", "twilio-sms", "twilio-whatsapp")
# What a person writing to the service would send: a greeting, then menu choices (each message gets one reply).
TEXTS = ("Bonjour", "1", "1", "1", "1")
AT_SHORT_CODE, TWILIO_NUMBER, TWILIO_WHATSAPP = "21512", "+15005550006", "+14155238886"
TWILIO_ACCOUNT = "AC" + "b" * 32


@dataclass(frozen=True)
class Target:
    """Where the posts go and what they must carry to be believed."""

    ports: tuple[int, ...]
    at_token: str
    twilio_token: str
    public_base_url: str  # the PUBLIC_BASE_URL the server checks Twilio's signature against


@dataclass(frozen=True)
class Plan:
    """When the clients post (time.monotonic(), one clock for every process on Linux) and how much per sender."""

    target: Target
    start_at: float
    measure_from: float
    stop_at: float
    per_sender: int


@dataclass
class Tally:
    """What one client process saw: acknowledged messages (sender, kind, provider id), latencies in the window."""

    acknowledged: list[tuple[str, str, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0


class PostConnection(Connection):
    """bench.load's keep-alive client, posting to any path with extra headers."""

    def send(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST body to path; (status, body)."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{extra}"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ").encode()
        return self.post(body)


def sender_number(process: int, slot: int, round_: int) -> str:
    """A Malian mobile number (+2237 and 7 digits), distinct per (process, thread, round) for 8 processes of 250
    threads sending 5,000 rounds each."""
    return f"+2237{((process % 8) * 250 + slot % 250) * 5000 + round_ % 5000:07d}"


def message(kind: str, sender: str, text: str, target: Target, validator) -> tuple[str, str, bytes, dict[str, str]]:
    """(provider id, path, body, headers) of one message of this kind, as the provider posts it."""
    if kind == "at-sms":
        message_id = f"ATXid_{uuid.uuid4().hex}"
        form = {"linkId": "", "text": text, "to": AT_SHORT_CODE, "id": message_id,
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "from": sender}
        return message_id, f"{AT_SMS_URL}?token={target.at_token}", urlencode(form).encode(), {}
    message_id = f"SM{uuid.uuid4().hex}"
    whatsapp = kind == "twilio-whatsapp"
    form = {"ToCountry": "US", "SmsMessageSid": message_id, "NumMedia": "0", "SmsSid": message_id,
            "SmsStatus": "received", "Body": text, "NumSegments": "1", "MessageSid": message_id,
            "AccountSid": TWILIO_ACCOUNT, "ApiVersion": "2010-04-01",
            "From": f"whatsapp:{sender}" if whatsapp else sender,
            "To": f"whatsapp:{TWILIO_WHATSAPP}" if whatsapp else TWILIO_NUMBER}
    if whatsapp:
        form.update({"ProfileName": "Bench", "WaId": sender.lstrip("+"), "MessageType": "text"})
    signature = validator.compute_signature(target.public_base_url + TWILIO_URL, form)
    return message_id, TWILIO_URL, urlencode(form).encode(), {"X-Twilio-Signature": signature}


def post_messages(plan: Plan, process: int, slot: int, tally: Tally, lock: threading.Lock) -> None:
    """One client: senders in turn, each sending per_sender messages of one kind, back to back until stop_at."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(plan.target.twilio_token)
    ports = plan.target.ports
    conn = PostConnection(ports[slot % len(ports)])  # spread over the web groups, as a load balancer would
    round_ = 0
    while time.monotonic() < plan.stop_at:
        kind = KINDS[(slot + round_) % len(KINDS)]
        sender = sender_number(process, slot, round_)
        round_ += 1
        for n in range(plan.per_sender):
            if time.monotonic() >= plan.stop_at:
                break
            message_id, path, body, headers = message(kind, sender, TEXTS[n % len(TEXTS)], plan.target, validator)
            started = time.monotonic()
            try:
                status, answer = conn.send(path, body, headers)
                problem = None if status == 200 else f"HTTP {status}: {answer[:80]!r}"
            except (OSError, ValueError, KeyError, IndexError) as exc:
                problem = f"{exc.__class__.__name__}: {exc}"
                conn.close()
            ended = time.monotonic()
            counted = plan.measure_from <= ended <= plan.stop_at
            with lock:
                if problem is None:
                    # Every acknowledged message must be stored and answered, in the window or not.
                    tally.acknowledged.append((sender, kind, message_id))
                    if counted:
                        tally.latencies.append(ended - started)
                        tally.by_kind[kind] = tally.by_kind.get(kind, 0) + 1
                elif counted:
                    tally.errors += 1
                    if len(tally.error_samples) < 5:
                        tally.error_samples.append(problem)
    conn.close()


class Clients(load.Clients):
    """The client processes posting messages for one plan (bench/load.py's, with this module's work and tally)."""

    work = staticmethod(post_messages)
    tally = Tally
