"""Deadlines and their alerts, on both databases: timelines from settings, the assignment date of new reports, and
SMS sent once to the right person before and after a deadline (never for one met, never with a child's details)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bootstrap import Runtime, timelines_from_settings
from casecore.base import utcnow
from casecore.cases.deadline_alerts import alert_deadline, deadline_text, deadlines_to_alert
from casecore.cases.models import Case
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import Timelines, meet, open_deadlines, schedule
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Team, User
from casecore.reports.intake import ReportDraft, submit_report
from casecore.reports.models import Report
from casecore.triage.decisions import mark_not_eligible
from settings import Settings
from tests.conftest import TEST_DATA_KEY, make_settings
from tests.factories import make_case, make_organisation, make_report, make_user
from tests.queues import drain, queued_job_ids
from tests.unit.reports.test_alert_text import GSM7
from workers.queueing import deadline_job_id
from workers.scheduler import run_once

# -- timelines from settings -----------------------------------------------------------------------------------

def test_the_default_settings_give_the_default_timelines():
    assert timelines_from_settings(make_settings()) == Timelines()


def test_timelines_are_read_from_the_environment():
    settings = Settings.from_env({
        "TIMELINE_ASSIGN_HOURS": "6", "TIMELINE_FIRST_RESPONSE_HOURS": "low=100, medium=50,high=12",
        "TIMELINE_REVIEW_DAYS": "14", "TIMELINE_POST_CLOSURE_CHECK_DAYS": "60", "DEADLINE_WARN_FRACTION": "0.5",
        "CASELOAD_LIMIT": "12", "DATA_ENCRYPTION_KEY": TEST_DATA_KEY,
    })
    timelines = Runtime(settings).timelines
    assert timelines.assign_hours == 6 and timelines.caseload_limit == 12
    assert timelines.first_response_hours == {"high": 12, "medium": 50, "low": 100}
    assert timelines.review_hours == 14 * 24 and timelines.post_closure_check_hours == 60 * 24
    assert timelines.warn_before_fraction == 0.5


@pytest.mark.parametrize("name, value", [
    ("TIMELINE_FIRST_RESPONSE_HOURS", "high=24,medium=72"),
    ("TIMELINE_ASSESSMENT_HOURS", "high=24,medium=soon,low=168"),
    ("TIMELINE_CASE_PLAN_HOURS", "high=24,medium=72,low=0"),
    ("TIMELINE_CASE_PLAN_HOURS", "high=24,medium=72,low=168,extreme=1"),
    ("TIMELINE_CASE_PLAN_HOURS", "high=24,high=72,low=168"),
    ("TIMELINE_ASSIGN_HOURS", -1.0),
    ("TIMELINE_REVIEW_DAYS", 0.0),
    ("DEADLINE_WARN_FRACTION", 1.5),
    ("CASELOAD_LIMIT", 0),
])
def test_a_malformed_timeline_stops_the_process_at_start_up(name, value):
    with pytest.raises(ValueError, match=name):
        Runtime(make_settings(**{name: value}))


# -- the assignment date of a new report ---------------------------------------------------------------------

def _draft(**overrides) -> ReportDraft:
    values = dict(channel="ussd", channel_session_id=f"s-{utcnow().timestamp()}", reporter_phone=None,
                  language="fr", concern="neglect", danger_now=False, child_sex="male", child_age_band="0_5",
                  location_code=None, may_contact=False, consent_to_share=False)
    return ReportDraft(**{**values, **overrides})


@pytest.mark.parametrize("urgent, hours", [(True, 1), (False, 3)])
def test_a_new_report_gets_its_assignment_date_when_it_is_stored(any_db_runtime, urgent, hours):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        report = submit_report(session, _draft(danger_now=urgent), organisation_id=org.id, default_region="ML",
                               timelines=any_db_runtime.timelines)
        again = submit_report(session, _draft(danger_now=urgent, channel_session_id=None), organisation_id=org.id,
                              default_region="ML")  # without timelines: the scheduler adds it
    with any_db_runtime.unit_of_work() as session:
        received = session.get(Report, report.id).received_at
        [deadline] = session.scalars(select(CaseDeadline).where(CaseDeadline.report_id == report.id)).all()
        assert (deadline.kind, deadline.due_at) == ("assignment", received + timedelta(hours=hours))
        assert session.scalar(select(CaseDeadline.id).where(CaseDeadline.report_id == again.id)) is None
    run_once(any_db_runtime)
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(CaseDeadline.kind).where(CaseDeadline.report_id == again.id)) == "assignment"


def test_open_deadlines_come_soonest_first_whatever_order_they_were_set_in(any_db_runtime):
    # Set latest first, on a report and on a case, beside another report's and another case's.
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        report, other_report = (make_report(session, organisation_slug=org.slug) for _ in range(2))
        case, other_case = (make_case(session, organisation_slug=org.slug) for _ in range(2))
        for days, kind in [(9, "review"), (5, "assessment"), (1, "first_response")]:
            schedule(session, kind, now + timedelta(days=days), report_id=report.id)
            schedule(session, kind, now + timedelta(days=days), case_id=case.id)
        schedule(session, "visit", now + timedelta(days=2), report_id=other_report.id)
        schedule(session, "visit", now + timedelta(days=2), case_id=other_case.id)
        meet(session, "assessment", report_id=report.id)
    with any_db_runtime.unit_of_work() as session:
        assert [d.kind for d in open_deadlines(session, report_id=report.id)] == ["first_response", "review"]
        assert [d.kind for d in open_deadlines(session, case_id=case.id)] == ["first_response", "assessment",
                                                                             "review"]


def test_a_report_back_filled_past_its_date_is_not_alerted(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org, role="supervisor")
        old = make_report(session, organisation_slug=org.slug)
        session.get(Report, old.id).received_at = utcnow() - timedelta(days=2)
        session.get(Report, old.id).alerted_at = utcnow()
    assert run_once(any_db_runtime) == 0
    with any_db_runtime.unit_of_work() as session:
        deadline = session.scalar(select(CaseDeadline).where(CaseDeadline.report_id == old.id))
        assert deadline.due_at < utcnow() and deadline.met_at is None and deadline.overdue_alerted_at is not None
    assert run_once(any_db_runtime) == 0


# -- alerts ------------------------------------------------------------------------------------------------------

@pytest.fixture
def team(any_db_runtime):
    """An organisation with a team (its supervisor and an English-speaking case worker), another supervisor, and
    a case of the team assigned to the case worker."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        lead = make_user(session, org, role="supervisor", phone="+22376600001")
        other_lead = make_user(session, org, role="supervisor", phone="+22376600002")
        squad = Team(organisation_id=org.id, name="Sud", supervisor_id=lead.id)
        session.add(squad)
        session.flush()
        worker = make_user(session, org, role="caseworker", phone="+22376600003", language="en")
        worker.team_id = squad.id
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        case.team_id = squad.id
        report = session.get(Report, case.report_id)
        report.concern, report.description = "sexual_abuse", "Mariam, 8 ans, chez l'oncle"
        report.alerted_at = utcnow()  # the report's own alert is not what these tests are about
        return {"runtime": any_db_runtime, "org": org.id, "slug": org.slug, "lead": lead.id,
                "other_lead": other_lead.id, "worker": worker.id, "case": case.id, "reference": case.reference}


