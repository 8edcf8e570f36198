"""Posting partner events, on both databases, to a receiver on 127.0.0.1 that checks each signature: claimed by one
job at a time, delivered once on a 2xx, retried with backoff otherwise until 24 hours after the event, masked by
the token's scopes when it goes."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.partners.deliveries import (
    BACKOFF_JITTER,
    GIVE_UP_AFTER,
    claim_delivery,
    deliveries_due,
    give_up_expired,
    record_outcome,
    release_stale_claims,
    retry_delay,
)
from casecore.partners.models import ApiToken, EventDelivery
from casecore.partners.signing import sign, verify
from casecore.partners.subscriptions import list_subscriptions, subscribe
from casecore.partners.tokens import create_token, parse_scopes, revoke_token
from tests.conftest import make_settings
from tests.factories import make_organisation, make_report
from tests.fakes.receiver import Answer, FakeReceiver
from tests.queues import drain, make_deliveries_due, work_once
from workers.events import deliver

TIMEOUT = 0.5


@pytest.fixture
def receiver():
    with FakeReceiver() as fake:
        yield fake


@pytest.fixture
def rt(database_url, redis_url):
    runtime = bootstrap(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, EVENT_TIMEOUT=TIMEOUT))
    with runtime.unit_of_work() as session:
        make_organisation(session, slug="ours")
    yield runtime
    runtime.close()


def subscribed(rt, receiver, scopes="events,reports:read,personal_data", url=None):
    with rt.unit_of_work() as session:
        create_token(session, "hotline", "ours", parse_scopes(scopes))
        subscription = subscribe(session, "hotline", url or receiver.url, ("report.created",))
    receiver.secret = subscription.secret
    return subscription


def new_report(rt):
    with rt.unit_of_work() as session:
        return make_report(session, organisation_slug="ours", description="Frappée chaque soir.")


def delivery(rt) -> EventDelivery:
    with rt.unit_of_work() as session:
        return session.scalars(select(EventDelivery)).one()


def test_an_event_is_posted_signed_once_and_marked_delivered(rt, receiver):
    subscribed(rt, receiver)
    submitted = new_report(rt)
    drain(rt.queue)

    [posted] = receiver.wait_for(1)
    row = delivery(rt)
    assert posted["signature_ok"], posted["signature"]
    assert posted["content_type"] == "application/json" and posted["path"] == "/relais/events"
    assert (posted["delivery"], posted["event"]) == (str(row.id), "report.created")
    event = posted["json"]
    assert (event["id"], event["type"], event["occurred_at"]) == (
        str(row.id), "report.created", row.occurred_at.isoformat().replace("+00:00", "Z"))
    assert event["data"]["reference"] == submitted.reference
    assert event["data"]["description"] == "Frappée chaque soir."
    assert (row.status, row.attempts, row.last_error, row.data) == ("delivered", 1, None, None)
    assert row.delivered_at is not None

    assert deliver(rt, rt.queue, str(row.id)) == "skipped"  # a job run again finds it delivered
    assert len(receiver.requests) == 1


def test_a_refusal_is_tried_again_after_a_backoff_then_delivered(rt, receiver):
    subscribed(rt, receiver)
    new_report(rt)
    receiver.answer_next(Answer(status=500))
    before = utcnow()
    work_once(rt.queue)
    row = delivery(rt)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
    assert before + timedelta(seconds=10 * (1 - BACKOFF_JITTER)) <= row.next_attempt_at
    assert row.next_attempt_at <= utcnow() + timedelta(seconds=10 * (1 + BACKOFF_JITTER))
    assert row.data is not None  # kept for the next try

    assert deliver(rt, rt.queue, str(row.id)) == "skipped"  # not due yet: nothing posted
    assert len(receiver.requests) == 1
    make_deliveries_due(rt)
    drain(rt.queue)  # the try RQ's scheduler holds for later
    row = delivery(rt)
    assert (row.status, row.attempts) == ("delivered", 2)
    first, second = receiver.requests
    assert first["delivery"] == second["delivery"] and first["body"] == second["body"]
    assert second["signature_ok"]


def test_a_slow_receiver_is_a_timeout_and_a_redirect_is_not_followed(rt, receiver):
    subscribed(rt, receiver)
    new_report(rt)
    receiver.answer_next(Answer.hang(3.0), Answer(status=302))
    work_once(rt.queue)
    assert delivery(rt).last_error == "timeout waiting for the answer"
    make_deliveries_due(rt)
    deliver(rt, rt.queue, str(delivery(rt).id))
    assert (delivery(rt).status, delivery(rt).last_error) == ("pending", "HTTP 302")


def test_nothing_listening_is_no_connection(rt, receiver):
    port = receiver.port
    receiver.stop()
    subscribed(rt, receiver, url=f"http://127.0.0.1:{port}/relais/events")
    new_report(rt)
    work_once(rt.queue)
    assert (delivery(rt).status, delivery(rt).last_error) == ("pending", "no connection")


def test_two_claims_at_once_one_wins(rt, receiver):
    subscribed(rt, receiver)
    new_report(rt)
    row = delivery(rt)
    with rt.unit_of_work() as session:
        first = claim_delivery(session, row.id)
    with rt.unit_of_work() as session:
        assert claim_delivery(session, row.id) is None
    assert first is not None and first.attempts == 1


def test_a_superseded_claim_records_nothing(rt, receiver):
    subscribed(rt, receiver)
    new_report(rt)
    with rt.unit_of_work() as session:
        slow = claim_delivery(session, delivery(rt).id)
    later = utcnow() + timedelta(minutes=5)
    with rt.unit_of_work() as session:
        assert release_stale_claims(session, later - timedelta(minutes=2)) == 1
    with rt.unit_of_work() as session:
        fresh = claim_delivery(session, slow.id, now=later)
    with rt.unit_of_work() as session:
        assert record_outcome(session, fresh, True) == ("delivered", None)
    with rt.unit_of_work() as session:
        assert record_outcome(session, slow, False, "timeout") == ("superseded", None)
    assert (delivery(rt).status, delivery(rt).attempts) == ("delivered", 2)


def test_the_token_scopes_now_mask_the_post_and_a_revoked_token_gets_nothing(rt, receiver):
    subscribed(rt, receiver)
    new_report(rt)
    with rt.unit_of_work() as session:
        session.execute(update(ApiToken).values(scopes="events reports:read"))
    drain(rt.queue)
    [posted] = receiver.requests
    assert "description" not in posted["json"]["data"] and "reporter_phone" not in posted["json"]["data"]

    new_report(rt)
    with rt.unit_of_work() as session:
        revoke_token(session, "hotline")
    drain(rt.queue)
    assert len(receiver.requests) == 1
    with rt.unit_of_work() as session:
        refused = session.scalars(select(EventDelivery).where(EventDelivery.status == "failed")).one()
    assert (refused.last_error, refused.data) == ("the token was revoked", None)


def test_revoking_a_token_ends_its_subscriptions_at_once_and_drops_what_waited(rt, receiver):
    subscribed(rt, receiver)
    new_report(rt)
    with rt.unit_of_work() as session:
        revoke_token(session, "hotline")
    with rt.unit_of_work() as session:
        [row] = list_subscriptions(session)
        waiting = session.scalars(select(EventDelivery)).one()
    # Ended and failed before any worker ran: its personal data is not kept for a post that will never go.
    assert row.ended_at is not None and (row.pending, row.failed) == (0, 1)
    assert (waiting.status, waiting.data, waiting.last_error) == ("failed", None, "the token was revoked")
    new_report(rt)
    drain(rt.queue)
    assert receiver.requests == []
    with rt.unit_of_work() as session:
        assert session.scalars(select(EventDelivery.id)).all() == [waiting.id]


def test_retries_double_up_to_an_hour():
    for attempts, step in [(1, 10), (2, 20), (3, 40), (6, 320), (9, 2560), (10, 3600), (30, 3600)]:
        assert step * (1 - BACKOFF_JITTER) <= retry_delay(attempts) <= step * (1 + BACKOFF_JITTER)


def test_after_24_hours_it_fails_keeping_the_last_reason(rt, receiver):
    subscribed(rt, receiver)
    new_report(rt)
    row = delivery(rt)
    # A try just before the limit whose next try would fall past it: failed at once.
    near_end = row.occurred_at + GIVE_UP_AFTER - timedelta(seconds=5)
    with rt.unit_of_work() as session:
        outgoing = claim_delivery(session, row.id, now=near_end)
    with rt.unit_of_work() as session:
        assert record_outcome(session, outgoing, False, "HTTP 503", now=near_end) == ("failed", None)
    failed = delivery(rt)
    assert (failed.status, failed.last_error, failed.data) == ("failed", "gave up after 1 tries: HTTP 503", None)

    new_report(rt)  # a second one whose retries never ran: the sweep's limit
    with rt.unit_of_work() as session:
        waiting = session.scalars(select(EventDelivery).where(EventDelivery.status == "pending")).one()
        waiting.last_error, waiting.next_attempt_at = "HTTP 500", waiting.occurred_at + timedelta(hours=1)
    with rt.unit_of_work() as session:
        assert give_up_expired(session, waiting.occurred_at + GIVE_UP_AFTER - timedelta(seconds=1)) == 0
        assert deliveries_due(session, waiting.occurred_at + timedelta(hours=2), utcnow()) == [waiting.id]
        assert give_up_expired(session, waiting.occurred_at + GIVE_UP_AFTER) == 1
    with rt.unit_of_work() as session:
        gone = session.get(EventDelivery, waiting.id)
        assert (gone.status, gone.last_error, gone.data) == ("failed", "gave up 24 h after the event; last: HTTP 500",
                                                             None)


def test_the_signature_is_the_documented_hmac():
    body = json.dumps({"id": "x"}).encode()
    now = int(time.time())
    header = sign("whsec_test", body, now)
    assert verify("whsec_test", body, header, now)
    assert not verify("whsec_other", body, header, now)
    assert not verify("whsec_test", body + b" ", header, now)
    assert not verify("whsec_test", body, header, now + 301)  # replayed later
    assert not verify("whsec_test", body, "garbage", now)
    # What the README shows a receiver computing, by hand.
    timestamp, _, _ = header.partition(",")
    expected = hmac.new(b"whsec_test", f"{timestamp[2:]}.".encode() + body, hashlib.sha256).hexdigest()
    assert header == f"t={now},v1={expected}"


def test_the_readmes_receiver_code_checks_our_signature():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Checking the signature.**"):]
    code = section[section.index("```python\n") + len("```python\n"):section.index("```\n**Answer 2xx")]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation's example
    is_from_relais = namespace["is_from_relais"]
    body = '{"id":"x","data":{"description":"Frappée"}}'.encode()
    header = sign("whsec_readme", body, int(time.time()))
    assert is_from_relais("whsec_readme", body, header)
    assert not is_from_relais("whsec_readme", body.replace(b"x", b"y"), header)
    assert not is_from_relais("whsec_other", body, header)
    assert not is_from_relais("whsec_readme", body, sign("whsec_readme", body, int(time.time()) - 3600))
