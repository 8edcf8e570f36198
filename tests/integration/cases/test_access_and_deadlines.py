"""Need to know (casecore.cases.access) and the deadline book (casecore.deadlines), on both databases."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update

from casecore.base import utcnow
from casecore.cases.access import may_view_case, may_view_report, require_case, visible_cases, visible_reports
from casecore.cases.deadline_alerts import alert_deadline, deadlines_to_alert
from casecore.cases.models import Case
from casecore.deadlines import timelines
from casecore.deadlines.models import CaseDeadline
from casecore.errors import InvalidInput, NotFound
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Organisation, Team
from casecore.reports.models import Report
from tests.factories import as_staff, make_case, make_organisation, make_report, make_user


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
    with pytest.raises(InvalidInput, match="^review does not depend on the risk level$"):
        t.by_risk("review", "high", start)
    with pytest.raises(InvalidInput, match="^unknown risk level: 'no_risk'$"):
        t.by_risk("first_response", "no_risk", start)
    with pytest.raises(InvalidInput, match="^unknown complaint severity: 'urgent'$"):
        t.complaint_due(start, "urgent")


# ../shared/domain/README.md: first response high 24 h, medium 3 days, low 7 days; assessment after registration high
# 1 day, medium 3 days, low 7 days; case plan after the assessment's approval high 3 days, medium 1 week, low 2 weeks.
@pytest.mark.parametrize("kind, risk, due_in", [
    ("first_response", "high", timedelta(hours=24)), ("first_response", "medium", timedelta(days=3)),
    ("first_response", "low", timedelta(days=7)),
    ("assessment", "high", timedelta(days=1)), ("assessment", "medium", timedelta(days=3)),
    ("assessment", "low", timedelta(days=7)),
    ("case_plan", "high", timedelta(days=3)), ("case_plan", "medium", timedelta(weeks=1)),
    ("case_plan", "low", timedelta(weeks=2)),
])
def test_every_date_by_risk_follows_the_domain_defaults(kind, risk, due_in):
    start = utcnow()
    assert timelines.Timelines().by_risk(kind, risk, start) == start + due_in


def test_each_date_by_risk_reads_its_own_setting():
    t = timelines.Timelines(first_response_hours={"high": 1, "medium": 2, "low": 3},
                            assessment_hours={"high": 4, "medium": 5, "low": 6},
                            case_plan_hours={"high": 7, "medium": 8, "low": 9})
    start = utcnow()
    assert [t.by_risk(kind, "medium", start) - start for kind in ("first_response", "assessment", "case_plan")] == [
        timedelta(hours=2), timedelta(hours=5), timedelta(hours=8)]


# A complaint is closed within 24 h (critical), 3 days (high), 7 days (medium) or 14 days (low) of its receipt.
@pytest.mark.parametrize("severity, due_in", [
    ("critical", timedelta(hours=24)), ("high", timedelta(days=3)), ("medium", timedelta(days=7)),
    ("low", timedelta(days=14)),
])
def test_every_complaint_date_follows_the_domain_defaults(severity, due_in):
    received = utcnow()
    assert timelines.Timelines().complaint_due(received, severity) == received + due_in


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
        for owner in ({"case_id": cases["a"], "report_id": cases["b"]}, {}):
            with pytest.raises(InvalidInput, match="^a deadline belongs to a case or to a report$"):
                timelines.schedule(session, "review", now, **owner)
        with pytest.raises(InvalidInput, match="^unknown deadline kind: 'tea_time'$"):
            timelines.schedule(session, "tea_time", now, case_id=cases["a"])


# -- who reads which report ---------------------------------------------------------------------------------------

@pytest.fixture
def reports(world):
    """The world's reports by name: each case's own (a, b, unteamed, elsewhere), a new report of the organisation and
    a new report of the other organisation."""
    runtime, people, cases = world
    with runtime.unit_of_work() as session:
        named = {name: session.get(Case, case_id).report_id for name, case_id in cases.items()}
        org = session.get(Organisation, people["lead_a"].organisation_id)
        other = session.get(Organisation, session.get(Case, cases["elsewhere"]).organisation_id)
        named["new"] = make_report(session, organisation_slug=org.slug).id
        named["new_elsewhere"] = make_report(session, organisation_slug=other.slug).id
    return named


# A supervisor reads the organisation's new reports and those that became a case they may see; nobody else reads
# a report (a case worker reads their case, which holds it; administrators and focal points no case content).
@pytest.mark.parametrize("who, expected", [
    ("lead_a", {"a", "unteamed", "new"}), ("lead_b", {"b", "unteamed", "new"}),
    ("worker_a", set()), ("worker_b", set()), ("admin", set()), ("focal", set()),
])
def test_each_role_reads_only_the_reports_it_needs(world, reports, who, expected):
    runtime, people, _cases = world
    with runtime.unit_of_work() as session:
        seen = set(session.scalars(select(Report.id).where(visible_reports(people[who]))))
        assert seen == {reports[name] for name in expected}
        for name, report_id in reports.items():
            assert may_view_report(session, people[who], report_id) == (name in expected), name


def test_a_report_leaves_a_supervisors_sight_when_its_case_moves_to_another_team(world, reports):
    runtime, people, cases = world
    with runtime.unit_of_work() as session:
        session.get(Case, cases["unteamed"]).team_id = session.get(Case, cases["b"]).team_id
    with runtime.unit_of_work() as session:
        assert not may_view_report(session, people["lead_a"], reports["unteamed"])
        assert may_view_report(session, people["lead_b"], reports["unteamed"])
        assert may_view_report(session, people["lead_a"], reports["new"])


def test_an_unknown_id_is_no_case_and_no_report(world):
    runtime, people, _cases = world
    lead, unknown = people["lead_a"], uuid.uuid4()
    with runtime.unit_of_work() as session:
        assert not may_view_case(session, lead, unknown)
        assert not may_view_report(session, lead, unknown)
        with pytest.raises(NotFound, match=f"^case {unknown} not found$"):
            require_case(session, lead, unknown)
        for check, what in ((may_view_case, "case"), (may_view_report, "report"), (require_case, "case")):
            with pytest.raises(NotFound, match=f"^{what} 'not-an-id' does not exist$"):
                check(session, lead, "not-an-id")


# -- the deadline book: each case's own dates -------------------------------------------------------------------

def _kinds(session, **owner) -> list[str]:
    return [deadline.kind for deadline in timelines.open_deadlines(session, **owner)]


def test_meeting_a_cases_deadline_leaves_every_other_case_and_kind_open(world, reports):
    runtime, _, cases = world
    now = utcnow()
    with runtime.unit_of_work() as session:
        for name in ("a", "b"):
            # The later date first: the list comes soonest first, not as written.
            timelines.schedule(session, "assessment", now + timedelta(days=3), case_id=cases[name])
            timelines.schedule(session, "first_response", now + timedelta(days=1), case_id=cases[name])
        for name in ("new", "new_elsewhere"):
            timelines.schedule(session, "assignment", now + timedelta(hours=3), report_id=reports[name])
    with runtime.unit_of_work() as session:
        assert timelines.meet(session, "first_response", case_id=cases["a"]) == 1
        assert timelines.meet(session, "assignment", report_id=reports["new"]) == 1
    with runtime.unit_of_work() as session:
        assert _kinds(session, case_id=cases["a"]) == ["assessment"]
        assert _kinds(session, case_id=cases["b"]) == ["first_response", "assessment"]
        assert _kinds(session, report_id=reports["new"]) == []
        assert _kinds(session, report_id=reports["new_elsewhere"]) == ["assignment"]
        assert _kinds(session, case_id=cases["unteamed"]) == []


def test_a_cases_open_dates_come_soonest_first_whatever_plan_the_database_chooses(world):
    runtime, _, cases = world
    now = utcnow()
    with runtime.unit_of_work() as session:
        for kind, days in (("review", 30), ("case_plan", 14), ("first_response", 1), ("assessment", 3)):
            timelines.schedule(session, kind, now + timedelta(days=days), case_id=cases["a"])
    with runtime.unit_of_work() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Statistics as a live database has them: PostgreSQL then reads so small a table in the order its rows
            # were written, not through the index that happens to hold them by date.
            session.execute(text("ANALYZE case_deadline"))
    with runtime.unit_of_work() as session:
        assert _kinds(session, case_id=cases["a"]) == ["first_response", "assessment", "case_plan", "review"]


def test_work_done_twice_meets_its_deadline_once_and_keeps_when_it_was_done(world):
    runtime, _, cases = world
    yesterday = utcnow() - timedelta(days=1)
    with runtime.unit_of_work() as session:
        deadline_id = timelines.schedule(session, "first_response", yesterday + timedelta(hours=12),
                                         case_id=cases["a"])
        assert timelines.meet(session, "first_response", case_id=cases["a"]) == 1
        session.execute(update(CaseDeadline).where(CaseDeadline.id == deadline_id).values(met_at=yesterday))
    # A day later (the clock moved on), the same step is recorded again.
    with runtime.unit_of_work() as session:
        assert timelines.meet(session, "first_response", case_id=cases["a"]) == 0
        assert session.get(CaseDeadline, deadline_id).met_at == yesterday


def test_a_new_date_supersedes_only_the_open_date_of_its_own_case_and_kind(world, reports):
    runtime, _, cases = world
    now = utcnow()
    yesterday = now - timedelta(days=1)
    with runtime.unit_of_work() as session:
        reviewed = timelines.schedule(session, "review", now - timedelta(days=2), case_id=cases["a"])
        timelines.meet(session, "review", case_id=cases["a"])
        session.execute(update(CaseDeadline).where(CaseDeadline.id == reviewed).values(met_at=yesterday))
        timelines.schedule(session, "review", now + timedelta(days=20), case_id=cases["b"])
        timelines.schedule(session, "first_response", now + timedelta(days=1), case_id=cases["a"])
        timelines.schedule(session, "assignment", now + timedelta(hours=3), report_id=reports["new"])
        timelines.schedule(session, "assignment", now + timedelta(hours=3), report_id=reports["new_elsewhere"])
    with runtime.unit_of_work() as session:
        timelines.schedule(session, "review", now + timedelta(days=30), case_id=cases["a"])
        timelines.schedule(session, "assignment", now + timedelta(hours=1), report_id=reports["new"])
    with runtime.unit_of_work() as session:
        assert session.get(CaseDeadline, reviewed).met_at == yesterday  # the review done yesterday stays done then
        [first_response_a, review_a] = sorted(timelines.open_deadlines(session, case_id=cases["a"]),
                                             key=lambda deadline: deadline.kind)
        assert (review_a.kind, review_a.due_at) == ("review", now + timedelta(days=30))
        assert (first_response_a.kind, first_response_a.due_at) == ("first_response", now + timedelta(days=1))
        assert [(d.kind, d.due_at) for d in timelines.open_deadlines(session, case_id=cases["b"])] == [
            ("review", now + timedelta(days=20))]
        assert [d.due_at for d in timelines.open_deadlines(session, report_id=reports["new"])] == [
            now + timedelta(hours=1)]
        assert _kinds(session, report_id=reports["new_elsewhere"]) == ["assignment"]


def test_two_open_dates_of_one_kind_written_at_the_same_moment_are_both_met(world):
    runtime, _, cases = world
    now = utcnow()
    with runtime.unit_of_work() as session:
        # Two requests scheduling at once each find nothing open to supersede, and each writes its date.
        for days in (20, 30):
            session.add(CaseDeadline(case_id=cases["a"], kind="review", due_at=now + timedelta(days=days)))
    with runtime.unit_of_work() as session:
        assert timelines.meet(session, "review", case_id=cases["a"]) == 2
        assert timelines.open_deadlines(session, case_id=cases["a"]) == []


# -- the alerts' moments ----------------------------------------------------------------------------------------

# Midnight, 18:00 and midnight again are whole fractions of a day: SQLite's julianday holds them exactly, so the
# sweep is asked at the very second a warning or an alert falls due.
SET = datetime(2031, 3, 4, tzinfo=timezone.utc)
DUE = SET + timedelta(days=1)
SECOND = timedelta(seconds=1)


def _dated(runtime, case_id, kind="first_response"):
    """A deadline set at SET and due at DUE (a day): warned with a quarter of it left, at 18:00."""
    with runtime.unit_of_work() as session:
        deadline_id = timelines.schedule(session, kind, DUE, case_id=case_id)
        session.execute(update(CaseDeadline).where(CaseDeadline.id == deadline_id).values(created_at=SET))
    return deadline_id


def _sweep(runtime, now):
    with runtime.unit_of_work() as session:
        return deadlines_to_alert(session, now, runtime.timelines.warn_before_fraction)


def _alert(runtime, deadline_id, now):
    with runtime.unit_of_work() as session:
        return len(alert_deadline(session, deadline_id, runtime.timelines, "console", now=now))


def test_a_deadline_is_warned_at_its_warning_time_and_alerted_at_its_date_to_the_second(world):
    runtime, people, cases = world
    deadline_id = _dated(runtime, cases["a"])
    warn_at = DUE - timedelta(hours=6)
    assert _sweep(runtime, warn_at - SECOND) == []
    assert _sweep(runtime, warn_at) == [deadline_id]
    assert _alert(runtime, deadline_id, warn_at) == 1
    assert _sweep(runtime, DUE - SECOND) == []  # warned once
    assert _sweep(runtime, DUE) == [deadline_id]
    assert _alert(runtime, deadline_id, DUE) == 1
    assert _sweep(runtime, DUE + timedelta(days=3)) == []  # alerted once
    with runtime.unit_of_work() as session:
        recipients = list(session.scalars(select(OutboundMessage.recipient_user_id)
                                          .order_by(OutboundMessage.created_at)))
        deadline = session.get(CaseDeadline, deadline_id)
        assert (deadline.warned_at, deadline.overdue_alerted_at) == (warn_at, DUE)
        keys = list(session.scalars(select(OutboundMessage.purpose_key).order_by(OutboundMessage.created_at)))
    assert recipients == [people["worker_a"].id, people["lead_a"].id]
    # One alert per date, stage and person: the keys the outbox holds them by (a label changed would let the
    # alerts written before it be written again).
    assert keys == [f"deadline-warning:{deadline_id}:{people['worker_a'].id}",
                    f"deadline-overdue:{deadline_id}:{people['lead_a'].id}"]


def test_the_sweep_reads_the_moment_whatever_the_time_zone_of_the_clock_asking(world):
    runtime, _, cases = world
    deadline_id = _dated(runtime, cases["a"])
    warn_at = (DUE - timedelta(hours=6)).astimezone(timezone(timedelta(hours=1)))  # 18:00 UTC is 19:00 in Paris
    assert _sweep(runtime, warn_at - SECOND) == []
    assert _sweep(runtime, warn_at) == [deadline_id]


def test_a_date_first_swept_once_it_is_due_gets_its_overdue_alert_and_no_warning(world):
    runtime, _, cases = world
    deadline_id = _dated(runtime, cases["a"])
    assert _sweep(runtime, DUE) == [deadline_id]
    assert _alert(runtime, deadline_id, DUE) == 1
    # Swept again at that same second: the date is no longer ahead, so there is nothing left to warn about.
    assert _sweep(runtime, DUE) == []
    with runtime.unit_of_work() as session:
        assert session.get(CaseDeadline, deadline_id).warned_at is None
