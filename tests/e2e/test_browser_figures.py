"""The figures and feedback pages in a real browser (headless Chromium), in French: a focal point and a supervisor
choose a period of complaint figures from the form and read the counts they may read, the supervisor never a
sensitive category's row; on the feedback page each chooses a quarter, a case worker only among the ended ones and
without the comments a focal point reads; every CSV link answers a CSV file. The complaints and answers are seeded
through casecore, as they would have arrived; only the pages are used to read them.
"""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import update

from bootstrap import bootstrap
from casecore.base import utcnow
from casecore.complaints.intake import ComplaintDraft, submit_complaint
from casecore.complaints.models import Complaint
from casecore.feedback import figures as ff
from casecore.feedback.answers import FeedbackDraft, record_feedback
from casecore.feedback.models import Feedback
from casecore.periods import period_for
from tests.conftest import make_settings
from tests.e2e.support import (
    SUPERVISOR_EMAIL,
    SUPERVISOR_PASSWORD,
    log_in,
    log_out,
    serving_app,
)
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.e2e

PASSWORD = SUPERVISOR_PASSWORD
FOCAL_POINT = "plaintes@example.org"
WORKER = "fatoumata@example.org"
COMMENT = "L'accueil au centre était très bien"
SENSITIVE_LABEL = "Exploitation, abus sexuels"
_sessions = itertools.count(1)


def _complain(session, org_id, category: str, received_at) -> None:
    """A complaint made on USSD through the real service, received at received_at."""
    draft = ComplaintDraft(
        organisation_id=org_id, channel="ussd", channel_session_id=f"ATUid_figures{next(_sessions)}",
        category=category, anonymous=True, contact_phone=None, may_contact=False, description=None,
        language="fr", complainant_key=None)
    complaint_id = submit_complaint(session, draft, "ML", None).id
    session.execute(update(Complaint).where(Complaint.id == complaint_id).values(received_at=received_at)
                    .execution_options(synchronize_session=False))


@pytest.fixture
def desk(sqlite_url, redis_url):
    """The app on a real HTTP server for organisation "demo": its focal point, supervisor and a case worker; last
    month, two complaints about a service and one sexual exploitation complaint; in the last ended quarter, five
    answers about the organisation, one with a comment."""
    runtime = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="console",
                                      DEFAULT_ORGANISATION="demo"))
    last_month = period_for("last_month")
    quarter = ff.default_quarter()
    with runtime.unit_of_work() as session:
        org = make_organisation(session, slug="demo")
        make_user(session, org, email=FOCAL_POINT, password=PASSWORD, role="focal_point", phone="+22376000024")
        make_user(session, org, email=SUPERVISOR_EMAIL, password=PASSWORD, role="supervisor", phone="+22376000011")
        make_user(session, org, email=WORKER, password=PASSWORD, role="caseworker", phone="+22376000021")
        org_id = org.id
    with runtime.unit_of_work() as session:
        received = last_month.start + timedelta(days=2, hours=10)
        for category in ("service_quality", "service_quality", "sexual_exploitation_abuse"):
            _complain(session, org_id, category, received)
        for n, rating in enumerate((5, 4, 4, 3, 5)):
            record_feedback(session, FeedbackDraft(org_id, "sms", f"sms:figures-{n}", rating,
                                                   COMMENT if n == 0 else None, "fr"))
        session.execute(update(Feedback).values(received_at=quarter.since + timedelta(days=3)))
    with serving_app() as base:
        yield base, last_month, quarter
    runtime.close()


def _category_rows(page) -> dict[str, str]:
    """The figures' table by category: each row's label (without its tag) and count."""
    table = page.locator("table", has=page.locator("caption", has_text="Par catégorie"))
    rows = {}
    for row in table.locator("tbody tr").all():
        label = row.locator("th").inner_text().replace("sensible", "").strip()
        rows[label] = row.locator("td").inner_text().strip()
    return rows


def _csv_answers(page, base: str, link_name: str) -> None:
    """The page's CSV link answers 200 with a CSV file, for the person logged in."""
    href = page.get_by_role("link", name=link_name).get_attribute("href")
    response = page.request.get(f"{base}{href}")
    assert response.status == 200, response.text()
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text().splitlines()[0]  # a header row


def test_figures_and_feedback_are_read_by_period_each_as_allowed(browser, desk):
    base, last_month, quarter = desk
    page = browser.new_page()
    menu = page.get_by_role("navigation", name="Principal")

    # 1. The focal point asks for last month's complaint figures: every category, the sensitive one included.
    page.goto(f"{base}/login")
    log_in(page, base, FOCAL_POINT, PASSWORD, "/complaints")
    menu.get_by_role("link", name="Chiffres", exact=True).click()
    page.locator("select[name=period]").select_option(label="Le mois dernier")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(f"{base}/figures?period=last_month**")
    rows = _category_rows(page)
    assert rows["Mauvais service"] == "2" and rows[SENSITIVE_LABEL] == "1"
    assert f"du {last_month.first.isoformat()} au {last_month.last.isoformat()}" in page.locator("main").inner_text()
    _csv_answers(page, base, "Télécharger ces chiffres (CSV)")

    # 2. The focal point reads the comments of the quarter chosen in the selector.
    menu.get_by_role("link", name="Avis", exact=True).click()
    page.locator("select[name=quarter]").select_option(value=quarter.code)
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(f"{base}/feedback?quarter={quarter.code}")
    assert page.get_by_role("heading", name="Commentaires").is_visible()
    assert COMMENT in page.locator("#comments ~ table").inner_text()
    _csv_answers(page, base, "Télécharger ces chiffres (CSV)")
    log_out(page, base)

    # 3. The supervisor asks for the same month as a period between two dates: no row for the sensitive category.
    log_in(page, base)
    menu.get_by_role("link", name="Chiffres", exact=True).click()
    page.locator("select[name=period]").select_option(label="Entre deux dates")
    page.get_by_label("Premier jour (pour une période entre deux dates)").fill(last_month.first.isoformat())
    page.get_by_label("Dernier jour").fill(last_month.last.isoformat())
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(f"{base}/figures?period=custom**")
    rows = _category_rows(page)
    assert rows["Mauvais service"] == "2" and SENSITIVE_LABEL not in rows
    total = page.locator("table", has=page.locator("caption", has_text="Par catégorie")).locator("tfoot td")
    assert total.inner_text().strip() == "2"
    _csv_answers(page, base, "Télécharger ces chiffres (CSV)")
    log_out(page, base)

    # 4. A case worker is offered only ended quarters, and reads no comment.
    log_in(page, base, WORKER, PASSWORD, "/cases")
    menu.get_by_role("link", name="Avis", exact=True).click()
    selector = page.locator("select[name=quarter]")
    offered = selector.locator("option").all_inner_texts()
    current = ff.quarter_of(utcnow())
    assert offered and all("en cours" not in text for text in offered) and current.code not in offered
    assert quarter.code in offered
    older = offered[1]
    selector.select_option(label=older)
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(f"{base}/feedback?quarter={older}")
    assert page.get_by_role("heading", name="Commentaires").count() == 0
    assert COMMENT not in page.content()
    _csv_answers(page, base, "Télécharger ces chiffres (CSV)")
    log_out(page, base)
