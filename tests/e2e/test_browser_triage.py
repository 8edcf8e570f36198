"""A supervisor in a real browser (headless Chromium): log in with the keyboard, find the urgent report first, open it;
find a report by the reference typed in the header's box."""
from __future__ import annotations

from datetime import timedelta

import pytest

from casecore.base import utcnow
from casecore.deadlines.timelines import Timelines, schedule
from casecore.reports.models import Report
from tests.e2e.support import add_supervisor, log_in, serving_app
from tests.factories import make_report

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server(runtime):
    """The Flask app behind a real HTTP server on 127.0.0.1, with a supervisor and three reports."""
    with runtime.unit_of_work() as session:
        add_supervisor(session)
        older_urgent = make_report(session, danger_now=True, location_code="ML090102")
        newest = make_report(session, reporter_phone="+22376701430")
        oldest = make_report(session)
        now = utcnow()
        for submitted, age in ((older_urgent, 2), (newest, 0), (oldest, 5)):
            received = session.get(Report, submitted.id).received_at = now - timedelta(minutes=age)
            # Assigned within the hour when urgent, three hours otherwise: the queue's order.
            schedule(session, "assignment", Timelines().assignment_due(received, submitted.urgent),
                     report_id=submitted.id)
    with serving_app() as base:
        yield base, (older_urgent, newest, oldest)


def test_a_supervisor_logs_in_and_opens_the_urgent_report_first(browser, live_server):
    base, (urgent, newest, oldest) = live_server
    page = browser.new_page()
    page.goto(f"{base}/triage")
    assert "/login" in page.url

    log_in(page, base)

    references = page.locator("a.ref").all_inner_texts()
    assert references == [urgent.reference, oldest.reference, newest.reference]  # by the date to assign them
    assert "+223******30" in page.content() and "+22376701430" not in page.content()

    page.get_by_role("link", name=urgent.reference).click()
    page.wait_for_url(f"{base}/reports/{urgent.id}")
    assert urgent.reference in page.locator("h1").inner_text()
    assert "Commune II" in page.content()


def test_a_supervisor_types_a_reference_in_the_header_box_and_lands_on_the_report(browser, live_server):
    base, (_urgent, newest, _oldest) = live_server
    page = browser.new_page()
    page.goto(f"{base}/login")
    log_in(page, base)

    box = page.get_by_label("Trouver un signalement, un dossier ou une plainte par sa référence")
    # As read out on the phone: in small letters, in two groups.
    box.fill(f"{newest.reference[:3].lower()} {newest.reference[3:].lower()}")
    box.press("Enter")
    page.wait_for_url(f"{base}/reports/{newest.id}")
    assert newest.reference in page.locator("h1").inner_text()

    # A reference with a wrong last character: told so, on the search page, with the text kept to correct.
    wrong = newest.reference[:-1] + ("2" if newest.reference[-1] != "2" else "3")
    box = page.get_by_label("Trouver un signalement, un dossier ou une plainte par sa référence")
    box.fill(wrong)
    box.press("Enter")
    page.wait_for_url(f"{base}/find?ref={wrong}")
    assert "l'un de ses caractères est faux" in page.get_by_role("alert").inner_text()
    assert page.locator("main input[name=ref]").input_value() == wrong