def _deadline(runtime, *, case_id=None, report_id=None, kind="first_response", set_hours_ago: float,
              due_in_hours: float):
    """A deadline set some hours ago and due in some hours (negative: past)."""
    now = utcnow()
    with runtime.unit_of_work() as session:
        deadline_id = schedule(session, kind, now + timedelta(hours=due_in_hours), case_id=case_id,
                               report_id=report_id)
        session.execute(update(CaseDeadline).where(CaseDeadline.id == deadline_id)
                        .values(created_at=now - timedelta(hours=set_hours_ago)))
    return deadline_id


def _messages(runtime):
    with runtime.unit_of_work() as session:
        rows = session.execute(select(OutboundMessage.recipient_user_id, OutboundMessage.body, OutboundMessage.status)
                               .order_by(OutboundMessage.created_at)).all()
    return [(user, body) for user, body, _status in rows]


@pytest.mark.parametrize("after_ms", [-50, 50])
def test_the_sweep_picks_a_deadline_when_its_warning_time_comes_as_the_job_reckons_it(any_db_runtime, after_ms):
    # The sweep's SQL and the job's Python (Timelines.warn_at) must agree to the fraction of a second: a sweep
    # that picks a deadline early enqueues a job that alerts nothing, one that picks it late delays the warning.
    timelines = any_db_runtime.timelines
    set_at = datetime(2026, 12, 1, 8, 0, 0, 250_000, tzinfo=timezone.utc)
    due_at = set_at + timedelta(hours=24)
    now = timelines.warn_at(set_at, due_at) + timedelta(milliseconds=after_ms)
    with any_db_runtime.unit_of_work() as session:
        case = make_case(session, organisation_slug=make_organisation(session).slug)
        deadline_id = schedule(session, "review", due_at, case_id=case.id)
        session.execute(update(CaseDeadline).where(CaseDeadline.id == deadline_id).values(created_at=set_at))
    with any_db_runtime.unit_of_work() as session:
        picked = deadlines_to_alert(session, now, timelines.warn_before_fraction)
    assert (deadline_id in picked) == (after_ms > 0)


