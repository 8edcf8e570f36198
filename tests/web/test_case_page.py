"""The case page: who may open it, its forms (CSRF, refusals as 4xx with a reason), the audit trail, /approvals."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases.models import Case, CaseApproval, CaseConsent, CaseEvent, CaseFollowUp
from casecore.deadlines.timelines import schedule
from casecore.messaging.contacts import opt_out, remember_language
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Team
from casecore.periods import local_today
from casecore.reports.models import Report
from tests.factories import make_case, make_locations, make_organisation, make_user
from tests.web.conftest import PASSWORD, assert_in_web_catalogues, csrf_from

FAMILY = "+22376000100"


@pytest.fixture
def world(app, uow):
    """A team's supervisor and case worker with a case, and everyone else who must not see it."""
    with uow() as session:
        org = make_organisation(session)
        places = make_locations(session)
        # Staff names of their own: a factory's ("Awa Diallo (8)") could share the child's first name.
        people = {role: make_user(session, org, role=kind, language="fr", display_name=f"Staff {role}")
                  for role, kind in [
            ("lead", "supervisor"), ("other_lead", "supervisor"), ("worker", "caseworker"),
            ("other_worker", "caseworker"), ("admin", "admin"), ("focal", "focal_point")]}
        team = Team(organisation_id=org.id, name="Equipe A", supervisor_id=people["lead"].id)
        session.add_all([team, Team(organisation_id=org.id, name="Equipe B", supervisor_id=people["other_lead"].id)])
        session.flush()
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=people["worker"].id,
                         contact_phones=[FAMILY])
        case.team_id, case.risk_level = team.id, "high"
        report = session.get(Report, case.report_id)
        report.concern, report.location_id = "child_marriage", places["ML090102"].id
        report.description = "Elle doit se marier samedi"
        return {"case_id": case.id, "reference": case.reference,
                **{name: (user.email, user.id) for name, user in people.items()},
                **{f"{name}_name": user.display_name for name, user in people.items()}}


def client_for(app, email):
    """A test client logged in as email, through the real form."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def post(client, path, **data):
    """POST a form from the case page, with the page's CSRF token."""
    case_path = "/".join(path.split("/")[:3])
    token = csrf_from(client.get(case_path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def views(uow, user_id):
    with uow() as session:
        return session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == user_id)).all()


@pytest.mark.parametrize("who, status", [
    ("worker", 200), ("lead", 200), ("other_worker", 404), ("other_lead", 404), ("admin", 403), ("focal", 404),
])
def test_only_the_case_worker_and_the_teams_supervisor_open_the_case(app, uow, world, who, status):
    email, user_id = world[who]
    client = client_for(app, email)
    response = client.get(f"/cases/{world['case_id']}")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert ("Elle doit se marier samedi" in html) == (status == 200)
    assert ("case.viewed" in views(uow, user_id)) == (status == 200)
    # The forms answer the same to those who may not see the case.
    assert post(client, f"/cases/{world['case_id']}/notes", text="hello").status_code == (
        302 if status == 200 else status)


def test_the_page_shows_the_report_and_masks_the_family_number(app, world):
    html = client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    for shown in (world["reference"], "Mariage précoce", "Commune II", "Risque élevé",
                  "Enregistrement et consentement", "+223******00", "Le téléphone peut être partagé"):
        assert shown in html
    assert FAMILY not in html and "76000100" not in html


def test_the_family_numbers_language_reads_by_its_name(app, uow, world):
    with uow() as session:
        remember_language(session, FAMILY, "bm")
    html = client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    family = html[html.index('id="messages-title"'):]
    assert "· Bambara" in family and "· bm" not in family


def test_an_unknown_or_malformed_case_is_404(app, world):
    client = client_for(app, world["lead"][0])
    assert client.get(f"/cases/{uuid.uuid4()}").status_code == 404
    assert client.get("/cases/not-a-uuid").status_code == 404


