"""The whole life of a case in a real browser (headless Chromium): a supervisor and two case workers, in French.

Triage into a case, need to know, consent, steps, approvals (one returned), a message to the family and their reply
through the fake SMS provider, a follow-up visit, closure with its surveys and check, reopening, the audit trail,
reassignment; then what each role may see of a case. Only the pages are used to act; the database and the fake
provider are read to check what left the system.
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import select

from bootstrap import bootstrap
from casecore.accounts.teams import create_team
from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.deadlines.models import CaseDeadline
from casecore.messaging.models import OutboundMessage
from casecore.people.models import User
from tests.conftest import make_settings
from tests.e2e.support import (
    SUPERVISOR_EMAIL,
    SUPERVISOR_NAME,
    SUPERVISOR_PASSWORD,
    add_supervisor,
    log_in,
    log_out,
    serving_app,
    unfold,
)
from tests.factories import make_case, make_report, make_user
from tests.fakes.africastalking import FakeAfricasTalking
from tests.queues import drain

pytestmark = pytest.mark.e2e

PASSWORD = SUPERVISOR_PASSWORD  # everyone's, for short
WORKER_1 = "fatoumata@example.org"  # a woman who speaks Bambara, the family's language
WORKER_1_NAME = "Fatoumata Diarra"
WORKER_1_PHONE = "+22376000021"
WORKER_2 = "moussa@example.org"  # a man who speaks French and English, already above the caseload limit
WORKER_2_NAME = "Moussa Konaté"
WORKER_2_PHONE = "+22376000022"
ADMIN = "admin@example.org"
FOCAL_POINT = "plaintes@example.org"
OTHER_SUPERVISOR = "kadiatou@example.org"  # leads another team
FAMILY = "+22376701430"
CHILD = "Aminata"  # the child's name, in the report only: never in an SMS
WEBHOOK_TOKEN = "e2e-at-token"


@pytest.fixture
def life(sqlite_url, redis_url):
    """The app on a real HTTP server, sending SMS to a fake Africa's Talking; one organisation with a team led by the
    supervisor, two case workers, another team's supervisor, an administrator, a focal point, and a new report from a
    family's phone."""
    with FakeAfricasTalking(api_key="at-key") as provider:
        runtime = bootstrap(make_settings(
            DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking", AT_API_URL=provider.url,
            AT_USERNAME="relais", AT_API_KEY="at-key", AT_WEBHOOK_TOKEN=WEBHOOK_TOKEN, CASELOAD_LIMIT=1,
            PROVIDER_TIMEOUT=2.0))
        with runtime.unit_of_work() as session:
            org, supervisor = add_supervisor(session)
            create_team(session, organisation_id=org.id, name="Équipe Bamako", supervisor_id=supervisor.id)
            make_user(session, org, email=WORKER_1, display_name=WORKER_1_NAME, password=PASSWORD, role="caseworker",
                      phone=WORKER_1_PHONE,
                      team_name="Équipe Bamako", sex="female", spoken_languages="fr,bm")
            worker_2 = make_user(session, org, email=WORKER_2, display_name=WORKER_2_NAME, password=PASSWORD,
                                 role="caseworker",
                                 phone=WORKER_2_PHONE, team_name="Équipe Bamako", sex="male",
                                 spoken_languages="fr,en")
            make_user(session, org, email=ADMIN, password=PASSWORD, role="admin", phone="+22376000023")
            make_user(session, org, email=FOCAL_POINT, password=PASSWORD, role="focal_point", phone="+22376000024")
            other = make_user(session, org, email=OTHER_SUPERVISOR, password=PASSWORD, phone="+22376000025")
            create_team(session, organisation_id=org.id, name="Équipe Kati", supervisor_id=other.id)
            for _ in range(2):
                make_case(session, assigned_to_id=worker_2.id)
            report = make_report(session, reporter_phone=FAMILY, language="bm", location_code="ML090102",
                                 description=f"{CHILD}, 9 ans, est frappée par son oncle.")
        with serving_app() as base:
            yield base, runtime, provider, report
        runtime.close()


