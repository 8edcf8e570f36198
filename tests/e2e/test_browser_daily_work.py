"""The web view on a phone (360 px) and a laptop (1366 px), in a real browser, as each role uses it: no page scrolls
sideways or clips a control, the menu folds on the phone, a failed decision shows its error where the eye is, and a
note typed when the session expired is still there after logging in again. Screenshots of every page at both widths
go to screenshots/ (README, "Screenshots"), for a reviewer to look at."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casecore.accounts.sessions import end_user_sessions
from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.deadlines.timelines import Timelines, schedule
from casecore.demo import DEMO_ACCOUNTS, load_demo
from casecore.directory.models import Service
from casecore.people.models import Organisation, User
from casecore.reports.models import Report
from tests.e2e.support import log_in, log_out, serving_app
from tests.factories import make_report

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PHONE, LAPTOP = {"width": 360, "height": 740}, {"width": 1366, "height": 768}
LOGINS = {login.role: login for login, _ in reversed(DEMO_ACCOUNTS)}  # the first of each role
LANDING = {"supervisor": "/triage", "caseworker": "/cases", "admin": "/admin/users", "focal_point": "/complaints"}

# What overflows: the page itself, or a visible control sticking out of the window (one inside a box that scrolls
# on its own, such as a wide table, is reachable and does not count).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrollsOnItsOwn = (element) => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      const x = getComputedStyle(box).overflowX;
      if (x === "auto" || x === "scroll") return true;
    }
    return false;
  };
  // The skip link waits off-screen until it has the focus.
  const clipped = [...document.querySelectorAll("a:not(.skip), button, input, select, textarea, label, summary")]
    .filter((element) => {
      const box = element.getBoundingClientRect();
      if (!box.width || !box.height || getComputedStyle(element).visibility === "hidden") return false;
      return (box.left < -1 || box.right > width + 1) && !scrollsOnItsOwn(element);
    })
    .map((element) => element.outerHTML.slice(0, 160));
  return {scrollWidth: document.documentElement.scrollWidth, width, clipped};
}"""


@pytest.fixture
def demo_world(runtime):
    """The demo organisation (its accounts, team, case, places) with 60 new reports, some late, and a service."""
    with runtime.unit_of_work() as session:
        load_demo(session, "ML")
        org = session.query(Organisation).filter_by(slug="demo").one()
        session.add(Service(organisation_id=org.id, provider_name="Centre d'écoute Sourire de Bamako",
                            service_type="psychosocial"))
        now = utcnow()
        reports = []
        for n in range(60):
            submitted = make_report(session, organisation_slug="demo", danger_now=n % 7 == 0,
                                    location_code="ML090101", description="Un enfant seul au marché " * (n % 3))
            received = session.get(Report, submitted.id).received_at = now - timedelta(hours=n)
            schedule(session, "assignment", Timelines().assignment_due(received, submitted.urgent),
                     report_id=submitted.id)
            reports.append(submitted)
        case_id = session.query(Case.id).filter(Case.organisation_id == org.id).scalar()
    with serving_app() as base:
        yield base, reports, case_id


def _pages(role: str, reports, case_id) -> list[str]:
    return {
        "supervisor": ["/triage", f"/reports/{reports[0].id}", "/cases", f"/cases/{case_id}", "/audit",
                       f"/cases/{case_id}/referrals", "/approvals", "/supervision", "/transfers", "/services",
                       "/access", "/indicators", "/complaints/new", "/committee"],
        "caseworker": ["/cases", f"/cases/{case_id}", "/supervision", "/complaints/new"],
        "admin": ["/admin/users", "/admin/teams", "/messages", "/admin/locations"],
        "focal_point": ["/complaints", "/figures", "/feedback"],
    }[role]


def _overflow(page) -> dict:
    return page.evaluate(OVERFLOW)


def _logged_in(browser, base: str, role: str = "supervisor", size: dict = LAPTOP):
    """A new tab of this size, logged in as the demo account of role, on its landing page."""
    page = browser.new_page()
    page.set_viewport_size(size)
    page.goto(f"{base}/login")
    log_in(page, base, LOGINS[role].email, LOGINS[role].password, lands_on=LANDING[role])
    return page


@pytest.mark.parametrize("role", ["supervisor", "caseworker", "admin", "focal_point"])
def test_every_main_page_fits_a_phone_and_a_laptop(browser, demo_world, role):
    base, reports, case_id = demo_world
    SCREENSHOTS.mkdir(exist_ok=True)
    page = _logged_in(browser, base, role, PHONE)
    problems = {}
    for path in _pages(role, reports, case_id):
        for name, size in (("360", PHONE), ("1366", LAPTOP)):
            page.set_viewport_size(size)
            response = page.goto(f"{base}{path}")
            assert response.status == 200, path
            found = _overflow(page)
            if found["scrollWidth"] > found["width"] or found["clipped"]:
                problems[f"{path} at {name} px"] = found
            slug = re.sub(r"[^a-z0-9]+", "-", path.replace(str(case_id), "case").replace(str(reports[0].id), "report"))
            page.screenshot(path=str(SCREENSHOTS / f"{role}{slug.rstrip('-')}-{name}.png"), full_page=True)
    assert problems == {}


def test_on_a_phone_the_menu_folds_and_log_out_stays_in_view(browser, demo_world):
    base, _, _ = demo_world
    page = _logged_in(browser, base, size=PHONE)
    cases_link = page.locator("#main-menu").get_by_role("link", name=re.compile("^Dossiers"))
    assert not cases_link.is_visible()
    logout = page.get_by_role("button", name="Se déconnecter")
    assert logout.is_visible() and logout.bounding_box()["x"] + logout.bounding_box()["width"] <= PHONE["width"]
    # The first screen is for work: the folded header takes little of it.
    assert page.locator("header.top").bounding_box()["height"] < 120
    page.get_by_text("Menu", exact=True).click()
    assert cases_link.is_visible()
    cases_link.click()
    page.wait_for_url(f"{base}/cases")
    page.set_viewport_size(LAPTOP)
    assert page.locator("#main-menu").get_by_role("link", name=re.compile("^Dossiers")).is_visible()


