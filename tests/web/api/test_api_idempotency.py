"""Idempotent intake under a race: two posts of one report with one Idempotency-Key at the same moment (a partner
retrying on a timeout while the first is still being stored) store one report, and both get its reference."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from casecore.partners.models import ApiCall, ApiToken
from casecore.reports.models import Report
from tests.concurrency import run_together
from tests.web.api.conftest import bearer

BODY = {"concern": "child_labour", "danger_now": False, "child_sex": "male", "child_age_band": "12_17",
        "description": "Travaille à la mine depuis la rentrée."}


def _post_from_its_own_client(app, headers):
    """A post as a second connection of the partner makes it: its own client, its own request."""
    answer = app.test_client().post("/api/v1/reports", json=BODY, headers=headers)
    return answer.status_code, answer.get_json()


@pytest.mark.parametrize("round_", range(3))
def test_two_posts_at_once_with_one_key_store_one_report(app, token, uow, round_):
    headers = {**bearer(token("kiosk")), "Idempotency-Key": str(uuid.uuid4())}
    answers, errors = run_together(2, lambda: _post_from_its_own_client(app, headers))
    assert errors == []
    assert [status for status, _ in answers] == [201, 201], answers
    assert answers[0][1]["reference"] == answers[1][1]["reference"]
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_second_waits_on_the_firsts_key_and_gets_its_report(app, token, uow, database_url):
    """The path PostgreSQL takes under a real race, made certain: the first post's report is inserted and its
    transaction held open, so the second's INSERT ... ON CONFLICT DO NOTHING waits on the unique key; once the
    first commits, the second must find that report and answer with it (not a 409, not a second report)."""
    kiosk = token("kiosk")
    headers = {**bearer(kiosk), "Idempotency-Key": "retry-after-timeout"}
    # A first call marks the token used: the two posts then only read its row.
    assert app.test_client().get("/api/v1/reports", headers=bearer(kiosk)).status_code == 200
    engine = create_engine(database_url)
    try:
        with engine.connect() as holder:
            # The first post's audit line needs a key share of the token's row: holding the row keeps that post
            # from committing after it inserted its report.
            holder.execute(select(ApiToken.id).where(ApiToken.name == "kiosk").with_for_update())
            answers: list = []
            posts = [threading.Thread(target=lambda: answers.append(_post_from_its_own_client(app, headers)))
                     for _ in range(2)]
            for post in posts:
                post.start()
            _wait_for_waiting(engine, 2)
            holder.rollback()
        for post in posts:
            post.join(30)
    finally:
        engine.dispose()
    assert [status for status, _ in answers] == [201, 201], answers
    assert answers[0][1]["reference"] == answers[1][1]["reference"]
    with uow() as session:
        reports = session.scalars(select(Report)).all()
        assert [report.reference for report in reports] == [answers[0][1]["reference"]]
        posted = session.scalars(select(ApiCall).where(ApiCall.method == "POST")).all()
        assert [(line.status, line.object_ids) for line in posted] == [(201, [str(reports[0].id)])] * 2


def _wait_for_waiting(engine, count: int) -> None:
    """Until count other connections wait on a lock (the first post on the token's row, the second on the first's
    report), or fail after 20 s."""
    deadline = time.monotonic() + 20
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND wait_event_type = 'Lock'"))
            if waiting == count:
                return
            watcher.rollback()
            time.sleep(0.02)
    pytest.fail(f"{count} posts never waited together (now {waiting})")
