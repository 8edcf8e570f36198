"""The hand-off to Primero under faults, on both databases: Primero down for a while, throttling, server errors,
timeouts, a connection dropped after the request went, a worker SIGKILLed during the call, Redis lost, two workers
on one row — each report ends as exactly one Primero case, with nothing left waiting."""
from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from casecore.base import utcnow
from casecore.handoff.models import Handoff
from casecore.handoff.queue import queue_handoff
from casecore.triage.decisions import Acceptance, accept_report
from dialogs.committee_thanks import accepted_text
from tests.concurrency import run_together
from tests.factories import make_organisation, make_report, make_user
from tests.fakes.primero import PASSWORD, USERNAME, Answer
from tests.faults.conftest import fault_settings, wait_until
from tests.queues import drain
from workers.handoff import find_stale_after, send_handoff
from workers.queueing import enqueue_handoff
from workers.scheduler import run_once

WORKER_EMAIL = "awa@relais.example"


@pytest.fixture
def setup(tmp_path, primero, fake_twilio, fake_at):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"users": {WORKER_EMAIL: "cp_worker"}}))

    def make(database_url, redis_url, make_runtime, **overrides):
        settings = fault_settings(database_url, redis_url, fake_twilio, fake_at, PRIMERO_URL=primero.url,
                                  PRIMERO_USERNAME=USERNAME, PRIMERO_PASSWORD=PASSWORD, PRIMERO_HANDOFF="on_accept",
                                  PRIMERO_MAPPING=str(mapping), **overrides)
        rt = make_runtime(settings)
        with rt.unit_of_work() as session:
            org = make_organisation(session)
            supervisor = make_user(session, org, role="supervisor")
            worker = make_user(session, org, role="caseworker", email=WORKER_EMAIL)
            ids = {"org": org.id, "slug": org.slug, "supervisor": supervisor.id, "worker": worker.id}
        return rt, ids
    return make


def accept(rt, ids) -> tuple:
    """A new report accepted and its hand-off written, as the web view does; (report id, hand-off id)."""
    with rt.unit_of_work() as session:
        report = make_report(session, organisation_slug=ids["slug"])
    with rt.unit_of_work() as session:
        accepted = accept_report(session, report.id, Acceptance(risk_level="high", assigned_to_id=ids["worker"]),
                                 organisation_id=ids["org"], decided_by_id=ids["supervisor"],
                                 timelines=rt.timelines, default_region="ML", sms_backend="console",
                                 committee_thanks=accepted_text)
        handoff_id = queue_handoff(session, report.id, ids["org"], "on_accept", case_id=accepted.case_id)
    return report.id, handoff_id


def rows(rt) -> list[Handoff]:
    with rt.unit_of_work() as session:
        return list(session.scalars(select(Handoff)))


def settle(rt, rounds: int = 30) -> None:
    """Sweep and work until every hand-off is sent, each round as if its backoff had passed."""
    for _ in range(rounds):
        with rt.unit_of_work() as session:
            # The clock moved past every wait (not the rule changed: a due time is still required).
            session.execute(update(Handoff).where(Handoff.status.in_(("waiting", "unknown")))
                            .values(next_attempt_at=utcnow() - timedelta(seconds=1),
                                    created_at=utcnow() - timedelta(hours=1)))
        run_once(rt, now=utcnow())
        drain(rt.queue, runtime=rt)
        if all(row.status == "sent" for row in rows(rt)):
            return
    raise AssertionError(f"not all sent: {[(r.status, r.reason) for r in rows(rt)]}")


def one_case_per_report(primero, rt) -> None:
    references = [case.get("other_agency_id") for case in primero.cases.values()]
    assert len(references) == len(set(references)) == len(rows(rt))
    posts = [r for r in primero.requests if r["method"] == "POST"]
    # Never a second case; a repeat after a lost answer would be a 409, never a new id.
    assert len({json.loads(r["body"])["data"]["id"] for r in posts}) == len(rows(rt))


def test_primero_down_for_a_while_then_every_report_is_one_case(database_url, redis_url, setup, make_runtime,
                                                                 primero):
    rt, ids = setup(database_url, redis_url, make_runtime)
    primero.answer_always(Answer.unavailable())
    handoffs = [accept(rt, ids)[1] for _ in range(3)]
    for handoff_id in handoffs:
        enqueue_handoff(rt.queue, handoff_id)
    drain(rt.queue, runtime=rt)
    for _ in range(3):  # three more sweeps while it is still down
        settle_once = rows(rt)
        assert all(row.status == "waiting" for row in settle_once)
        with rt.unit_of_work() as session:
            session.execute(update(Handoff).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        run_once(rt, now=utcnow())
        drain(rt.queue, runtime=rt)
    assert primero.cases == {}
    primero.answer_always(Answer.success())
    settle(rt)
    one_case_per_report(primero, rt)


def test_throttling_errors_timeouts_and_dropped_connections_end_in_one_case_each(database_url, redis_url, setup,
                                                                                   make_runtime, primero):
    rt, ids = setup(database_url, redis_url, make_runtime, PROVIDER_TIMEOUT=0.5)
    primero.answer_next(Answer.throttled(), Answer.server_error(), Answer(delay=1.0), Answer.dropped(),
                        Answer.unavailable(), Answer.dropped(), Answer(delay=1.0))
    for _ in range(4):
        accept(rt, ids)
    settle(rt)
    one_case_per_report(primero, rt)


def test_redis_lost_after_the_decision_the_sweep_sends_it(database_url, own_redis, setup, make_runtime, primero):
    rt, ids = setup(database_url, own_redis.url, make_runtime)
    own_redis.stop_for_now()
    _report, handoff_id = accept(rt, ids)
    assert not enqueue_handoff(rt.queue, handoff_id)  # the decision stands; its job is lost
    own_redis.start_again()
    settle(rt)
    one_case_per_report(primero, rt)


def test_two_workers_on_one_row_make_one_case(database_url, redis_url, setup, make_runtime, primero):
    rt, ids = setup(database_url, redis_url, make_runtime)
    _report, handoff_id = accept(rt, ids)
    results, errors = run_together(3, lambda: send_handoff(rt, str(handoff_id)))
    assert errors == [] and sorted(results) == ["sent", "skipped", "skipped"]
    one_case_per_report(primero, rt)


def test_a_worker_killed_during_the_call_leaves_one_case(database_url, redis_url, setup, make_runtime, primero,
                                                         start_worker):
    rt, ids = setup(database_url, redis_url, make_runtime)
    _report, handoff_id = accept(rt, ids)
    primero.answer_next(Answer(delay=30.0))  # Primero creates the case; its answer never comes in time
    assert enqueue_handoff(rt.queue, handoff_id)
    worker = start_worker(dataclasses.replace(rt.settings, PROVIDER_TIMEOUT=60.0))
    try:
        # A worker process starts in a few seconds on a quiet machine, many more under a parallel suite.
        wait_until(lambda: primero.cases, "the worker's call reached Primero", timeout=90)
    finally:
        worker.kill()
    assert [row.status for row in rows(rt)] == ["sending"]
    run_once(rt, now=utcnow() + timedelta(seconds=30))  # too early: a slow job may still be at it
    assert [row.status for row in rows(rt)] == ["sending"]
    run_once(rt, now=utcnow() + find_stale_after(rt) + timedelta(seconds=1))
    assert [row.status for row in rows(rt)] == ["unknown"]
    settle(rt)
    one_case_per_report(primero, rt)
    assert len([r for r in primero.requests if r["method"] == "POST"]) == 1  # looked up, never posted again
