"""Need to know (casecore.cases.access) and the deadline book (casecore.deadlines), on both databases."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.base import utcnow
from casecore.cases.access import may_view_case, require_case, visible_cases
from casecore.cases.models import Case
from casecore.deadlines import timelines
from casecore.deadlines.models import CaseDeadline
from casecore.errors import InvalidInput, NotFound
from casecore.people.models import Team
from tests.factories import as_staff, make_case, make_organisation, make_user


@pytest.fixture
def world(any_db_runtime):
    """Two teams in one organisation, a case each, one case outside any team; another organisation's case."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        lead_a, lead_b = make_user(session, org), make_user(session, org)
        team_a = Team(organisation_id=org.id, name="A", supervisor_id=lead_a.id)
        team_b = Team(organisation_id=org.id, name="B", supervisor_id=lead_b.id)
        session.add_all([team_a, team_b])
        session.flush()
        worker_a = make_user(session, org, role="caseworker")
        worker_b = make_user(session, org, role="caseworker")
        worker_a.team_id, worker_b.team_id = team_a.id, team_b.id
        case_a = make_case(session, organisation_slug=org.slug, assigned_to_id=worker_a.id)
        case_b = make_case(session, organisation_slug=org.slug, assigned_to_id=worker_b.id)
        case_a.team_id, case_b.team_id = team_a.id, team_b.id
        unteamed = make_case(session, organisation_slug=org.slug)
        other_org = make_organisation(session)
        elsewhere = make_case(session, organisation_slug=other_org.slug)
        admin = make_user(session, org, role="admin")
        focal = make_user(session, org, role="focal_point")
        people = {name: as_staff(user) for name, user in [
            ("lead_a", lead_a), ("lead_b", lead_b), ("worker_a", worker_a), ("worker_b", worker_b),
            ("admin", admin), ("focal", focal)]}
        cases = {"a": case_a.id, "b": case_b.id, "unteamed": unteamed.id, "elsewhere": elsewhere.id}
    return any_db_runtime, people, cases


@pytest.mark.parametrize("who, expected", [
    ("worker_a", {"a"}), ("worker_b", {"b"}), ("lead_a", {"a", "unteamed"}), ("lead_b", {"b", "unteamed"}),
    ("admin", set()), ("focal", set()),
])
def test_each_role_sees_only_what_it_needs(world, who, expected):
    runtime, people, cases = world
    with runtime.unit_of_work() as session:
        seen = set(session.scalars(select(Case.id).where(visible_cases(people[who]))))
        assert seen == {cases[name] for name in expected}
        for name, case_id in cases.items():
            assert may_view_case(session, people[who], case_id) == (name in expected)
            if name not in expected:
                with pytest.raises(NotFound):
                    require_case(session, people[who], case_id)


def test_timelines_follow_the_domain_defaults():
    t = timelines.Timelines()
    start = utcnow()
    assert t.assignment_due(start, urgent=True) == start + timedelta(hours=1)
    assert t.assignment_due(start, urgent=False) == start + timedelta(hours=3)
    assert t.by_risk("first_response", "high", start) == start + timedelta(hours=24)
    assert t.by_risk("first_response", "low", start) == start + timedelta(days=7)
    assert t.by_risk("case_plan", "medium", start) == start + timedelta(weeks=1)
    assert t.review_due(start) == start + timedelta(days=30)
    assert t.post_closure_check_due(start) == start + timedelta(days=90)
    assert t.warn_at(start, start + timedelta(hours=24)) == start + timedelta(hours=18)
    with pytest.raises(InvalidInput):
        t.by_risk("review", "high", start)
    with pytest.raises(InvalidInput):
        t.by_risk("first_response", "no_risk", start)


def test_a_new_date_supersedes_the_open_one_and_meeting_closes_it(world):
    runtime, _, cases = world
    now = utcnow()
    with runtime.unit_of_work() as session:
        timelines.schedule(session, "review", now + timedelta(days=30), case_id=cases["a"])
        timelines.schedule(session, "review", now + timedelta(days=20), case_id=cases["a"])
        [open_one] = timelines.open_deadlines(session, case_id=cases["a"])
        assert open_one.due_at == now + timedelta(days=20)
        assert session.scalar(select(CaseDeadline).where(CaseDeadline.met_at.is_not(None))) is not None
        assert timelines.meet(session, "review", case_id=cases["a"]) == 1
        assert timelines.open_deadlines(session, case_id=cases["a"]) == []
        with pytest.raises(InvalidInput):
            timelines.schedule(session, "review", now, case_id=cases["a"], report_id=cases["b"])
        with pytest.raises(InvalidInput):
            timelines.schedule(session, "tea_time", now, case_id=cases["a"])
