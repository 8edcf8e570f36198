"""A deployment in Nairobi (TIME_ZONE=Africa/Nairobi): the indicators' months are its own days, and the page says
in which time they are counted."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from app import create_app
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_report


@pytest.fixture
def app(sqlite_url, redis_url):
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, TIME_ZONE="Africa/Nairobi"))
    yield flask_app
    flask_app.extensions["relais"].close()


def _received(rows):
    [row] = [r for r in rows if r["indicator"] == "reports_received" and not r["channel"] and not r["sex"]
             and not r["concern"] and not r["age_band"] and not r["region"] and not r["cercle"]
             and not r["source"] and not r["kind"]]
    return row["value"]


def test_half_past_midnight_in_nairobi_on_the_first_counts_in_that_month(client, staff, login, uow):
    with uow() as session:
        for _ in range(5):
            make_report(session, organisation_slug=staff["org_slug"])
        # 21:30 UTC on 30 November: 00:30 on 1 December in Nairobi.
        session.execute(update(Report).values(received_at=datetime(2026, 11, 30, 21, 30, tzinfo=timezone.utc)))
    login(staff["supervisor"])
    for month, expected in (("2026-11", "0"), ("2026-12", "5")):
        text = client.get(f"/indicators.csv?period={month}").get_data(as_text=True)
        assert _received(list(csv.DictReader(io.StringIO(text)))) == expected
    page = client.get("/indicators?period=2026-12").get_data(as_text=True)
    assert "Du 2026-12-01 au 2026-12-31 (jours à l&#39;heure de Africa/Nairobi, inclus)" in page