def test_a_case_goes_from_assessment_to_closure_and_back_through_the_forms(app, uow, world):
    case_id = world["case_id"]
    worker, lead = client_for(app, world["worker"][0]), client_for(app, world["lead"][0])
    response = post(worker, f"/cases/{case_id}/approvals", step="assessment", content="Vit chez sa tante.")
    assert response.status_code == 302 and response.location.endswith(f"/cases/{case_id}#approvals")
    with uow() as session:
        approval = session.scalar(select(CaseApproval.id))
    html = lead.get("/approvals").get_data(as_text=True)
    assert world["reference"] in html and "Vit chez sa tante" not in html  # no content on the list
    # A case worker does not decide.
    approve = {"decision": "approved", "confirmed": "1"}
    assert post(worker, f"/cases/{case_id}/approvals/{approval}/decision", **approve).status_code == 403
    asked = post(lead, f"/cases/{case_id}/approvals/{approval}/decision", decision="approved")
    assert asked.status_code == 200 and "Approuver, et faire avancer le dossier ?" in asked.get_data(as_text=True)
    assert post(lead, f"/cases/{case_id}/approvals/{approval}/decision", **approve).status_code == 302
    with uow() as session:
        assert session.get(Case, case_id).current_step == "case_plan"
    post(worker, f"/cases/{case_id}/approvals", step="case_plan", content="École et santé.")
    with uow() as session:
        plan = session.scalar(select(CaseApproval.id).where(CaseApproval.step == "case_plan"))
    post(lead, f"/cases/{case_id}/approvals/{plan}/decision", decision="returned", comment="Ajoutez la santé.")
    assert "Ajoutez la santé." in worker.get(f"/cases/{case_id}").get_data(as_text=True)
    post(worker, f"/cases/{case_id}/approvals", step="case_plan", content="École, santé.")
    with uow() as session:
        plan = session.scalar(select(CaseApproval.id).where(CaseApproval.decision == "pending"))
    post(lead, f"/cases/{case_id}/approvals/{plan}/decision", decision="approved", confirmed="1")
    assert post(worker, f"/cases/{case_id}/consents", purpose="services", given="yes",
                given_by="caregiver").status_code == 302
    assert post(worker, f"/cases/{case_id}/follow-ups", kind="review", happened_on="",
                notes="Tout va bien").status_code == 302
    assert post(worker, f"/cases/{case_id}/messages", text="Rendez-vous jeudi à 10h.",
                form_key=str(uuid.uuid4())).status_code == 302
    post(worker, f"/cases/{case_id}/approvals", step="closure", closure_reason="goals_met_safe", content="",
         criteria=["goals_achieved", "child_safe"])
    with uow() as session:
        closure = session.scalar(select(CaseApproval.id).where(CaseApproval.decision == "pending"))
    # The child's and an adult's feedback first (forms 6.B, 6.C): neither was met, the surveys ask them.
    early = post(lead, f"/cases/{case_id}/approvals/{closure}/decision", decision="approved", confirmed="1")
    assert early.status_code == 400 and "avis de l&#39;enfant" in early.get_data(as_text=True)
    for audience in ("child", "adult"):
        assert post(lead, f"/cases/{case_id}/closure-feedback", audience=audience, met="no").status_code == 302
    assert post(lead, f"/cases/{case_id}/approvals/{closure}/decision", **approve).status_code == 302
    with uow() as session:
        case = session.get(Case, case_id)
        assert (case.status, case.closure_reason) == ("closed", "goals_met_safe")
        bodies = session.scalars(select(OutboundMessage.body).order_by(OutboundMessage.created_at)).all()
        assert bodies[0] == "Rendez-vous jeudi à 10h." and len(bodies) == 3
        assert all("AVIS" in body and world["reference"] not in body for body in bodies[1:])
        assert session.scalar(select(CaseConsent.purpose)) == "services"
        assert session.scalar(select(CaseFollowUp.notes)) == "Tout va bien"
    html = worker.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Rouvrir" not in html  # a case worker does not reopen
    assert post(worker, f"/cases/{case_id}/reopen", reason="Nouveaux faits").status_code == 403
    assert "Rouvrir le dossier" in lead.get(f"/cases/{case_id}").get_data(as_text=True)
    assert post(lead, f"/cases/{case_id}/reopen", reason="Nouveaux faits").status_code == 302
    with uow() as session:
        assert session.get(Case, case_id).status == "open"
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(case_id))))
    assert {"case.assessment_requested", "case.assessment_approved", "case.case_plan_returned",
            "case.consent_recorded", "case.follow_up_logged", "case.family_messaged", "case.closure_approved",
            "case.reopened", "case.viewed"} <= actions


