"""A supervisor registers a child from the case page on a 360 px phone screen: the names appear only after "show",
the form fits the screen, and once saved the page shows the registration with the names hidden again."""
from __future__ import annotations

import pytest

from bootstrap import bootstrap
from casecore.people.models import Team
from tests.conftest import make_settings
from tests.e2e.support import add_supervisor, log_in, serving_app
from tests.factories import make_case, make_report

pytestmark = pytest.mark.e2e


@pytest.fixture
def case_path(sqlite_url, redis_url):
    runtime = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="console"))
    with runtime.unit_of_work() as session:
        org, supervisor = add_supervisor(session)
        team = Team(organisation_id=org.id, name="Nord", supervisor_id=supervisor.id)
        session.add(team)
        session.flush()
        case = make_case(session, make_report(session, organisation_slug=org.slug, concern="separated",
                                              child_sex="female"))
        case.team_id = team.id
        path = f"/cases/{case.id}"
    with serving_app() as base:
        yield base, path
    runtime.close()


def test_a_supervisor_registers_a_child_on_a_phone(case_path, browser):
    base, path = case_path
    page = browser.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/login")
    log_in(page, base)
    page.goto(f"{base}{path}")
    page.get_by_role("link", name="Afficher les noms et modifier l'enregistrement").click()
    form = page.locator("form.registration")
    form.get_by_label("Prénom", exact=True).fill("Mariam")
    form.get_by_label("Nom de famille").fill("Coulibaly")
    form.get_by_label("Âge en années, si la date n'est pas connue").fill("11")
    form.get_by_label("L'âge est estimé").check()
    form.get_by_label("Bambara").check()
    form.get_by_label("Marcher ou monter des marches").select_option("a_lot_of_difficulty")
    form.get_by_label("Non accompagné ou séparé").select_option("separated")
    form.get_by_label("Lien avec l'enfant").first.select_option("grandmother")
    width = page.evaluate("document.getElementById('registration').scrollWidth")
    assert width <= 360, f"the registration section is {width} px wide"
    form.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"{base}{path}#registration")
    section = page.locator("#registration").inner_text()
    assert "Mariam" not in section and "Masqué" in section
    assert "11 ans (estimé)" in section and "Difficulté fonctionnelle" in section and "Grand-mère" in section