def test_a_supervisor_and_two_case_workers_run_the_whole_life_of_a_case(browser, life):
    base, runtime, provider, report = life
    page = browser.new_page()
    page.goto(f"{base}/login")

    # 1. The supervisor triages the report into a case for the woman who speaks the family's language.
    log_in(page, base)
    page.get_by_role("link", name=report.reference).click()
    page.wait_for_url(f"{base}/reports/{report.id}")
    assert CHILD in page.content()  # the supervisor reads the report itself
    page.get_by_label("Une travailleuse sociale est demandée").check()
    page.get_by_label("Langue de la famille").select_option(label="Bambara")
    page.get_by_role("button", name="Montrer les meilleurs choix").click()
    # The table is swapped in place, without reloading the page.
    # A function, not an expression: Playwright polls an expression with eval, which the page's CSP refuses.
    page.wait_for_function("() => document.querySelector('table.workers tbody td:last-child').textContent"
                           ".includes('Parle Bambara')")
    # Case worker, team, open cases, match: the woman who speaks Bambara first, the man above the limit of 1 next.
    # Read in one go: the box, the language and the button each fetched the table, and a later answer swapping it
    # between two reads of a cell left that cell detached (its raw text, not what the page shows).
    first, second = page.eval_on_selector_all(
        "table.workers tbody tr", "rows => rows.slice(0, 2).map(row => [...row.querySelectorAll('td')]"
                                  ".map(cell => cell.innerText))")
    assert first == [WORKER_1_NAME, "Équipe Bamako", "0", "Femme · Parle Bambara"]
    assert second == [WORKER_2_NAME, "Équipe Bamako", "2 au-delà de la limite de 1",
                      "N'est pas une femme · Ne parle pas Bambara"]
    page.get_by_label("Risque élevé").check()
    page.get_by_label(WORKER_1_NAME).check()
    page.get_by_role("button", name="Accepter et ouvrir le dossier").click()
    page.wait_for_url(f"{base}/reports/{report.id}#done")
    with runtime.unit_of_work() as session:
        case = session.scalars(select(Case).where(Case.report_id == report.id)).one()
        case_id, reference = case.id, case.reference
    assert page.get_by_role("link", name=reference).is_visible()
    log_out(page, base)

    # 2. The other case worker does not see it: not in their list, and its address answers 404.
    log_in(page, base, WORKER_2, PASSWORD, "/cases")
    assert reference not in page.locator("main").inner_text()
    assert page.goto(f"{base}/cases/{case_id}").status == 404
    log_out(page, base)

    # 3. Case worker 1: consent per purpose, the assessment, submitted for approval.
    log_in(page, base, WORKER_1, PASSWORD, "/cases")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"{base}/cases/{case_id}")
    assert "Risque élevé" in page.locator("dl.details").first.inner_text()
    for purpose in ("Services", "Partage avec les prestataires de services"):
        record_consent(page, purpose, "Donné")
    record_consent(page, "Statistiques anonymes", "Refusé")
    consents = page.locator("#consent tbody").inner_text()
    assert "Services\tDonné" in consents and "Statistiques anonymes\tRefusé" in consents
    page.get_by_role("button", name="Commencer : Évaluation").click()
    confirm(page)
    page.wait_for_url(f"{base}/cases/{case_id}#steps")
    assert page.locator("li[aria-current=step]").inner_text() == "Évaluation"
    ask_approval(page, "Évaluation", "Visite à domicile : l'enfant vit chez son oncle, pas de blessure visible.")
    log_out(page, base)

    # 4. The supervisor returns the assessment with a comment, then approves it once completed.
    decide(page, base, reference, "Renvoyer avec le commentaire", "Précisez qui d'autre vit dans la maison.")
    log_out(page, base)
    log_in(page, base, WORKER_1, PASSWORD, "/cases")
    page.goto(f"{base}/cases/{case_id}")
    assert "Précisez qui d'autre vit dans la maison." in page.locator("#approvals").inner_text()
    ask_approval(page, "Évaluation", "L'oncle, sa femme et trois cousins vivent dans la maison.")
    log_out(page, base)
    decide(page, base, reference, "Approuver")
    log_out(page, base)
    log_in(page, base, WORKER_1, PASSWORD, "/cases")
    page.goto(f"{base}/cases/{case_id}")
    assert page.locator("li[aria-current=step]").inner_text() == "Plan d'intervention"
    ask_approval(page, "Plan d'intervention", "Soutien psychosocial, médiation familiale, suivi scolaire.")
    log_out(page, base)
    decide(page, base, reference, "Approuver")
    log_out(page, base)

    # 5. Case worker 1 messages the family: out through the outbox to the fake provider, by SMS; the reply lands in
    # the case's timeline.
    log_in(page, base, WORKER_1, PASSWORD, "/cases")
    page.goto(f"{base}/cases/{case_id}")
    assert page.locator("li[aria-current=step]").inner_text() == "Mise en œuvre"
    assert "+223******30" in page.locator("#messages").inner_text() and FAMILY not in page.content()
    text = "Bonjour, je passerai mardi a 10 h. Fatoumata"
    page.get_by_label("Message à la famille").fill(text)
    page.locator("#messages").get_by_role("button", name="Envoyer").click()
    page.wait_for_url(f"{base}/cases/{case_id}#messages")
    with runtime.unit_of_work() as session:
        [queued] = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == FAMILY)).all()
        assert (queued.body, queued.channel, queued.backend) == (text, "sms", "africastalking")
    drain(runtime.queue, runtime=runtime)
    [sent] = [r["form"] for r in provider.requests if r["form"]["to"] == FAMILY]
    assert sent["message"] == text and CHILD not in sent["message"] and reference not in sent["message"]

    family_writes(base, runtime, "Merci, nous serons là mardi.", "ATXfamily1")
    family_writes(base, runtime, "1", "ATXfamily2")  # yes: pass it on to the case worker
    page.reload()
    unfold(page, "timeline")
    timeline = page.locator("ol.timeline").inner_text()
    assert "Message de la famille" in timeline and "Merci, nous serons là mardi." in timeline
    assert "Message à la famille" in timeline and text in timeline
    alerts = [r["form"]["message"] for r in provider.requests if r["form"]["to"] == WORKER_1_PHONE]
    assert alerts and all("mardi" not in alert and CHILD not in alert for alert in alerts)

    # 6. A follow-up visit, the follow-up step, closure requested with a reason from the list.
    page.get_by_role("button", name="Commencer : Suivi et révision").click()
    confirm(page)
    page.wait_for_url(f"{base}/cases/{case_id}#steps")
    follow_ups = page.locator("#follow-ups")
    follow_ups.get_by_label("Type").select_option(label="Visite")
    follow_ups.get_by_label("Notes").fill("L'enfant va à l'école, la médiation a eu lieu.")
    follow_ups.get_by_role("button", name="Enregistrer le suivi").click()
    page.wait_for_url(f"{base}/cases/{case_id}#follow-ups")
    assert "Visite" in page.locator("#follow-ups ul").inner_text()
    page.locator("summary", has_text="Demander la clôture").press("Enter")  # the keyboard opens <details>
    page.get_by_label("Motif de clôture").select_option(label="Objectifs du plan atteints, enfant en sécurité")
    page.get_by_label("Les objectifs du plan sont atteints").check()
    page.get_by_label("L'enfant est en sécurité, sans autre risque connu").check()
    page.get_by_label("Ce qui a été fait").fill("Plan réalisé ; l'enfant et sa tante ont été informées.")
    page.get_by_role("button", name="Demander au superviseur d'approuver la clôture").click()
    page.wait_for_url(f"{base}/cases/{case_id}#approvals")
    assert "Clôture demandée" in page.locator("h1").inner_text()
    log_out(page, base)

    # The supervisor takes the child's and an adult's feedback (not met: the SMS surveys ask them), then approves
    # the closure: closed, the surveys queued without details, the check in 3 months.
    decide(page, base, reference, "Approuver", feedback_first=True)
    assert "Clôturé" in page.locator("h1").inner_text()
    assert "Suivi après clôture" in page.locator("#deadlines").inner_text()
    with runtime.unit_of_work() as session:
        surveys = session.scalars(select(OutboundMessage).where(
            OutboundMessage.to_phone == FAMILY, OutboundMessage.purpose_key.like("closure-survey:%"))).all()
        check = session.scalars(select(CaseDeadline).where(
            CaseDeadline.case_id == case_id, CaseDeadline.kind == "post_closure_check")).one()
        assert len(surveys) == 2 and all(message.status == "queued" for message in surveys)
        for message in surveys:
            assert CHILD not in message.body and reference not in message.body and "oncle" not in message.body
        assert check.met_at is None
        assert timedelta(days=85) < check.due_at - utcnow() < timedelta(days=95)
    drain(runtime.queue, runtime=runtime)
    to_family = [r["form"]["message"] for r in provider.requests if r["form"]["to"] == FAMILY]
    # The case worker's text, the offer to pass the reply on and its confirmation, then the two surveys.
    assert len(to_family) == 5 and to_family[0] == text
    assert not any(CHILD in sms or reference in sms for sms in to_family)

    # 7. Reopened with a reason; the audit trail (all its pages) shows who saw and changed the case.
    page.get_by_label("Pourquoi le dossier est rouvert").fill("La tante signale de nouvelles violences.")
    page.get_by_role("button", name="Rouvrir").click()
    page.wait_for_url(f"{base}/cases/{case_id}#status")
    assert "Ouvert" in page.locator("h1").inner_text()
    unfold(page, "timeline")
    assert "Dossier rouvert" in page.locator("ol.timeline").inner_text()
    page.get_by_role("link", name="Journal d'audit").click()
    page.wait_for_url(f"{base}/audit")
    trail = page.locator("table tbody").inner_text()
    for number in range(2, 10):  # 50 events a page, newest first: the older ones on the next pages
        if not page.get_by_role("link", name="Événements plus anciens").count():
            break
        page.get_by_role("link", name="Événements plus anciens").click()
        page.wait_for_url(f"{base}/audit?page={number}")
        trail += "\n" + page.locator("table tbody").inner_text()
    for who, what in ((WORKER_1_NAME, "A consulté un dossier"), (WORKER_1_NAME, "A enregistré un consentement"),
                      (WORKER_1_NAME, "A demandé l'approbation du plan d'intervention"),
                      (WORKER_1_NAME, "A envoyé un message à la famille"), (SUPERVISOR_NAME, "A renvoyé l'évaluation"),
                      (SUPERVISOR_NAME, "A approuvé la clôture"), (SUPERVISOR_NAME, "A rouvert un dossier")):
        assert f"{who}\t{what}\tDossier {reference}" in trail, (who, what)
    assert FAMILY not in page.content() and CHILD not in page.content()

    # The case changes hands: case worker 2 sees it from now on, case worker 1 no longer does.
    page.goto(f"{base}/cases/{case_id}")
    assignment = page.locator("#assignment")
    choice = assignment.get_by_label("Agent social")
    choice.select_option(assignment.locator("option", has_text=WORKER_2_NAME).get_attribute("value"))
    assignment.get_by_role("button", name="Attribuer").click()
    page.wait_for_url(f"{base}/cases/{case_id}#assignment")
    assert WORKER_2_NAME in page.locator("dl.details").first.inner_text()
    drain(runtime.queue, runtime=runtime)
    [told] = [r["form"]["message"] for r in provider.requests if r["form"]["to"] == WORKER_2_PHONE]
    assert reference in told and CHILD not in told and "oncle" not in told  # the reference, never the details
    log_out(page, base)
    log_in(page, base, WORKER_2, PASSWORD, "/cases")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"{base}/cases/{case_id}")
    unfold(page, "timeline")
    assert "Merci, nous serons là mardi." in page.locator("ol.timeline").inner_text()  # the whole history with it
    log_out(page, base)
    log_in(page, base, WORKER_1, PASSWORD, "/cases")
    assert reference not in page.locator("main").inner_text()
    assert page.goto(f"{base}/cases/{case_id}").status == 404