@pytest.mark.parametrize("path, data, status, message", [
    ("approvals", {"step": "case_plan", "content": "x"}, 409,
     "Cette approbation ne peut pas être demandée à l&#39;étape actuelle du dossier."),
    ("notes", {"text": "  "}, 400, "Écrivez la note."),
    ("follow-ups", {"kind": "visit", "happened_on": "31/11/2026"}, 400, "Saisissez la date au format JJ/MM/AAAA."),
    ("consents", {"purpose": "services", "given": "yes", "given_by": "supervisor_authorised"}, 400,
     "Seul un superviseur peut autoriser"),
    ("consents", {"purpose": "nonsense", "given": "yes", "given_by": "caregiver"}, 400,
     "Une valeur du formulaire n&#39;est pas valide."),
    ("messages", {"text": "Bonjour", "form_key": "not-a-uuid"}, 400, "Une valeur du formulaire"),
    ("step", {"to_step": "closure"}, 409, "Le dossier ne peut pas passer à cette étape"),
])
def test_a_refused_form_answers_4xx_with_the_reason(app, world, path, data, status, message):
    client = client_for(app, world["worker"][0])
    response = post(client, f"/cases/{world['case_id']}/{path}", **data)
    assert response.status_code == status
    if message:
        assert message in response.get_data(as_text=True)


def test_a_message_to_a_number_that_opted_out_is_refused_and_the_text_kept(app, uow, world):
    with uow() as session:
        opt_out(session, FAMILY)
    client = client_for(app, world["worker"][0])
    response = post(client, f"/cases/{world['case_id']}/messages", text="Rendez-vous jeudi",
                    form_key=str(uuid.uuid4()))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "STOP" in html and ">Rendez-vous jeudi</textarea>" in html
    with uow() as session:
        assert session.scalar(select(OutboundMessage.id)) is None


def test_a_message_form_sent_twice_goes_once(app, uow, world):
    client = client_for(app, world["worker"][0])
    html = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    for _ in range(2):
        assert post(client, f"/cases/{world['case_id']}/messages", text="Bonjour", form_key=key).status_code == 302
    with uow() as session:
        assert len(session.scalars(select(OutboundMessage.id)).all()) == 1
        assert len(session.scalars(select(CaseEvent.id).where(CaseEvent.kind == "message_to_family")).all()) == 1


def test_forms_need_the_csrf_token(app, uow, world):
    client = client_for(app, world["worker"][0])
    response = client.post(f"/cases/{world['case_id']}/notes", data={"text": "sans jeton"})
    assert response.status_code == 400
    with uow() as session:
        assert session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "note")) is None


@pytest.mark.parametrize("who, status", [
    ("lead", 200), ("worker", 403), ("admin", 403), ("focal", 403),
])
def test_approvals_list_is_for_supervisors_and_their_teams(app, uow, world, who, status):
    worker = client_for(app, world["worker"][0])
    post(worker, f"/cases/{world['case_id']}/approvals", step="assessment", content="Évaluation")
    response = client_for(app, world[who][0]).get("/approvals")
    assert response.status_code == status
    if status == 200:
        assert world["reference"] in response.get_data(as_text=True)
        assert "approvals.viewed" in views(uow, world[who][1])
    other = client_for(app, world["other_lead"][0]).get("/approvals").get_data(as_text=True)
    assert world["reference"] not in other


