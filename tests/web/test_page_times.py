"""Times on pages are on the deployment's clocks (TIME_ZONE), named once at the foot of the page, never "UTC" on a
line; the <time> element keeps the exact moment for a machine."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app import create_app
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_report

NIGHT = datetime(2026, 11, 30, 21, 30, tzinfo=timezone.utc)  # 00:30 on 1 December in Nairobi


@pytest.fixture
def app(sqlite_url, redis_url):
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, TIME_ZONE="Africa/Nairobi"))
    yield flask_app
    flask_app.extensions["relais"].close()


def test_a_report_received_at_night_shows_the_time_in_nairobi(client, staff, login, uow):
    with uow() as session:
        report = make_report(session, organisation_slug=staff["org_slug"])
        session.get(Report, report.id).received_at = NIGHT
        report_id = report.id
    login(staff["supervisor"])
    for path in ("/triage", f"/reports/{report_id}"):
        html = client.get(path).get_data(as_text=True)
        assert '<time datetime="2026-11-30T21:30:00+00:00">2026-12-01 00:30</time>' in html
        assert "UTC" not in html
        assert "Toutes les heures sont dans le fuseau horaire Africa/Nairobi." in html


def test_the_filter_reads_a_stored_time_on_the_zones_clocks(app):
    with app.app_context():
        local_time = app.jinja_env.filters["local_time"]
        assert local_time(NIGHT) == "2026-12-01 00:30"
        assert local_time(NIGHT.replace(tzinfo=None)) == "2026-12-01 00:30"  # a naive time is a stored UTC one
        assert local_time(NIGHT, "%H:%M") == "00:30"
        assert local_time(None) == ""


def test_the_login_page_names_no_zone(client):
    assert "fuseau horaire" not in client.get("/login").get_data(as_text=True)
