"""A supervisor in a real browser (headless Chromium): log in with the keyboard, find the urgent report first, open it."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from app import create_app
from casecore.models import Report, utcnow
from tests.factories import make_locations, make_organisation, make_report, make_user
from tests.servers import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium reaches for Google's services at start-up, which a closed network refuses.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium must be installed in CI (.ci/run installs Debian's chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    profile = tempfile.mkdtemp(prefix="relais-chromium-")
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, locale="fr-FR")
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def live_server(runtime):
    """The Flask app behind a real HTTP server on 127.0.0.1, with a supervisor and three reports."""
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_locations(session)
        make_user(session, org, email="awa@example.org", password="mot de passe sur", phone="+22376000011")
        older_urgent = make_report(session, danger_now=True, location_code="ML090102")
        newest = make_report(session, reporter_phone="+22376701430")
        oldest = make_report(session)
        now = utcnow()
        for submitted, age in ((older_urgent, 2), (newest, 0), (oldest, 5)):
            session.get(Report, submitted.id).received_at = now - timedelta(minutes=age)
    server = make_server("127.0.0.1", free_port(), create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", (older_urgent, newest, oldest)
    server.shutdown()


def test_a_supervisor_logs_in_and_opens_the_urgent_report_first(browser, live_server):
    base, (urgent, newest, oldest) = live_server
    page = browser.new_page()
    page.goto(f"{base}/triage")
    assert "/login" in page.url

    page.get_by_label("Adresse e-mail").fill("awa@example.org")
    page.get_by_label("Mot de passe").fill("mot de passe sur")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/triage")

    references = page.locator("a.ref").all_inner_texts()
    assert references == [urgent.reference, newest.reference, oldest.reference]
    assert "+223******30" in page.content() and "+22376701430" not in page.content()

    page.get_by_role("link", name=urgent.reference).click()
    page.wait_for_url(f"{base}/reports/{urgent.id}")
    assert urgent.reference in page.locator("h1").inner_text()
    assert "Commune II" in page.content()
