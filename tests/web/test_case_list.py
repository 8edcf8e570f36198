"""/cases: a case worker's own cases, a supervisor's team's, soonest deadline first; nobody else's."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases.listing import case_list
from casecore.deadlines.timelines import meet, schedule
from casecore.i18n import gettext_for
from casecore.people.models import Team, User
from casecore.reports.models import Report
from tests.factories import Asking, make_case, make_organisation, make_user


@pytest.fixture
def world(uow, staff):
    """make_world: two teams, their cases, another organisation's case."""
    return make_world(uow, staff)


def make_world(uow, staff):
    """Two teams of one organisation (the staff fixture's supervisor and case worker form team A), a case each,
    a case of team A assigned to a second worker of A, a closed case, and another organisation's case."""
    with uow() as session:
        org = session.get(User, staff["supervisor_id"]).organisation
        lead_b = make_user(session, org, role="supervisor")
        team_a = Team(organisation_id=org.id, name="A", supervisor_id=staff["supervisor_id"])
        team_b = Team(organisation_id=org.id, name="B", supervisor_id=lead_b.id)
        session.add_all([team_a, team_b])
        session.flush()
        worker_a = session.get(User, staff["caseworker_id"])
        worker_a2 = make_user(session, org, role="caseworker")
        worker_b = make_user(session, org, role="caseworker")
        worker_a.team_id = worker_a2.team_id = team_a.id
        worker_b.team_id = team_b.id

        def case(worker, team, **extra):
            made = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id, **extra)
            made.team_id, made.risk_level = team.id, "medium"
            session.get(Report, made.report_id).concern = "child_marriage"
            return made

        mine, mine_closed = case(worker_a, team_a), case(worker_a, team_a, status="closed")
        colleague, theirs = case(worker_a2, team_a), case(worker_b, team_b)
        other_org = make_organisation(session)
        elsewhere = make_case(session, organisation_slug=other_org.slug)
        admin = make_user(session, org, role="admin")
        cases = {name: (c.id, c.reference) for name, c in [
            ("mine", mine), ("mine_closed", mine_closed), ("colleague", colleague), ("theirs", theirs),
            ("elsewhere", elsewhere)]}
        return {**staff, "lead_b": lead_b.email, "worker_b": worker_b.email, "admin": admin.email, "cases": cases,
                "worker_a2_name": worker_a2.display_name, "worker_a2_id": worker_a2.id, "worker_b_id": worker_b.id}


def _shown(html, world):
    """The world's cases the page lists (links to their page; the reference box may hold one too)."""
    listed = set(re.findall(r'class="ref" href="/cases/[^"]+">([^<]+)<', html))
    return {name for name, (_id, reference) in world["cases"].items() if reference in listed}


def test_a_case_worker_sees_only_their_own_open_cases(client, login, world):
    login(world["caseworker"])
    html = client.get("/cases").get_data(as_text=True)
    assert _shown(html, world) == {"mine"}
    assert f'href="/cases/{world["cases"]["mine"][0]}"' in html
    html = client.get("/cases?status=all").get_data(as_text=True)
    assert _shown(html, world) == {"mine", "mine_closed"}
    assert _shown(client.get("/cases?status=closed").get_data(as_text=True), world) == {"mine_closed"}


def test_a_supervisor_sees_their_teams_cases_and_not_another_teams(client, login, world):
    login(world["supervisor"])
    html = client.get("/cases").get_data(as_text=True)
    assert _shown(html, world) == {"mine", "colleague"}
    # A supervisor sees who holds each case, by name.
    assert world["caseworker_name"] in html and world["worker_a2_name"] in html and world["caseworker"] not in html
    login(world["lead_b"])
    assert _shown(client.get("/cases?status=all").get_data(as_text=True), world) == {"theirs"}


def test_the_list_shows_no_child_details(client, login, world):
    login(world["caseworker"])
    html = client.get("/cases").get_data(as_text=True)
    assert "marriage" not in html.lower()
    assert "Medium risk" in html and "Registration and consent" in html  # the case worker reads English


def test_the_soonest_deadline_comes_first_and_an_overdue_one_is_red(client, login, world, uow):
    login(world["supervisor"])
    mine, colleague = world["cases"]["mine"][0], world["cases"]["colleague"][0]
    with uow() as session:
        schedule(session, "first_response", utcnow() + timedelta(days=2), case_id=mine)
        schedule(session, "assessment", utcnow() + timedelta(hours=1), case_id=mine)
        schedule(session, "assessment", utcnow() - timedelta(hours=5), case_id=colleague)
    html = client.get("/cases").get_data(as_text=True)
    assert html.index(world["cases"]["colleague"][1]) < html.index(world["cases"]["mine"][1])
    assert re.search(r'class="late">[^<]+</time>\s*\(en retard de 5 h', html)
    with uow() as session:
        meet(session, "assessment", case_id=colleague)
        meet(session, "assessment", case_id=mine)
    html = client.get("/cases").get_data(as_text=True)
    # Now only mine has a deadline left (its first response); a case without any comes last.
    assert html.index(world["cases"]["mine"][1]) < html.index(world["cases"]["colleague"][1])
    assert gettext_for("fr", "web")("First response") + ":" in html


def test_roles_without_case_access_get_a_clear_403(client, login, world):
    login(world["admin"])
    response = client.get("/cases")
    assert response.status_code == 403
    assert "agents sociaux et aux superviseurs" in response.get_data(as_text=True)


def test_an_unknown_status_filter_is_a_400(client, login, world):
    login(world["caseworker"])
    response = client.get("/cases?status=lost")
    assert response.status_code == 400
    assert "Choose a status from the list." in response.get_data(as_text=True)


def test_viewing_the_list_is_audited(client, login, world, uow):
    login(world["caseworker"])
    client.get("/cases?status=closed")
    with uow() as session:
        events = session.execute(select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id)
                                 .where(AuditEvent.action == "cases.listed")).all()
    assert events == [("cases.listed", "closed", world["caseworker_id"])]


def test_the_case_list_reads_its_rows_on_the_indexes_then_the_children_by_key(uow, world):
    # The list is benchmarked on 20,000 cases: one statement, each case's next deadline from one index seek; its
    # length from the index alone; then the child's sex and age for the rows shown, by key.
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with uow() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            case_list(session, Asking(world["caseworker_id"], world["org_id"], "caseworker"))
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        statements = [item for item in seen if "case_file" in item[0]]
        [(statement, parameters), (count, count_parameters), (child, child_parameters)] = statements

        def plan_of(sql, values):
            return " ".join(str(row[-1]) for row in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql, values))

        plan, count_plan, child_plan = (plan_of(*item) for item in statements)
    assert "ix_case_file_caseload" in plan and "ix_case_deadline_case_open" in plan
    assert "SCAN case_file" not in plan and "SCAN case_deadline" not in plan
    assert "count(" in count.lower() and "ix_case_file_caseload" in count_plan and "SCAN case_file" not in count_plan
    assert "SCAN case_file" not in child_plan and "SCAN report" not in child_plan
