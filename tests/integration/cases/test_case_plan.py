"""The case plan as goals and actions, on both databases: goals and actions added, a service from the directory,
statuses, refusals by code, and a plan changed after its approval sent back to the supervisor."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from casecore.base import utcnow
from casecore.cases.models import Case, CaseApproval
from casecore.cases.plan import add_action, add_goal, plan_of, set_action_status, set_goal_status
from casecore.directory.models import Service
from casecore.errors import NotFound, Refused
from casecore.people.models import Organisation
from tests.factories import as_staff, make_case, make_organisation, make_user

TODAY = date(2026, 12, 6)


@pytest.fixture
def case_of(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, other = make_organisation(session), make_organisation(session)
        worker = make_user(session, org, role="caseworker")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        clinic = Service(organisation_id=org.id, provider_name="Centre de santé", service_type="health")
        elsewhere = Service(organisation_id=other.id, provider_name="Ailleurs", service_type="health")
        session.add_all([clinic, elsewhere])
        session.flush()
        return any_db_runtime, case.id, as_staff(worker), clinic.id, elsewhere.id


def test_goals_and_actions_make_the_plan(case_of):
    rt, case_id, worker, clinic, _ = case_of
    with rt.unit_of_work() as session:
        school = add_goal(session, worker, case_id, "Retour à l'école avant janvier", "education")
        health = add_goal(session, worker, case_id, "Vaccinations à jour")
        add_action(session, worker, case_id, school, what="Rencontrer le directeur", by="caseworker",
                   due_on=TODAY + timedelta(days=7), today=TODAY)
        visit = add_action(session, worker, case_id, health, what="Consultation", by="service", service_id=str(clinic),
                           today=TODAY)
        set_action_status(session, worker, case_id, visit, "done")
        set_goal_status(session, worker, case_id, health, "achieved")
    with rt.unit_of_work() as session:
        found = plan_of(session, case_id)
    assert [(g.goal, g.domain, g.status) for g in found.goals] == [
        ("Retour à l'école avant janvier", "education", "open"), ("Vaccinations à jour", None, "achieved")]
    assert [(a.what, a.by, a.service_name, a.status) for a in found.goals[1].actions] == [
        ("Consultation", "service", "Centre de santé", "done")]
    assert found.goals[0].actions[0].due_on == TODAY + timedelta(days=7)
    assert found.approved_at is None and not found.changed_since_approval


def test_a_goal_added_after_the_plans_approval_needs_approval_again(case_of):
    rt, case_id, worker, _, _ = case_of
    with rt.unit_of_work() as session:
        add_goal(session, worker, case_id, "Premier objectif")
        session.add(CaseApproval(case_id=case_id, step="case_plan", requested_by_id=worker.id, decision="approved",
                                 decided_at=utcnow() + timedelta(seconds=1), content="Plan"))
    with rt.unit_of_work() as session:
        assert not plan_of(session, case_id).changed_since_approval
    with rt.unit_of_work() as session:
        session.get(CaseApproval, session.query(CaseApproval.id).scalar()).decided_at = utcnow() - timedelta(hours=1)
        add_goal(session, worker, case_id, "Nouvel objectif")
    with rt.unit_of_work() as session:
        assert plan_of(session, case_id).changed_since_approval


@pytest.mark.parametrize("action, code", [
    (dict(what="", by="family"), "action_required"),
    (dict(what="x", by="neighbour"), "action_by"),
    (dict(what="x", by="service"), "action_service"),
    (dict(what="x", by="service", service_id="elsewhere"), "action_service"),
    (dict(what="x", by="family", due_on=TODAY - timedelta(days=1)), "action_due_in_past"),
])
def test_a_wrong_action_is_refused_by_code(case_of, action, code):
    rt, case_id, worker, _, elsewhere = case_of
    if action.get("service_id") == "elsewhere":
        action = {**action, "service_id": str(elsewhere)}
    with rt.unit_of_work() as session:
        goal = add_goal(session, worker, case_id, "Objectif")
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        add_action(session, worker, case_id, goal, today=TODAY, **action)
    assert refused.value.code == code


def test_goals_of_another_case_and_unknown_statuses_are_refused(case_of):
    rt, case_id, worker, _, _ = case_of
    with rt.unit_of_work() as session:
        goal = add_goal(session, worker, case_id, "Objectif")
        slug = session.get(Organisation, session.get(Case, case_id).organisation_id).slug
        other = make_case(session, organisation_slug=slug, assigned_to_id=worker.id)
    with pytest.raises(NotFound), rt.unit_of_work() as session:
        add_action(session, worker, other.id, goal, what="x", by="family", today=TODAY)
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        set_goal_status(session, worker, case_id, goal, "forgotten")
    assert refused.value.code == "goal_status"
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        add_goal(session, worker, case_id, "   ")
    assert refused.value.code == "goal_required"


def test_a_review_records_each_goals_progress_revises_the_risk_and_can_send_the_plan_back(case_of):
    from casecore.cases.plan import GoalReview, record_review, reviews_of
    from casecore.cases.risk import risk_history
    from casecore.deadlines.timelines import Timelines
    rt, case_id, worker, _, _ = case_of
    with rt.unit_of_work() as session:
        school = add_goal(session, worker, case_id, "Retour à l'école")
        case = session.get(Case, case_id)
        case.current_step, case.risk_level = "implementation", "high"
        from casecore.cases.record_models import CaseGoal
        session.get(CaseGoal, school).created_at = utcnow() - timedelta(hours=2)
        # Approved an hour ago: what the reviews change comes after.
        session.add(CaseApproval(case_id=case_id, step="case_plan", requested_by_id=worker.id, decision="approved",
                                 decided_at=utcnow() - timedelta(hours=1), content="Plan"))
    with rt.unit_of_work() as session:
        record_review(session, worker, case_id, happened_at=utcnow(), notes="Inscrite, assiduité à suivre",
                      shared_with_family="Le plan a été relu avec la mère", plan_changes=False,
                      goals={str(school): GoalReview("Inscrite le 2 décembre", "achieved")}, risk_level="medium",
                      next_due_at=None, timelines=Timelines())
    with rt.unit_of_work() as session:
        [(review, progress)] = reviews_of(session, case_id)
        assert review.shared_with_family == "Le plan a été relu avec la mère" and not review.plan_changes
        assert [(words, row.progress, row.status) for words, row in progress] == [
            ("Retour à l'école", "Inscrite le 2 décembre", "achieved")]
        assert plan_of(session, case_id).goals[0].status == "achieved"
        assert [(c.from_level, c.to_level, c.reason) for c in risk_history(session, case_id)] == [
            ("high", "medium", "Inscrite, assiduité à suivre")]
        assert not plan_of(session, case_id).changed_since_approval  # a goal achieved is no change of plan
    with rt.unit_of_work() as session:
        record_review(session, worker, case_id, happened_at=utcnow(), notes="La famille déménage",
                      shared_with_family=None, plan_changes=True, goals={}, risk_level=None, next_due_at=None,
                      timelines=Timelines())
    with rt.unit_of_work() as session:
        assert plan_of(session, case_id).changed_since_approval
        assert session.get(Case, case_id).current_step == "case_plan"


def test_a_review_before_the_plan_is_refused(case_of):
    from casecore.cases.plan import record_review
    from casecore.deadlines.timelines import Timelines
    rt, case_id, worker, _, _ = case_of
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        record_review(session, worker, case_id, happened_at=utcnow(), notes=None, shared_with_family=None,
                      plan_changes=False, goals={}, risk_level=None, next_due_at=None, timelines=Timelines())
    assert refused.value.code == "review_needs_plan"


def test_a_changed_plan_goes_back_for_approval_and_its_approval_keeps_the_next_review(any_db_runtime):
    from casecore.cases.approvals import decide_approval, request_approval
    from casecore.cases.plan import GoalReview, record_review
    from casecore.cases.surveys import SurveyPlan
    from casecore.deadlines.timelines import Timelines, open_deadlines
    from casecore.people.models import Team
    rt = any_db_runtime
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        lead, worker = make_user(session, org), make_user(session, org, role="caseworker")
        team = Team(organisation_id=org.id, name="Equipe", supervisor_id=lead.id)
        session.add(team)
        session.flush()
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        case.team_id, case.current_step = team.id, "case_plan"
        case_id, lead, worker = case.id, as_staff(lead), as_staff(worker)
    surveys = SurveyPlan(lambda language: {}, backend="console", default_language="fr")

    def step():
        with rt.unit_of_work() as session:
            return session.get(Case, case_id).current_step

    def approve_plan():
        with rt.unit_of_work() as session:
            asked = request_approval(session, worker, case_id, "case_plan", "Plan")
        with rt.unit_of_work() as session:
            decide_approval(session, lead, case_id, asked, "approved", None, timelines=Timelines(), surveys=surveys)

    def review_due():
        with rt.unit_of_work() as session:
            return {d.kind: d.due_at for d in open_deadlines(session, case_id=case_id)}["review"]

    with rt.unit_of_work() as session:
        goal = add_goal(session, worker, case_id, "Retour à l'école")
        action = add_action(session, worker, case_id, goal, what="Voir le directeur", by="caseworker", today=TODAY)
    assert step() == "case_plan", "goals written before any approval change no step"
    approve_plan()
    assert step() == "implementation"
    with rt.unit_of_work() as session:
        set_action_status(session, worker, case_id, action, "done")
        set_goal_status(session, worker, case_id, goal, "achieved")
    assert step() == "implementation", "progress is no change of plan"
    next_review = utcnow() + timedelta(days=10)
    with rt.unit_of_work() as session:
        record_review(session, worker, case_id, happened_at=utcnow(), notes="La famille déménage",
                      shared_with_family=None, plan_changes=True, goals={str(goal): GoalReview(None, "achieved")},
                      risk_level=None, next_due_at=next_review, timelines=Timelines())
    assert step() == "case_plan", "a review that changes the plan sends it back to the supervisor"
    with rt.unit_of_work() as session:
        # Reviews go on while the revised plan waits (its deadline stays theirs to meet).
        record_review(session, worker, case_id, happened_at=utcnow(), notes=None, shared_with_family=None,
                      plan_changes=False, goals={}, risk_level=None, next_due_at=next_review, timelines=Timelines())
    approve_plan()
    assert step() == "implementation"
    assert abs(review_due() - next_review) < timedelta(seconds=1), "the review's next date stands"
    with rt.unit_of_work() as session:
        assert not plan_of(session, case_id).changed_since_approval
        add_action(session, worker, case_id, goal, what="Inscrire au nouveau quartier", by="family", today=TODAY)
    assert step() == "case_plan", "an action added after the approval sends the plan back too"
    approve_plan()
    with rt.unit_of_work() as session:
        set_goal_status(session, worker, case_id, goal, "dropped")
    assert step() == "case_plan", "and so does a goal dropped"
    with rt.unit_of_work() as session:
        other = add_goal(session, worker, case_id, "Suivi psychosocial")
    approve_plan()
    with rt.unit_of_work() as session:
        record_review(session, worker, case_id, happened_at=utcnow(), notes=None, shared_with_family=None,
                      plan_changes=False, goals={str(other): GoalReview(None, "dropped")}, risk_level=None,
                      next_due_at=None, timelines=Timelines())
    assert step() == "case_plan", "and a goal dropped at a review"


def test_a_plan_approved_before_the_case_was_reopened_does_not_count_for_the_new_one(case_of):
    from casecore.cases.plan import record_review
    from casecore.deadlines.timelines import Timelines
    rt, case_id, worker, _, _ = case_of
    with rt.unit_of_work() as session:
        add_goal(session, worker, case_id, "Objectif d'avant")
        session.add(CaseApproval(case_id=case_id, step="case_plan", requested_by_id=worker.id, decision="approved",
                                 decided_at=utcnow() - timedelta(days=90), content="Ancien plan"))
        case = session.get(Case, case_id)
        # Closed, then reopened: back at assessment, now writing a new plan.
        case.reopened_at, case.current_step = utcnow() - timedelta(days=1), "case_plan"
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        record_review(session, worker, case_id, happened_at=utcnow(), notes=None, shared_with_family=None,
                      plan_changes=False, goals={}, risk_level=None, next_due_at=None, timelines=Timelines())
    assert refused.value.code == "review_needs_plan"
    with rt.unit_of_work() as session:
        found = plan_of(session, case_id)
    assert found.approved_at is None and not found.changed_since_approval