def record_consent(page, purpose: str, answer: str) -> None:
    """Fill the consent form for one purpose, given by the caregiver, and submit it."""
    form = page.locator("#consent form").last
    form.get_by_label("Objet").select_option(label=purpose)
    form.get_by_label("Réponse").select_option(label=answer)
    form.get_by_label("Donné par").select_option(label="Personne qui prend soin de l'enfant")
    form.get_by_role("button", name="Enregistrer le consentement").click()
    page.wait_for_url(re.compile(r".*#consent$"))


def ask_approval(page, step: str, content: str) -> None:
    """Submit the step to the supervisor with what was done."""
    page.get_by_label(f"Soumettre pour approbation : {step}").fill(content)
    page.get_by_role("button", name="Demander l'approbation du superviseur").click()
    page.wait_for_url(re.compile(r".*#approvals$"))
    assert "En attente du superviseur" in page.locator("#approvals").inner_text()


def decide(page, base: str, reference: str, button: str, comment: str = "", feedback_first: bool = False) -> None:
    """The supervisor logs in, finds the request among the approvals waiting and answers it, on the case page;
    feedback_first: a closure, whose child's and adult's feedback is recorded first (neither could be met)."""
    log_in(page, base)
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Approbations").click()
    page.wait_for_url(f"{base}/approvals")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(re.compile(r".*#approvals$"))
    if feedback_first:
        for legend in ("L'avis de l'enfant (6.B)", "L'avis d'un adulte (6.C)"):
            form = page.locator("#approvals form", has_text=legend)
            form.get_by_label("Rencontré en personne").select_option(label="Non : l'enquête par SMS le demandera")
            form.get_by_role("button", name="Enregistrer cet avis").click()
            page.wait_for_url(re.compile(r".*#approvals$"))
    request = page.locator("#approvals article", has_text="En attente du superviseur")
    if comment:
        request.get_by_label("Commentaire (obligatoire pour renvoyer)").fill(comment)
    request.get_by_role("button", name=button).press("Enter")
    if button == "Approuver":
        confirm(page)
    page.wait_for_url(re.compile(r".*#approvals$"))


