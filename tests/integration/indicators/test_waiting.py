"""What waits for each role now, on both databases, against a hand-made organisation: counts of what the person may
read only, what is late marked late, and a family's message no longer unread once the case worker opened the case."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from casecore.audit import record_event
from casecore.cases.models import CaseApproval, CaseTransfer
from casecore.cases.opening import record_family_message
from casecore.deadlines.models import CaseDeadline
from casecore.indicators.waiting import waiting_for
from casecore.people.models import Team
from tests.factories import as_staff, make_case, make_organisation, make_report, make_user
from tests.integration.complaints.test_complaint_handling import make_complaint

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)


def _counts(items):
    return {item.code: (item.count, item.late) for item in items}


def test_each_role_sees_what_waits_for_it(any_db_runtime):
    rt = any_db_runtime
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        other = make_organisation(session)
        supervisor = make_user(session, org, role="supervisor")
        lone_supervisor = make_user(session, org, role="supervisor")  # leads no team
        team = Team(organisation_id=org.id, name="Nord", supervisor_id=supervisor.id)
        session.add(team)
        session.flush()
        worker = make_user(session, org, role="caseworker")
        worker.team_id = team.id
        focal = make_user(session, org, role="focal_point")
        # Two new reports, one urgent and past its hour to be assigned; another organisation's is not counted.
        urgent = make_report(session, organisation_slug=org.slug, danger_now=True)
        make_report(session, organisation_slug=org.slug)
        make_report(session, organisation_slug=other.slug)
        session.add(CaseDeadline(report_id=urgent.id, kind="assignment", due_at=NOW - timedelta(hours=1)))
        # The worker's two cases in the team: one overdue deadline, one due today, a pending approval.
        first = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        second = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        first.team_id = second.team_id = team.id
        session.add(CaseDeadline(case_id=first.id, kind="assessment", due_at=NOW - timedelta(days=1)))
        session.add(CaseDeadline(case_id=second.id, kind="first_response", due_at=NOW + timedelta(hours=3)))
        session.add(CaseDeadline(case_id=second.id, kind="visit", due_at=NOW + timedelta(days=3)))  # not today
        session.add(CaseApproval(case_id=first.id, step="assessment", requested_by_id=worker.id, content="..."))
        session.add(CaseTransfer(case_id=make_case(session, organisation_slug=other.slug).id,
                                 from_organisation_id=other.id, to_organisation_id=org.id,
                                 requested_by_id=lone_supervisor.id))
        record_family_message(session, first.id, channel="sms", body="Bonjour", source_key="sms:w1")
        # Complaints: one new, one acknowledged and past its date.
        make_complaint(session, org)
        late = make_complaint(session, org)
        late.status, late.due_at = "acknowledged", NOW - timedelta(days=2)
        session.flush()
        people = {name: as_staff(user) for name, user in (("supervisor", supervisor), ("worker", worker),
                                                           ("focal", focal), ("lone", lone_supervisor))}
        first_id = first.id
    with rt.unit_of_work(read_only=True) as session:
        supervising = _counts(waiting_for(session, people["supervisor"], NOW, caseload_limit=1))
        working = _counts(waiting_for(session, people["worker"], NOW, caseload_limit=1))
        handling = _counts(waiting_for(session, people["focal"], NOW, caseload_limit=1))
        lone = _counts(waiting_for(session, people["lone"], NOW, caseload_limit=1))
    assert supervising == {"new_reports": (2, False), "new_urgent": (1, True), "new_overdue": (1, True),
                           "approvals": (1, False), "transfers": (1, False), "team_deadlines_overdue": (1, True),
                           "over_caseload": (1, False)}
    assert lone["approvals"] == (0, False) and lone["over_caseload"] == (0, False)  # not their team's
    assert working == {"my_deadlines_overdue": (1, True), "my_deadlines_today": (1, False),
                       "family_messages": (1, False)}
    assert handling == {"complaints_new": (1, False), "complaints_overdue": (1, True)}
    with rt.unit_of_work() as session:
        record_event(session, people["worker"].id, "case.viewed", "case", first_id)
    with rt.unit_of_work(read_only=True) as session:
        assert _counts(waiting_for(session, people["worker"], NOW + timedelta(seconds=1), 1))["family_messages"] == (
            0, False)


def test_due_today_is_the_deployments_day(any_db_runtime):
    """At 20:00 UTC it is 23:00 in Nairobi: a deadline at 21:30 UTC (00:30 there) is tomorrow's, not today's."""
    evening = datetime(2026, 12, 6, 20, 0, tzinfo=timezone.utc)
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        worker = make_user(session, org, role="caseworker")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        session.add(CaseDeadline(case_id=case.id, kind="visit", due_at=evening + timedelta(minutes=90)))
        staff = as_staff(worker)
    with any_db_runtime.unit_of_work(read_only=True) as session:
        def today(zone):
            return _counts(waiting_for(session, staff, evening, 25, zone))["my_deadlines_today"]
        assert today(ZoneInfo("Africa/Nairobi")) == (0, False)
        assert today(ZoneInfo("Africa/Bamako")) == (1, False)  # 21:30 on the 6th in Bamako