def test_the_page_is_in_english_for_an_english_reader(app, uow, world):
    from casecore.people.models import User

    with uow() as session:
        session.get(User, world["worker"][1]).language = "en"
    html = client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert "High risk" in html and "Registration and consent" in html and "Child marriage" in html


def test_every_case_page_string_is_in_both_web_catalogues():
    assert_in_web_catalogues([("app/cases/**.py", "python"), ("app/web/words.py", "python"),
                              ("app/templates/cases/**.html", "jinja2")])


def test_every_case_work_code_has_a_label():
    from app.cases.labels import CASE_LABELS
    from casecore import taxonomy

    for kind, codes in [("risk", taxonomy.CASE_RISK_LEVELS), ("step", taxonomy.CASE_STEPS),
                        ("status", taxonomy.CASE_STATUSES), ("deadline", taxonomy.DEADLINE_KINDS),
                        ("purpose", taxonomy.CONSENT_PURPOSES), ("giver", taxonomy.CONSENT_GIVERS),
                        ("decision", taxonomy.APPROVAL_DECISIONS), ("follow_up", taxonomy.FOLLOW_UP_KINDS),
                        ("closure", taxonomy.CLOSURE_REASONS)]:
        assert set(CASE_LABELS[kind]) == set(codes), kind


# -- assigning the case ------------------------------------------------------------------------------------------

def test_the_supervisor_gives_the_case_to_another_case_worker_who_is_told_by_sms(app, uow, world):
    lead = client_for(app, world["lead"][0])
    page = lead.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert 'id="assignment"' in page and world["other_worker_name"] in page
    response = post(lead, f"/cases/{world['case_id']}/assignment", assigned_to_id=str(world["other_worker"][1]))
    assert response.status_code == 302 and response.headers["Location"].endswith("#assignment")

    assert client_for(app, world["other_worker"][0]).get(f"/cases/{world['case_id']}").status_code == 200
    assert client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").status_code == 404
    with uow() as session:
        case = session.get(Case, world["case_id"])
        assert case.assigned_to_id == world["other_worker"][1]
        (sms,) = session.scalars(select(OutboundMessage.body)
                                 .where(OutboundMessage.recipient_user_id == world["other_worker"][1])).all()
        assert sms == f"Relais: le dossier {world['reference']} vous est attribué. Connectez-vous pour le voir."
        assert session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id,
                                                            CaseEvent.kind == "assigned")).all() == ["assigned"]
    assert "case.assigned" in views(uow, world["lead"][1])


@pytest.mark.parametrize("who, worker, status", [
    ("worker", "other_worker", 403),  # a case worker does not hand cases round
    ("lead", "worker", 400),  # already theirs
    ("lead", "lead", 400),  # not a case worker
    ("lead", None, 400),
])
def test_assignment_is_a_supervisors_and_goes_to_another_active_case_worker(app, uow, world, who, worker, status):
    client = client_for(app, world[who][0])
    target = str(world[worker][1]) if worker else "not-an-id"
    response = post(client, f"/cases/{world['case_id']}/assignment", assigned_to_id=target)
    assert response.status_code == status
    if status == 400:
        assert 'id="error-assignment"' in response.get_data(as_text=True)
    with uow() as session:
        assert session.get(Case, world["case_id"]).assigned_to_id == world["worker"][1]


def test_a_case_worker_sees_no_assignment_form_and_a_closed_case_has_none(app, uow, world):
    page = client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert 'id="assignment"' not in page
    with uow() as session:
        session.get(Case, world["case_id"]).status = "closed"
    lead = client_for(app, world["lead"][0])
    assert 'id="assignment"' not in lead.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    response = post(lead, f"/cases/{world['case_id']}/assignment", assigned_to_id=str(world["other_worker"][1]))
    assert response.status_code == 409


