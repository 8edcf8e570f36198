"""Indicators kept fresh by a worker: the scheduler enqueues one count per organisation per interval, the job keeps
this and last month and quarter in Redis, and the page reads them rather than counting; the page's set is the
crossed set without its crossed tables."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bootstrap import bootstrap
from casecore.indicators.collect import indicators
from casecore.indicators.kept import compute_sets, kept_key, read_kept, usual_periods
from casecore.periods import calendar_period
from tests.conftest import make_settings
from tests.factories import make_case, make_locations, make_organisation, make_report, make_user
from tests.queues import queued_job_ids
from workers.indicators import refresh_for
from workers.scheduler import run_once

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)


def test_the_usual_periods_are_this_and_last_month_and_quarter():
    names = [(p.first.isoformat(), p.last.isoformat()) for p in usual_periods(date(2026, 1, 15), timezone.utc)]
    assert names == [("2026-01-01", "2026-01-31"), ("2025-12-01", "2025-12-31"), ("2026-01-01", "2026-03-31"),
                     ("2025-10-01", "2025-12-31")]
    assert {p.zone for p in usual_periods(date(2026, 1, 15), ZoneInfo("Africa/Nairobi"))} == {
        ZoneInfo("Africa/Nairobi")}


def test_the_pages_set_is_the_crossed_set_without_its_crossed_tables(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_locations(session)
        for sex, place in (("female", "ML090101"), ("female", "ML0901"), ("male", "ML020101")) * 3:
            make_case(session, make_report(session, organisation_slug=org.slug, child_sex=sex, location_code=place))
        org_id = org.id
    period = calendar_period(NOW.strftime("%Y-%m"))
    with any_db_runtime.unit_of_work(read_only=True) as session:
        sets = compute_sets(session, org_id, period, min_cell=5, caseload_limit=25, now=NOW)
        direct = indicators(session, org_id, period, min_cell=5, now=NOW, crossed=False)
    assert sets["page"].values == direct and len(sets["crossed"].values) > len(direct)


@pytest.fixture
def refreshing(database_url, redis_url):
    rt = bootstrap(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, INDICATORS_REFRESH_MINUTES=5))
    yield rt
    rt.close()


def test_the_scheduler_counts_each_organisation_once_an_interval_and_the_job_keeps_them(refreshing):
    with refreshing.unit_of_work() as session:
        viewed, unviewed = make_organisation(session), make_organisation(session)
        make_user(session, viewed, role="supervisor")
        make_user(session, unviewed, role="caseworker")  # no one there reads indicators
        make_report(session, organisation_slug=viewed.slug)
        org_id = viewed.id
    assert run_once(refreshing) == 1
    assert queued_job_ids(refreshing.queue) == [f"indicators-{org_id}"]
    assert run_once(refreshing) == 0  # not again within INDICATORS_REFRESH_MINUTES, however often it sweeps
    assert refresh_for(refreshing, org_id, now=NOW) == 4
    for period in usual_periods(NOW.date(), refreshing.zone):
        for kind in ("crossed", "page", "trend"):
            kept = read_kept(refreshing.redis, kept_key(org_id, period, 5, kind))
            assert kept is not None and kept.computed_at == NOW
    # Nothing kept for another period: it is counted when asked for.
    assert read_kept(refreshing.redis, kept_key(org_id, calendar_period("2026-06", refreshing.zone), 5, "page")) is None