def test_nothing_is_alerted_while_plenty_of_time_is_left(team):
    _deadline(team["runtime"], case_id=team["case"], set_hours_ago=1, due_in_hours=23)
    assert run_once(team["runtime"]) == 0


def test_the_case_worker_is_warned_once_before_the_deadline(team, capsys):
    runtime = team["runtime"]
    deadline_id = _deadline(runtime, case_id=team["case"], set_hours_ago=20, due_in_hours=4)
    assert run_once(runtime) == 1
    assert queued_job_ids(runtime.queue) == [deadline_job_id(deadline_id)]
    drain(runtime.queue)
    with runtime.unit_of_work() as session:
        due = session.get(CaseDeadline, deadline_id).due_at
    expected = f"Relais: case {team['reference']}, first response due {due:%Y-%m-%d %H:%M} UTC."
    assert _messages(runtime) == [(team["worker"], expected)]
    assert expected in capsys.readouterr().out  # sent (console backend)
    assert run_once(runtime) == 0
    drain(runtime.queue)
    assert len(_messages(runtime)) == 1


def test_the_teams_supervisor_is_told_once_when_it_passes(team):
    runtime = team["runtime"]
    deadline_id = _deadline(runtime, case_id=team["case"], kind="assessment", set_hours_ago=30, due_in_hours=-1)
    assert run_once(runtime) == 1
    drain(runtime.queue)
    with runtime.unit_of_work() as session:
        deadline = session.get(CaseDeadline, deadline_id)
        assert deadline.overdue_alerted_at is not None and deadline.warned_at is None
    [(user, body)] = _messages(runtime)
    assert user == team["lead"]  # the team's supervisor, not every supervisor
    assert body == (f"Relais: dossier {team['reference']}, évaluation en retard: à faire avant le "
                    f"{deadline.due_at:%Y-%m-%d %H:%M} UTC.")
    assert run_once(runtime) == 0


def test_a_case_outside_any_team_tells_every_supervisor(team):
    runtime = team["runtime"]
    with runtime.unit_of_work() as session:
        session.get(Case, team["case"]).team_id = None
    _deadline(runtime, case_id=team["case"], kind="review", set_hours_ago=700, due_in_hours=-2)
    run_once(runtime)
    drain(runtime.queue)
    assert {user for user, _body in _messages(runtime)} == {team["lead"], team["other_lead"]}


def test_a_warning_goes_to_the_supervisors_when_nobody_is_assigned(team):
    runtime = team["runtime"]
    with runtime.unit_of_work() as session:
        session.get(User, team["worker"]).phone = None
    _deadline(runtime, case_id=team["case"], set_hours_ago=20, due_in_hours=1)
    run_once(runtime)
    drain(runtime.queue)
    assert [user for user, _body in _messages(runtime)] == [team["lead"]]


def test_a_met_deadline_is_never_alerted(team):
    runtime = team["runtime"]
    _deadline(runtime, case_id=team["case"], set_hours_ago=20, due_in_hours=1)
    _deadline(runtime, case_id=team["case"], kind="assessment", set_hours_ago=30, due_in_hours=-1)
    with runtime.unit_of_work() as session:
        meet(session, "first_response", case_id=team["case"])
        meet(session, "assessment", case_id=team["case"])
    assert run_once(runtime) == 0
    # Even a job already queued for it writes nothing.
    with runtime.unit_of_work() as session:
        for deadline_id in session.scalars(select(CaseDeadline.id)):
            assert alert_deadline(session, deadline_id, runtime.timelines, "console") == []
    assert _messages(runtime) == []


