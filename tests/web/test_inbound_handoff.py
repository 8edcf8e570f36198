"""From the SMS webhook to the worker: one job per new message, put on the queue in one Redis round trip; a message
the scheduler's sweep enqueues again is still answered once (Redis down: tests/faults/test_redis_down.py)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from app import create_app
from casecore.base import utcnow
from casecore.messaging.models import InboundMessage, OutboundMessage
from tests.conftest import make_settings
from tests.factories import make_receiving_service
from tests.fakes.africastalking import FakeAfricasTalking
from tests.queues import drain, queued_job_ids
from workers import scheduler
from workers.queueing import INBOUND_JOB, RETRY_INTERVALS, inbound_job_id

FORM = "application/x-www-form-urlencoded"
PHONE = "+22376701431"


@pytest.fixture
def at():
    with FakeAfricasTalking(api_key="k") as fake:
        yield fake


@pytest.fixture
def app(database_url, redis_url, at):
    flask_app = create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url,
                                         SMS_BACKEND="africastalking", AT_API_URL=at.url, AT_USERNAME="relais",
                                         AT_API_KEY="k"))
    runtime = flask_app.extensions["relais"]
    with runtime.unit_of_work() as session:
        make_receiving_service(session)
    yield flask_app
    runtime.close()


def post_sms(app, message_id: str, text: str = "Bonjour"):
    form = {"linkId": "", "text": text, "to": "21512", "id": message_id, "date": "2026-12-06T06:04:45Z",
            "from": PHONE}
    return app.test_client().post("/webhooks/africastalking/sms", data=urlencode(form), content_type=FORM)


def inbox(app) -> list[InboundMessage]:
    with app.extensions["relais"].unit_of_work() as session:
        return list(session.scalars(select(InboundMessage)))


def replies(app) -> list[str]:
    with app.extensions["relais"].unit_of_work() as session:
        return list(session.scalars(select(OutboundMessage.purpose_key)))


def test_a_new_message_gets_one_job_with_its_retries_and_a_redelivery_none(app):
    runtime = app.extensions["relais"]
    assert post_sms(app, "ATXid_handoff1").status_code == 200
    [message] = inbox(app)
    assert queued_job_ids(runtime.queue) == [inbound_job_id(message.id)]
    job = runtime.queue.fetch_job(inbound_job_id(message.id))
    assert job.func_name == INBOUND_JOB and job.args == (str(message.id),)
    assert job.retries_left == len(RETRY_INTERVALS) and job.origin == runtime.queue.name
    assert post_sms(app, "ATXid_handoff1").status_code == 200  # the provider delivers it again
    assert len(inbox(app)) == 1 and queued_job_ids(runtime.queue) == [inbound_job_id(message.id)]


def test_a_message_the_sweep_enqueues_again_is_answered_once(app, at):
    runtime = app.extensions["relais"]
    assert post_sms(app, "ATXid_handoff2").status_code == 200
    [message] = inbox(app)
    # The sweep finds it still waiting (as if the webhook had stalled past ALERT_SWEEP_AFTER_SECONDS)...
    scheduler.run_once(runtime, now=utcnow() + timedelta(seconds=runtime.settings.ALERT_SWEEP_AFTER_SECONDS + 1))
    drain(runtime.queue)
    # ...and once it has been handled, a later sweep's job finds nothing to do.
    scheduler.run_once(runtime, now=utcnow() + timedelta(seconds=runtime.settings.ALERT_SWEEP_AFTER_SECONDS + 1))
    drain(runtime.queue)
    assert replies(app) == [f"reply:{message.id}"]
    assert [r["form"]["to"] for r in at.requests] == [PHONE]
    assert inbox(app)[0].status == "processed"