def test_the_supervisor_decides_and_does_not_ask(app, uow, world):
    lead = client_for(app, world["lead"][0])
    page = lead.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert f'action="/cases/{world["case_id"]}/approvals"' not in page
    response = post(lead, f"/cases/{world['case_id']}/approvals", step="closure", closure_reason="goals_met_safe")
    assert response.status_code == 403
    with uow() as session:
        assert session.get(Case, world["case_id"]).status == "open"
    worker_page = client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert f'action="/cases/{world["case_id"]}/approvals"' in worker_page


def test_referral_and_transfer_entries_read_in_the_readers_language(app, uow, world):
    with uow() as session:
        for body in ("requested: ONG Kati\nLa famille a déménagé.", "sent: Clinique Espoir"):
            session.add(CaseEvent(case_id=world["case_id"], kind="referral" if body.startswith("sent") else "transfer",
                                  body=body, at=utcnow()))
    html = client_for(app, world["lead"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    timeline = html[html.index('id="timeline"'):]
    assert "Transfert demandé · ONG Kati" in timeline and "La famille a déménagé." in timeline
    assert "Orientation envoyée · Clinique Espoir" in timeline
    assert "requested:" not in timeline and "sent:" not in timeline


def test_a_message_from_a_number_not_linked_is_marked_so_until_the_case_worker_links_it(app, uow, world):
    from casecore.cases.models import CaseContact
    from casecore.cases.opening import find_case_for_phone, record_family_message
    stranger = "+22376705555"
    with uow() as session:
        event = record_family_message(session, world["case_id"], channel="sms", body="Je suis la tante",
                                      source_key="sms:test-unlinked", unlinked_phone=stranger).event_id
    client = client_for(app, world["worker"][0])
    page = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert "depuis un numéro qui n&#39;y est pas lié (+223******55)" in page
    assert stranger not in page
    linked = post(client, f"/cases/{world['case_id']}/messages/{event}/link")
    assert linked.status_code == 302
    with uow() as session:
        assert stranger in session.scalars(select(CaseContact.phone)).all()
        assert find_case_for_phone(session, stranger).case_id == world["case_id"]
    page = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert "lié au dossier depuis" in page and "Un numéro a été lié au dossier" in page
    assert "case.contact_linked" in views(uow, world["worker"][1])
    # A message that came from a linked number has nothing to link.
    with uow() as session:
        other = record_family_message(session, world["case_id"], channel="sms", body="Bonjour",
                                      source_key="sms:test-linked").event_id
    assert post(client, f"/cases/{world['case_id']}/messages/{other}/link").status_code == 400


def test_a_message_from_a_hidden_whatsapp_number_is_marked_so_and_cannot_be_linked(app, uow, world):
    from casecore.cases.opening import record_family_message
    hidden = "US.13491208655302741918"
    with uow() as session:
        event = record_family_message(session, world["case_id"], channel="whatsapp", body="Je suis la tante",
                                      source_key="whatsapp:test-hidden", unlinked_phone=hidden).event_id
    client = client_for(app, world["worker"][0])
    page = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert "par une personne dont WhatsApp cache le numéro (US.********18)" in page
    assert hidden not in page and f"/messages/{event}/link" not in page
    refused = post(client, f"/cases/{world['case_id']}/messages/{event}/link")
    assert refused.status_code == 400 and "il n&#39;y a pas de numéro à lier" in refused.get_data(as_text=True)


def test_a_supervisor_puts_a_case_under_a_legal_hold_with_a_reason_and_lifts_it(app, uow, world):
    from casecore.cases.models import Case
    lead = client_for(app, world["lead"][0])
    path = f"/cases/{world['case_id']}/legal-hold"
    missing = post(lead, path, hold="yes", reason="  ")
    assert missing.status_code == 400 and "Dites pourquoi le dossier doit être gardé." in missing.get_data(as_text=True)
    assert post(client_for(app, world["worker"][0]), path, hold="yes", reason="Enquête").status_code == 403
    assert post(lead, path, hold="yes", reason="Enquête de police en cours").status_code == 302
    with uow() as session:
        case = session.get(Case, world["case_id"])
        assert (case.legal_hold, case.legal_hold_reason) == (True, "Enquête de police en cours")
    assert "Sous conservation légale" in lead.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert post(lead, path, hold="no").status_code == 302
    with uow() as session:
        assert session.get(Case, world["case_id"]).legal_hold is False
    assert {"case.legal_hold_set", "case.legal_hold_lifted"} <= set(views(uow, world["lead"][1]))


def _fold_of(html: str, section: str) -> str:
    """The opening tag of a section's fold."""
    start = html.index(f'<section id="{section}"')
    return html[html.index("<details", start):html.index(">", html.index("<details", start)) + 1]


def test_the_case_page_unfolds_the_current_step_s_work_and_folds_the_rest(app, world):
    client = client_for(app, world["worker"][0])
    html = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)  # a new case: registration
    for section in ("registration", "consent", "messages", "steps", "deadlines"):
        assert _fold_of(html, section) == '<details class="fold" open>', section
    for section in ("assessment", "plan", "follow-ups", "timeline", "report", "documents"):
        assert _fold_of(html, section) == '<details class="fold">', section
    # "Add a note" is the first thing after the title: a link to the note's box (relais.js opens its fold).
    main = html[html.index("<h1"):]
    assert main.index('<a href="#note-text">Ajouter une note</a>') < main.index('<nav class="sections"')
    # A refused form comes back unfolded, its error focused.
    refused = post(client, f"/cases/{world['case_id']}/notes", text="  ").get_data(as_text=True)
    assert _fold_of(refused, "timeline") == '<details class="fold" open>'
    assert 'id="error-timeline" tabindex="-1" autofocus data-focus>Écrivez la note.' in refused


def test_each_deadline_says_what_meets_it_and_a_missing_risk_level_who_sets_it(app, uow, world):
    with uow() as session:
        session.get(Case, world["case_id"]).risk_level = None
        schedule(session, "first_response", utcnow() + timedelta(hours=4), case_id=world["case_id"])
    html = client_for(app, world["worker"][0]).get(f"/cases/{world['case_id']}").get_data(as_text=True)
    deadlines = html[html.index('<section id="deadlines"'):html.index("</section>", html.index('id="deadlines"'))]
    assert ("Respecté par une visite enregistrée, un message envoyé à la famille depuis cette page, ou le début de "
            "l&#39;évaluation.") in deadlines
    assert "L&#39;agent social ou le superviseur le fixe sous « Niveau de risque »" in html


def test_starting_the_next_step_asks_first(app, uow, world):
    client = client_for(app, world["worker"][0])
    asked = post(client, f"/cases/{world['case_id']}/step", to_step="assessment")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Commencer l&#39;étape suivante : Évaluation ?" in html
    assert '<input type="hidden" name="to_step" value="assessment">' in html
    with uow() as session:
        assert session.get(Case, world["case_id"]).current_step == "registration"
    assert post(client, f"/cases/{world['case_id']}/step", to_step="assessment", confirmed="1").status_code == 302
    with uow() as session:
        assert session.get(Case, world["case_id"]).current_step == "assessment"


def test_days_are_typed_day_first_whatever_the_browser_s_language(app, uow, world):
    client = client_for(app, world["worker"][0])
    html = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert 'type="date"' not in html
    assert 'name="happened_on" inputmode="numeric"' in html and 'placeholder="jj/mm/aaaa"' in html
    assert f'value="{local_today(ZoneInfo("Africa/Bamako")).strftime("%d/%m/%Y")}"' in html  # today, there
    assert post(client, f"/cases/{world['case_id']}/follow-ups", kind="visit", happened_on="1/11/2026",
                notes="Vu à l'école").status_code == 302
    with uow() as session:
        visit = session.scalars(select(CaseFollowUp)).one()
        assert (visit.happened_at.day, visit.happened_at.month) == (1, 11)