def confirm(page) -> None:
    """On the page that asks before a step moves, confirm with its button (not the link back)."""
    page.wait_for_selector("form.confirm")
    page.locator("form.confirm").get_by_role("button").click()


def family_writes(base: str, runtime, text: str, message_id: str) -> None:
    """The family's SMS as Africa's Talking posts it to the app, then the worker's jobs run."""
    form = {"linkId": "", "text": text, "to": "21512", "id": message_id, "date": "2026-11-22T06:04:45Z",
            "from": FAMILY}
    response = requests.post(f"{base}/webhooks/africastalking/sms?token={WEBHOOK_TOKEN}", data=urlencode(form),
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert response.status_code == 200, response.text
    drain(runtime.queue, runtime=runtime)


# Who may see the case: (email, where they land, sees it in /cases, the case page's answer, their menu's links).
ROLES = (
    (SUPERVISOR_EMAIL, "/triage", True, 200, ("Nouveaux signalements", "Dossiers", "Approbations", "Journal d'audit")),
    (OTHER_SUPERVISOR, "/triage", False, 404, ("Nouveaux signalements", "Dossiers", "Journal d'audit")),
    (WORKER_1, "/cases", True, 200, ("Dossiers",)),
    (WORKER_2, "/cases", False, 404, ("Dossiers",)),
    (ADMIN, "/admin/users", None, 403, ("Administration",)),
    (FOCAL_POINT, "/complaints", None, 404, ("Plaintes", "Simulateur")),
)


def test_every_role_sees_the_case_only_if_it_needs_to(browser, life):
    base, runtime, _provider, report = life
    with runtime.unit_of_work() as session:
        worker = session.scalars(select(User).where(User.email == WORKER_1)).one()
        case = make_case(session, report=report, assigned_to_id=worker.id)
        case.team_id = worker.team_id
        case_id, reference = case.id, case.reference
    page = browser.new_page()
    # Nobody logged in: the login page first, then the case itself.
    assert page.goto(f"{base}/cases/{case_id}").url.startswith(f"{base}/login?next=")
    log_in(page, base, lands_on=f"/cases/{case_id}")
    assert reference in page.locator("h1").inner_text()
    log_out(page, base)

    for email, landing, listed, answer, links in ROLES:
        log_in(page, base, email, PASSWORD, landing)
        menu = page.get_by_role("navigation", name="Principal")
        for link in links:
            assert menu.get_by_role("link", name=link, exact=True).is_visible(), (email, link)
        if "Dossiers" not in links:
            assert menu.get_by_role("link", name="Dossiers", exact=True).count() == 0
        response = page.goto(f"{base}/cases")
        if listed is None:
            assert response.status == 403, email
        else:
            assert response.status == 200 and (reference in page.locator("main").inner_text()) == listed, email
        assert page.goto(f"{base}/cases/{case_id}").status == answer, email
        if answer == 200:
            unfold(page, "report")
            assert CHILD in page.locator("#report").inner_text()
        else:
            assert CHILD not in page.content() and reference not in page.content()
        if "Journal d'audit" not in links:
            assert page.goto(f"{base}/audit").status == 403, email
            assert page.goto(f"{base}/reports/{report.id}").status in (403, 404), email
        log_out(page, base)