def test_a_failed_decision_shows_its_error_in_view_with_the_focus(browser, demo_world):
    base, reports, _ = demo_world
    page = _logged_in(browser, base, size=PHONE)
    page.goto(f"{base}/reports/{reports[1].id}")
    section = page.locator("#decide-not_eligible")
    section.locator("select[name=reason]").select_option("other")
    with page.expect_navigation():
        section.get_by_role("button", name="Clore comme non éligible").click()
    error = page.locator("#error-not_eligible")
    assert "Expliquez pourquoi dans la note" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-not_eligible"
    box = error.bounding_box()
    assert 0 <= box["y"] < PHONE["height"]  # scrolled to, not far below the top of the page
    # Corrected, it asks to confirm, and only then closes the report.
    section = page.locator("#decide-not_eligible")
    section.get_by_label(re.compile("^Note")).fill("Signalé deux fois par le même voisin")
    with page.expect_navigation():
        section.get_by_role("button", name="Clore comme non éligible").click()
    assert "Clore ce signalement comme non éligible ?" in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Clore comme non éligible").click()
    assert "Le signalement est clos comme non éligible." in page.locator("[role=status]").first.inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Signalement suivant").first.click()
    assert "/reports/" in page.url and str(reports[1].id) not in page.url


def test_choosing_the_family_s_requests_reorders_the_case_workers_without_a_reload(browser, demo_world):
    base, reports, _ = demo_world
    page = _logged_in(browser, base)
    page.goto(f"{base}/reports/{reports[2].id}")
    page.evaluate("window.sameDocument = true")
    # The table the page came with may say 'Parle' already: mark its rows, and wait for rows without the mark.
    page.evaluate("document.querySelectorAll('#workers tr').forEach(row => row.dataset.before = '1')")
    page.get_by_label("Langue de la famille").select_option("en")
    # A function, not an expression: Playwright polls an expression with eval, which the page's CSP refuses.
    page.wait_for_function("() => !document.querySelector('#workers tr[data-before]')"
                           " && document.querySelector('#workers').textContent.includes('Parle')")
    assert page.evaluate("window.sameDocument") is True  # no reload
    assert page.locator("form[action*='/accept'] input[name=family_language]").input_value() == "en"


@pytest.mark.parametrize("how", ["ended_on_the_server", "cookie_gone_when_idle"])
def test_a_note_typed_when_the_session_expired_survives_the_login(browser, demo_world, runtime, how):
    base, reports, _ = demo_world
    supervisor = LOGINS["supervisor"]
    page = _logged_in(browser, base)
    page.goto(f"{base}/reports/{reports[3].id}")
    section = page.locator("#decide-duplicate")
    note = "Le voisin a rappelé : c'est le même enfant que la semaine dernière, vu près du puits."
    section.get_by_label(re.compile("^Note")).fill(note)
    section.get_by_label("Référence du signalement original").fill(reports[4].reference)
    if how == "ended_on_the_server":  # an administrator ended it, or it lived its longest
        with runtime.unit_of_work() as session:
            user_id = session.scalar(select(User.id).where(User.email == supervisor.email))
            assert end_user_sessions(session, user_id, "ended_by_admin") == 1
    else:  # idle too long: the browser drops the session's cookie, and the form's CSRF token with it
        browser.clear_cookies()
    section.get_by_role("button", name="Marquer comme doublon").click()
    page.wait_for_url(re.compile(r"/login"))
    log_in(page, base, supervisor.email, supervisor.password, lands_on=f"/reports/{reports[3].id}")
    restored = page.locator("#decide-duplicate").get_by_label(re.compile("^Note"))
    assert restored.input_value() == note
    assert "Le texte que vous aviez saisi a été remis" in page.locator(".restored").inner_text()
    # Logging out forgets it: nothing typed stays in the browser.
    log_out(page, base)
    assert page.evaluate("window.sessionStorage.length") == 0


def test_a_queue_of_over_200_reports_is_paged_the_most_overdue_first(browser, demo_world, runtime):
    base, reports, _ = demo_world
    with runtime.unit_of_work() as session:
        now = utcnow()
        for n in range(150):  # 210 new reports in all, received over the last ten days
            submitted = make_report(session, organisation_slug="demo", location_code="ML090101")
            received = session.get(Report, submitted.id).received_at = now - timedelta(hours=60 + n)
            schedule(session, "assignment", Timelines().assignment_due(received, submitted.urgent),
                     report_id=submitted.id)
        expected = session.scalar(select(func.count()).select_from(Report).where(Report.status == "new"))
    assert expected >= 210
    page = _logged_in(browser, base, size=PHONE)
    assert f"Nouveaux : {expected}" in page.locator("main").inner_text()
    seen, overdue_flags = [], []
    while True:
        seen += page.locator("table.queue a.ref").all_inner_texts()
        overdue_flags += [row.locator(".badge", has_text="En retard").count() > 0
                          for row in page.locator("table.queue tbody tr").all()]
        following = page.get_by_role("link", name="Page suivante")
        if not following.count():
            break
        with page.expect_navigation():
            following.first.click()
    assert len(seen) == len(set(seen)) == expected  # every report once, none lost between pages
    # The overdue reports come first, all of them before any that still has time.
    assert overdue_flags == sorted(overdue_flags, reverse=True) and overdue_flags[0]
