"""The indicators page reads the figures a worker kept for the month, with the time they were computed, instead of
counting; a period no worker keeps is counted when asked for."""
from __future__ import annotations

from datetime import timedelta

from casecore.base import utcnow
from tests.factories import make_report
from workers.indicators import refresh_for


def test_the_page_shows_the_kept_figures_and_when_they_were_computed(app, client, staff, login, uow):
    with uow() as session:
        for _ in range(6):
            make_report(session, organisation_slug=staff["org_slug"])
    now = utcnow()
    # Three minutes ago, but in this month (the page's period is the calendar month).
    computed = max(now - timedelta(minutes=3), now.replace(day=1, hour=0, minute=0)).replace(second=0, microsecond=0)
    refresh_for(app.extensions["relais"], staff["org_id"], now=computed)
    with uow() as session:
        make_report(session, organisation_slug=staff["org_slug"])  # after the count: not in the kept figures
    login(staff["supervisor"])
    html = client.get("/indicators").get_data(as_text=True)
    assert computed.strftime("%Y-%m-%d %H:%M") in html
    assert '<span class="tile-value">6</span>' in html
    # A period of a few days is nobody's usual one: counted now, with the seventh report.
    today = utcnow().date()
    fresh = client.get(f"/indicators?from={today.replace(day=1)}&to={today}").get_data(as_text=True)
    assert '<span class="tile-value">7</span>' in fresh and computed.strftime("%Y-%m-%d %H:%M") not in fresh