def test_a_deadline_met_between_the_sweep_and_the_job_is_not_alerted(team):
    runtime = team["runtime"]
    _deadline(runtime, case_id=team["case"], set_hours_ago=20, due_in_hours=1)
    assert run_once(runtime) == 1
    with runtime.unit_of_work() as session:
        meet(session, "first_response", case_id=team["case"])
    drain(runtime.queue)
    assert _messages(runtime) == []


def test_a_deadline_alert_is_written_once_however_many_jobs_run(team):
    runtime = team["runtime"]
    deadline_id = _deadline(runtime, case_id=team["case"], set_hours_ago=20, due_in_hours=-1)
    for _ in range(3):
        with runtime.unit_of_work() as session:
            alert_deadline(session, deadline_id, runtime.timelines, "console")
    assert len(_messages(runtime)) == 1


def test_a_reports_assignment_date_alerts_the_organisations_supervisors(team):
    runtime = team["runtime"]
    with runtime.unit_of_work() as session:
        report = make_report(session, organisation_slug=team["slug"], danger_now=True)
        session.get(Report, report.id).alerted_at = utcnow()
    deadline_id = _deadline(runtime, report_id=report.id, kind="assignment", set_hours_ago=0.9, due_in_hours=0.1)
    run_once(runtime)
    drain(runtime.queue)
    with runtime.unit_of_work() as session:
        due = session.get(CaseDeadline, deadline_id).due_at
    bodies = dict(_messages(runtime))
    assert set(bodies) == {team["lead"], team["other_lead"]}
    assert bodies[team["lead"]] == (f"Relais: signalement {report.reference} à attribuer avant le "
                                    f"{due:%Y-%m-%d %H:%M} UTC.")


def test_a_decided_report_is_not_alerted(team):
    runtime = team["runtime"]
    with runtime.unit_of_work() as session:
        report = make_report(session, organisation_slug=team["slug"])
        session.get(Report, report.id).alerted_at = utcnow()
    _deadline(runtime, report_id=report.id, kind="assignment", set_hours_ago=3, due_in_hours=-0.5)
    with runtime.unit_of_work() as session:
        mark_not_eligible(session, report.id, organisation_id=team["org"], decided_by_id=team["lead"],
                          reason="adult")
    assert run_once(runtime) == 0
    assert _messages(runtime) == []


# -- the texts ------------------------------------------------------------------------------------------------

DUE = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("stage", ["warning", "overdue"])
# Every kind on a case; on a new report, only its assignment.
@pytest.mark.parametrize("kind, on_report", [
    *((kind, False) for kind in ("assignment", "first_response", "assessment", "case_plan", "review",
                                 "post_closure_check")),
    ("assignment", True),
])
def test_every_deadline_text_fits_one_plain_sms(language, stage, kind, on_report):
    reference = "WWWWWWWWWWWWWWWW"
    text = deadline_text(language, stage, kind, reference, DUE, on_report=on_report)
    assert reference in text and "2026-11-24 10:00" in text
    assert len(text) <= 160
    assert set(text) <= GSM7, set(text) - GSM7


def test_the_text_says_the_reference_and_what_is_due():
    assert deadline_text("en", "warning", "first_response", "ABC2345", DUE) == (
        "Relais: case ABC2345, first response due 2026-11-24 10:00 UTC.")
    assert deadline_text("fr", "warning", "case_plan", "ABC2345", DUE) == (
        "Relais: dossier ABC2345, plan d'intervention à faire avant le 2026-11-24 10:00 UTC.")
    # A case come in by transfer, not a new report, waits for its case worker.
    assert deadline_text("en", "overdue", "assignment", "ABC2345", DUE) == (
        "Relais: case ABC2345, assignment to a case worker was due 2026-11-24 10:00 UTC. It is overdue.")
    assert deadline_text("en", "warning", "assignment", "ABC2345", DUE, on_report=True) == (
        "Relais: report ABC2345 must be assigned by 2026-11-24 10:00 UTC.")
