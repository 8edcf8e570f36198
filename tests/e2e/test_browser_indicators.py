"""The indicators in a real browser (headless Chromium), in French: a supervisor lands on what waits for them,
opens the indicators from the menu, reads the month's tiles and charts, changes the period with the form, and
downloads the CSV, which holds the same numbers."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from bootstrap import bootstrap
from casecore.indicators.values import DIMENSIONS
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.e2e.support import add_supervisor, log_in, serving_app
from tests.factories import make_report

pytestmark = pytest.mark.e2e

OCTOBER = datetime(2026, 10, 14, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def office(sqlite_url, redis_url):
    """The app on a real HTTP server: a supervisor, seven urgent reports now and six received in October 2026, all
    still waiting for a decision."""
    runtime = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="console"))
    with runtime.unit_of_work() as session:
        org, _supervisor = add_supervisor(session)
        october = [make_report(session, organisation_slug=org.slug, concern="child_marriage").id for _ in range(6)]
        for _ in range(7):
            make_report(session, organisation_slug=org.slug, concern="physical_abuse", danger_now=True)
        session.execute(update(Report).where(Report.id.in_(october)).values(received_at=OCTOBER))
    with serving_app() as base:
        yield base
    runtime.close()


def test_a_supervisor_reads_what_waits_then_the_indicators_and_their_csv(browser, office):
    base = office
    page = browser.new_page()
    page.goto(f"{base}/login")
    log_in(page, base)
    waiting = page.get_by_role("region", name="Ce qui vous attend")
    text = waiting.inner_text().replace("\n", " ")
    assert "13 nouveaux signalements" in text and "7 urgents" in text  # October's are still waiting too
    page.get_by_role("link", name="Indicateurs").click()
    page.wait_for_url(f"{base}/indicators")
    tiles = page.get_by_role("region", name="Chiffres clés").inner_text()
    assert "7" in tiles and "Signalements reçus" in tiles
    assert page.locator("svg[role=img]").count() >= 5
    page.get_by_label("Mois (AAAA-MM) ou trimestre (AAAA-Q1)").fill("2026-10")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(f"{base}/indicators?period=2026-10*")
    assert "Du 2026-10-01 au 2026-10-31" in page.content()
    concern_table = page.get_by_role("figure").filter(has_text="Par préoccupation")
    assert "Mariage précoce" in concern_table.inner_text() and "6" in concern_table.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    total = [r["value"] for r in rows if r["indicator"] == "reports_received" and not any(r[d] for d in DIMENSIONS)]
    assert total == ["6"] and rows[0]["period_start"] == "2026-10-01"
