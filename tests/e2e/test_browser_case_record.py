"""A separated child's case record through the CPIMS+ standard forms, in a real browser (headless Chromium), in
French: a mother's community tracing request; the case worker registers the child (names shown on request), writes
the assessment, a plan with goals, a case conference, a best-interest determination, traces the family (the
request matched, the family link verified, the mother told there is news), dates the reunification; the page at its
fullest fits 360 px; the case worker asks for closure with its criteria; the supervisor signs the determination
off, takes the child's and an adult's feedback first, then approves the closure. Only the pages are used to act;
the database is read to check what left."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bootstrap import bootstrap
from casecore.accounts.teams import create_team
from casecore.cases.models import Case
from casecore.cases.record_models import ChildRegistration
from casecore.messaging.models import OutboundMessage
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.e2e.support import SUPERVISOR_PASSWORD, add_supervisor, log_in, log_out, serving_app, unfold
from tests.factories import make_case, make_report, make_user

pytestmark = pytest.mark.e2e

WORKER = "fatou@example.org"
MOTHER = "+22376001234"
CHILD = "Mariam"


@pytest.fixture
def record(sqlite_url, redis_url):
    """A team's supervisor and case worker, a separated girl's case assigned to the worker, and a mother's tracing
    request naming her daughter."""
    runtime = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="console"))
    with runtime.unit_of_work() as session:
        org, supervisor = add_supervisor(session)
        create_team(session, organisation_id=org.id, name="Équipe Bamako", supervisor_id=supervisor.id)
        worker = make_user(session, org, email=WORKER, password=SUPERVISOR_PASSWORD, role="caseworker",
                           phone="+22376000021", team_name="Équipe Bamako")
        case = make_case(session, make_report(session, organisation_slug=org.slug, concern="separated",
                                              child_sex="female", child_age_band="6_11", location_code="ML090101"),
                         assigned_to_id=worker.id)
        case.team_id = worker.team_id
        tracing = make_report(session, organisation_slug=org.slug, kind="tracing", child_sex="female",
                              child_age_band="6_11", location_code="ML090102", reporter_phone=MOTHER,
                              description=f"Ma fille {CHILD} a disparu au marché de Medina Koura",
                              may_contact=True, consent_to_share=True)
        ids = {"case": case.id, "reference": case.reference, "tracing": tracing.reference}
    with serving_app() as base:
        yield runtime, base, ids
    runtime.close()


def test_a_separated_child_from_a_tracing_request_to_closure_with_feedback_first(record, browser):
    runtime, base, ids = record
    page = browser.new_page()
    case_url = f"{base}/cases/{ids['case']}"
    page.goto(f"{base}/login")
    log_in(page, base, email=WORKER, lands_on="/cases")
    page.goto(case_url)

    # Registration: the names only after asking for them (audited).
    assert CHILD not in page.content()
    page.get_by_role("link", name="Afficher les noms et modifier l'enregistrement").click()
    form = page.locator("form.registration").first
    form.get_by_label("Prénom", exact=True).fill(CHILD)
    form.get_by_label("Nom de famille").fill("Coulibaly")
    form.get_by_label("Âge en années, si la date n'est pas connue").fill("9")
    form.get_by_label("Non accompagné ou séparé").select_option("separated")
    form.get_by_label("Commune").select_option("ML090101")
    form.get_by_label("Lien avec l'enfant").first.select_option("aunt")
    form.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"{case_url}#registration")
    assert CHILD not in page.locator("#registration").inner_text()
    assert "évaluation de l'intérêt supérieur est nécessaire" in page.locator("#best-interests").inner_text()

    # Assessment by domain.
    unfold(page, "assessment")
    page.locator("#assessment .fold details > summary").click()
    page.locator("#assessment").get_by_label("Besoins").first.fill("Mise à l'abri, retrouver sa famille")
    page.locator("#assessment").get_by_label("Ce que dit l'enfant").first.fill("Elle veut revoir sa mère")
    page.get_by_role("button", name="Enregistrer l'évaluation").click()
    page.wait_for_url(f"{case_url}#assessment")
    assert "Elle veut revoir sa mère" in page.locator("#assessment").inner_text()

    # The plan: a goal and an action.
    unfold(page, "plan")
    page.locator("#plan summary", has_text="Ajouter un objectif").click()
    page.get_by_label("L'objectif : précis, mesurable, avec un délai (SMART)").fill(
        "Réunifier l'enfant avec sa famille d'ici un mois")
    page.get_by_role("button", name="Ajouter l'objectif").click()
    page.wait_for_url(f"{case_url}#plan")
    page.locator("#plan summary", has_text="Ajouter une action").click()
    page.locator("#plan").get_by_label("Ce qui est à faire").first.fill("Recherche familiale au marché")
    page.get_by_role("button", name="Ajouter l'action").click()
    page.wait_for_url(f"{case_url}#plan")
    assert "Recherche familiale au marché" in page.locator("#plan").inner_text()

    # A case conference.
    unfold(page, "conferences")
    page.locator("#conferences .fold details > summary").click()
    conference = page.locator("#conferences form")
    conference.get_by_label("Tenue le").fill("2026-12-01")
    conference.get_by_label("Personnel qui a participé").fill("Superviseure, travailleuse sociale")
    conference.get_by_label("L'enfant a participé").check()
    conference.get_by_label("Décisions").fill("Poursuivre la recherche, accueil provisoire chez la tante")
    conference.get_by_role("button", name="Enregistrer la réunion").click()
    page.wait_for_url(f"{case_url}#conferences")
    assert "Réunion de synthèse du 2026-12-01" in page.locator("#conferences").inner_text()

    # Best interests: the assessment, then the panel's determination.
    section = page.locator("#best-interests")
    section.locator("summary", has_text="Enregistrer une évaluation").click()
    bia = section.locator("form", has_text="Enregistrer l'évaluation")
    bia.get_by_label("Faite le").fill("2026-12-02")
    bia.get_by_label("Constats").fill("Accueillie par une tante, mère recherchée")
    bia.get_by_label("Ce que dit l'enfant").fill("Elle veut rentrer chez sa mère")
    bia.get_by_label("Recommandation").fill("Réunification si le lien est vérifié")
    bia.get_by_role("button", name="Enregistrer l'évaluation").click()
    page.wait_for_url(f"{case_url}#best-interests")
    section.locator("summary", has_text="Enregistrer une détermination").click()
    bid = section.locator("form", has_text="Enregistrer la détermination")
    bid.get_by_label("Tenue le").fill("2026-12-03")
    for n, member in enumerate(("A. Diarra, superviseure", "M. Koné, travailleur social", "Dr Sanogo, santé")):
        bid.get_by_label(f"Membre {n + 1}").fill(member)
    bid.get_by_label("Éléments examinés").fill("Rapport de recherche, entretien avec l'enfant")
    bid.get_by_label("Ce que dit l'enfant").fill("D'accord pour rentrer")
    bid.get_by_label("Décision", exact=True).fill("Réunification avec la mère")
    bid.get_by_label("Motifs").fill("Lien vérifié, la mère peut s'occuper d'elle")
    bid.get_by_role("button", name="Enregistrer la détermination").click()
    page.wait_for_url(f"{case_url}#best-interests")
    assert "en attente de validation" in page.locator("#best-interests").inner_text()

    # Tracing: the mother's request proposed, confirmed, the link verified (she is told), the reunification.
    page.get_by_role("button", name="Chercher les demandes de recherche qui concernent cet enfant").click()
    page.wait_for_url(f"{case_url}#tracing")
    assert ids["tracing"] in page.locator("#tracing").inner_text()
    page.get_by_role("button", name="C'est cet enfant").click()
    page.wait_for_url(f"{case_url}#tracing")
    page.get_by_label("Lien familial vérifié le").fill("2026-12-04")
    page.get_by_label("Comment (documents, questions, l'enfant qui les reconnaît...)").fill(
        "La mère décrit la cicatrice, l'enfant la reconnaît")
    page.get_by_role("button", name="Enregistrer la vérification").click()
    page.wait_for_url(f"{case_url}#tracing")
    page.get_by_label("Réunifié le").fill("2026-12-05")
    page.get_by_role("button", name="Enregistrer la réunification").click()
    page.wait_for_url(f"{case_url}#tracing")
    assert "Réunifié le 2026-12-05" in page.locator("#tracing").inner_text()

    # The case page at its fullest, every form open, fits a 360 px phone: nothing pushes it sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(case_url)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(e => `${e.tagName} ${e.id || e.getAttribute('name') || ''}`)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 and wide == [], wide
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(case_url)
    # Closure, with its criteria (the approvals are folded before the follow-up step).
    unfold(page, "approvals")
    page.locator("summary", has_text="Demander la clôture").click()
    page.get_by_label("Motif de clôture").select_option("goals_met_safe")
    page.get_by_label("Les objectifs du plan sont atteints").check()
    page.get_by_label("L'enfant est en sécurité, sans autre risque connu").check()
    page.get_by_role("button", name="Demander au superviseur d'approuver la clôture").click()
    page.wait_for_url(f"{case_url}#approvals")
    log_out(page, base)

    # The supervisor signs the determination off, takes the feedback, then approves.
    log_in(page, base)
    page.goto(case_url)
    page.get_by_role("button", name="Valider la détermination").click()
    page.wait_for_url(f"{case_url}#best-interests")
    child_form = page.locator("#approvals form", has_text="L'avis de l'enfant (6.B)")
    child_form.get_by_label("Degré de satisfaction (1 pas du tout, 5 très)").select_option("5")
    child_form.get_by_label("Ce qui a aidé").fill("Revoir ma maman")
    child_form.get_by_role("button", name="Enregistrer cet avis").click()
    page.wait_for_url(f"{case_url}#approvals")
    adult_form = page.locator("#approvals form", has_text="L'avis d'un adulte (6.C)")
    adult_form.get_by_label("Rencontré en personne").select_option("no")
    adult_form.get_by_role("button", name="Enregistrer cet avis").click()
    page.wait_for_url(f"{case_url}#approvals")
    page.locator("#approvals article", has_text="En attente du superviseur").get_by_role(
        "button", name="Approuver").click()
    page.locator("form.confirm").get_by_role("button", name="Approuver").click()  # it asks first
    page.wait_for_url(f"{case_url}#approvals")
    assert "Clôturé" in page.locator("h1").inner_text()

    with runtime.unit_of_work() as session:
        assert session.get(Case, ids["case"]).status == "closed"
        assert session.scalar(select(ChildRegistration.name_first)) == CHILD
        to_mother = [m.body for m in session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == MOTHER)
                                                     .order_by(OutboundMessage.created_at))]
        every_body = list(session.scalars(select(OutboundMessage.body)))
        tracing_reference = session.scalar(select(Report.reference).where(Report.kind == "tracing"))
    # The mother got the news with her request's reference only, then (linked to the case, and not met by the
    # supervisor) the closure survey; no child's name in any SMS.
    assert len(to_mother) == 2 and tracing_reference in to_mother[0] and "AVIS" in to_mother[1]
    assert all(CHILD not in body for body in every_body)
