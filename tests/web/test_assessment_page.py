"""The case page's assessment (form 2.A): the risk level revised with a reason, listed with its history and in the
timeline, refusals beside the form; the assessment written by domain."""
from __future__ import annotations

import uuid

from tests.web.test_case_page import client_for, post, world  # noqa: F401 - the fixture


def test_the_case_worker_revises_the_risk_and_the_page_shows_its_history(app, world):  # noqa: F811
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    revised = post(client, f"{path}/risk", risk_level="medium", reason="Un oncle accueille l'enfant")
    assert revised.status_code == 302 and revised.headers["Location"].endswith("#risk")
    html = client.get(path).get_data(as_text=True)
    assert "Risque élevé → Risque moyen" in html and "Un oncle accueille l&#39;enfant" in html
    assert "Niveau de risque révisé" in html  # the timeline entry
    same = post(client, f"{path}/risk", risk_level="medium", reason="Encore")
    assert same.status_code == 409 and "déjà à ce niveau de risque" in same.get_data(as_text=True)
    blank = post(client, f"{path}/risk", risk_level="low", reason="")
    assert blank.status_code == 400 and "Écrivez pourquoi" in blank.get_data(as_text=True)


def test_the_assessment_is_written_by_domain_on_the_case_page(app, world):  # noqa: F811
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    saved = post(client, f"{path}/assessment", health__needs="Soins dentaires",
                 safety__child_views="Elle a peur de rentrer", education__needs="")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#assessment")
    html = client.get(path).get_data(as_text=True)
    assert "Soins dentaires" in html and "Elle a peur de rentrer" in html and "Ce que dit l&#39;enfant" in html
    assert "Évaluation mise à jour" in html


def test_the_plan_is_built_goal_by_goal_on_the_case_page(app, uow, world):  # noqa: F811
    g1 = str(uuid.uuid4())
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    added = post(client, f"{path}/plan/goals", goal="Retour à l'école", domain="education", form_key=g1)
    assert added.status_code == 302 and added.headers["Location"].endswith("#plan")
    assert post(client, f"{path}/plan/goals", goal="Retour à l'école", domain="education",
                form_key=g1).status_code == 302  # the same form twice adds once
    with uow() as session:
        from casecore.cases.record_models import CaseGoal
        [goal] = session.query(CaseGoal).all()
        goal_id = goal.id
    assert post(client, f"{path}/plan/goals/{goal_id}/actions", what="Voir le directeur", by="caseworker",
                due_on="2099-01-15", form_key=str(uuid.uuid4())).status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "Retour à l&#39;école" in html and "Voir le directeur" in html and "2099-01-15" in html
    assert "Plan de prise en charge mis à jour" in html
    refused = post(client, f"{path}/plan/goals/{goal_id}/actions", what="x", by="service", form_key=str(uuid.uuid4()))
    assert refused.status_code == 400 and "service actif" in refused.get_data(as_text=True)


def test_a_service_the_organisation_gave_is_recorded_with_its_outcome(app, world):  # noqa: F811
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    saved = post(client, f"{path}/services-given", service_type="mental_health_psychosocial", given_on="2026-11-20",
                 outcome="Séance d'écoute, l'enfant dort mieux", form_key=str(uuid.uuid4()))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#services-given")
    html = client.get(path).get_data(as_text=True)
    assert "2026-11-20" in html and "l&#39;enfant dort mieux" in html
    future = post(client, f"{path}/services-given", service_type="health", given_on="2099-01-01",
                  form_key=str(uuid.uuid4()))
    assert future.status_code == 400
    untyped = post(client, f"{path}/services-given", given_on="2026-11-20", form_key=str(uuid.uuid4()))
    assert untyped.status_code == 400 and "Choisissez le service fourni." in untyped.get_data(as_text=True)


def test_a_plan_review_is_recorded_goal_by_goal(app, uow, world):  # noqa: F811
    from casecore.cases.models import Case
    from casecore.cases.record_models import CaseGoal
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    post(client, f"{path}/plan/goals", goal="Retour à l'école", form_key=str(uuid.uuid4()))
    with uow() as session:
        session.get(Case, world["case_id"]).current_step = "implementation"
        goal_id = session.query(CaseGoal.id).scalar()
    saved = post(client, f"{path}/reviews", happened_on="2026-12-01", **{f"status_{goal_id}": "achieved",
                 f"progress_{goal_id}": "Inscrite"}, notes="Bonne évolution", shared_with_family="Relu avec la mère",
                 risk_level="high", form_key=str(uuid.uuid4()))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:300]
    html = client.get(path).get_data(as_text=True)
    assert "Revue du 2026-12-01" in html and "Atteint: Inscrite" in html and "Relu avec la mère" in html


def test_a_case_conference_is_recorded_and_its_actions_go_into_the_plan(app, uow, world):  # noqa: F811
    from casecore.cases.record_models import CaseAction, CaseGoal
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    post(client, f"{path}/plan/goals", goal="Mettre l'enfant en sécurité", form_key=str(uuid.uuid4()))
    with uow() as session:
        goal_id = session.query(CaseGoal.id).scalar()
    saved = post(client, f"{path}/conferences", held_on="2026-12-01", staff_present="Superviseure, TS",
                 services_present="Centre de santé", family_present="yes", decisions="Placement chez la tante",
                 action_goal_0=str(goal_id), action_what_0="Visite chez la tante", action_by_0="caseworker",
                 action_due_0="2099-01-10", action_goal_1=str(goal_id), action_what_1="", action_by_1="family",
                 form_key=str(uuid.uuid4()))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#conferences")
    html = client.get(path).get_data(as_text=True)
    assert "Réunion de synthèse du 2026-12-01" in html and "Placement chez la tante" in html
    assert "la famille a participé" in html and "l&#39;enfant n&#39;était pas là" in html
    with uow() as session:
        assert [a.what for a in session.query(CaseAction).all()] == ["Visite chez la tante"]
    undecided = post(client, f"{path}/conferences", held_on="2026-12-01", decisions="", form_key=str(uuid.uuid4()))
    assert undecided.status_code == 400 and "ce que la réunion a décidé" in undecided.get_data(as_text=True)


def test_the_childs_views_are_noted_at_any_step(app, world):  # noqa: F811
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    assert post(client, f"{path}/notes", text="Elle veut rester chez sa tante", child_views="yes",
                form_key=str(uuid.uuid4())).status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "L&#39;avis et les souhaits de l&#39;enfant" in html and "Elle veut rester chez sa tante" in html


def test_best_interests_on_the_case_page(app, world):  # noqa: F811
    client = client_for(app, world["worker"][0])
    path = f"/cases/{world['case_id']}"
    assert post(client, f"{path}/best-interests/determinations", held_on="2026-12-01",
                panel=["A, superviseure", "B, TS", "C, santé"], evidence="Rapport", child_views="D'accord",
                decision="Réunification", reasons="Lien vérifié", form_key=str(uuid.uuid4())).status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "Détermination du 2026-12-01" in html and "en attente de validation" in html
    lead = client_for(app, world["lead"][0])
    import re
    bid_id = re.search(r"/determinations/([0-9a-f-]+)/sign-off", lead.get(path).get_data(as_text=True)).group(1)
    assert post(lead, f"{path}/best-interests/determinations/{bid_id}/sign-off").status_code == 302
    assert "validée" in client.get(path).get_data(as_text=True)
