"""Indicators against hand-counted fixtures, on both databases: reports of November 2026 (one at the last second,
one at the first second of December), their decisions and the case opened; every count by its breakdowns."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casecore.cases.models import Case, CaseTransfer, Referral
from casecore.deadlines.models import CaseDeadline
from casecore.directory.models import Service
from casecore.indicators.cases import case_indicators
from casecore.indicators.cells import NOT_COUNTS
from casecore.indicators.collect import indicators
from casecore.indicators.intake import intake_indicators
from casecore.indicators.trends import monthly_trend
from casecore.indicators.triage import triage_indicators
from casecore.indicators.work import work_indicators
from casecore.people.models import Location, Organisation
from casecore.periods import calendar_period
from casecore.reports.committees import register_member
from casecore.reports.models import Report
from tests.factories import make_case, make_locations, make_organisation, make_report, make_user

NOVEMBER = calendar_period("2026-11")
T = datetime(2026, 11, 10, 8, 0, tzinfo=timezone.utc)


def _values(values, indicator, **by):
    """{code tuple: value} of an indicator's values broken down by exactly the dimensions named in by (in order)."""
    wanted = tuple(by)
    return {tuple(code for _name, code in v.by): v.value for v in values
            if v.indicator == indicator and v.dimensions == wanted}


def _total(values, indicator):
    [value] = [v.value for v in values if v.indicator == indicator and not v.by]
    return value


@pytest.fixture
def november(any_db_runtime):
    rt = any_db_runtime
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        other = make_organisation(session)
        make_locations(session)
        supervisor = make_user(session, org, role="supervisor")
        register_member(session, org.id, name="Fanta", phone="+22376709999", committee="Comité",
                        registered_by_id=supervisor.id)
        reports = {
            "ussd": make_report(session, organisation_slug=org.slug, channel="ussd", concern="physical_abuse",
                                child_sex="female", child_age_band="6_11", location_code="ML090101"),
            "urgent": make_report(session, organisation_slug=org.slug, channel="sms", concern="child_marriage",
                                  child_sex="female", child_age_band="12_17", danger_now=True),
            "tracing": make_report(session, organisation_slug=org.slug, kind="tracing", concern="separated",
                                   child_sex="male", child_age_band="12_17", location_code="ML0901"),
            "committee": make_report(session, organisation_slug=org.slug, reporter_phone="+22376709999",
                                     concern="physical_abuse", child_sex="male", child_age_band="0_5"),
            "december": make_report(session, organisation_slug=org.slug, concern="physical_abuse"),
            "elsewhere": make_report(session, organisation_slug=other.slug, concern="physical_abuse"),
        }
        received = {"ussd": T, "urgent": T + timedelta(days=1), "tracing": datetime(2026, 11, 30, 23, 59, 59,
                    tzinfo=timezone.utc), "committee": T + timedelta(days=2),
                    "december": datetime(2026, 12, 1, tzinfo=timezone.utc), "elsewhere": T}
        for name, report in reports.items():
            session.get(Report, report.id).received_at = received[name]
        # Decisions: the USSD report accepted 2 h after, the urgent one found not eligible 30 min after.
        ussd = session.get(Report, reports["ussd"].id)
        urgent = session.get(Report, reports["urgent"].id)
        case = make_case(session, reports["ussd"], assigned_to_id=supervisor.id)
        case.risk_level, case.opened_at = "high", T + timedelta(hours=2)
        ussd.decided_at = T + timedelta(hours=2)
        urgent.status, urgent.decided_at = "not_eligible", T + timedelta(days=1, minutes=30)
        urgent.not_eligible_reason = "outside_area"
        # Assignment deadlines: the USSD report's 3 h (met in 2 h), the urgent one's 1 h (met in 30 min), the
        # committee report's passed and never met.
        for name, hours, met in (("ussd", 3, 2), ("urgent", 1, 0.5), ("committee", 3, None)):
            start = received[name]
            session.add(CaseDeadline(report_id=reports[name].id, kind="assignment", created_at=start,
                                     due_at=start + timedelta(hours=hours),
                                     met_at=None if met is None else start + timedelta(hours=met)))
        return rt, org.id


def test_reports_received_in_the_month_by_each_breakdown(november):
    rt, org_id = november
    with rt.unit_of_work(read_only=True) as session:
        values = intake_indicators(session, org_id, NOVEMBER)
    assert _total(values, "reports_received") == 4  # not December's first second, not another organisation's
    assert _values(values, "reports_received", channel=None) == {("sms",): 1, ("ussd",): 3}
    assert _values(values, "reports_received", sex=None) == {("female",): 2, ("male",): 2}
    assert _values(values, "reports_received", region=None) == {("ML09",): 2, ("none",): 2}
    # A commune counts in its cercle, a report placed at the cercle in it (with their region); none for the two
    # with no place.
    assert _values(values, "reports_received", region=None, cercle=None) == {("ML09", "ML0901"): 2,
                                                                             ("none", "none"): 2}
    assert _values(values, "reports_received", source=None) == {("committee",): 1, ("community",): 3}
    assert _values(values, "reports_received", kind=None) == {("child_at_risk",): 3, ("tracing",): 1}
    crossed = _values(values, "reports_received", sex=None, age_band=None, concern=None, region=None)
    assert crossed[("female", "6_11", "physical_abuse", "ML09")] == 1 and sum(crossed.values()) == 4
    assert _total(values, "reports_urgent") == 2  # danger now, and a missing child
    assert _total(values, "tracing_requests") == 1
    assert _total(values, "reports_not_eligible") == 1
    assert _values(values, "reports_not_eligible", reason=None) == {("outside_area",): 1}


def test_time_to_decision_and_the_share_decided_in_time(november):
    rt, org_id = november
    with rt.unit_of_work(read_only=True) as session:
        values = triage_indicators(session, org_id, NOVEMBER, now=datetime(2026, 12, 5, tzinfo=timezone.utc))
    assert _total(values, "triage_decided") == 2
    assert _total(values, "triage_hours_median") == 1.25
    assert _total(values, "triage_hours_p90") == pytest.approx(1.85)
    # Two met in time, one past its deadline without a decision.
    assert _total(values, "triage_in_time_share") == pytest.approx(0.6667)


def test_cases_opened_and_open_at_the_end_of_the_month(november):
    rt, org_id = november
    with rt.unit_of_work(read_only=True) as session:
        values = case_indicators(session, org_id, NOVEMBER)
        october = case_indicators(session, org_id, calendar_period("2026-10"))
    assert _total(values, "cases_opened") == 1 and _values(values, "cases_opened", risk_level=None) == {("high",): 1}
    # The child's, from the report: a girl of 6 to 11, physical abuse, in a commune of Bamako's region.
    assert _values(values, "cases_opened", sex=None, age_band=None, concern=None, region=None) == {
        ("female", "6_11", "physical_abuse", "ML09"): 1}
    assert _total(values, "cases_open_at_end") == 1 and _total(values, "cases_closed") == 0
    assert _total(october, "cases_opened") == 0 and _total(october, "cases_open_at_end") == 0


def test_a_case_closed_in_the_month_counts_by_its_reason_and_is_not_open_at_the_end(november):
    rt, org_id = november
    with rt.unit_of_work() as session:
        case = session.scalar(select(Case).where(Case.organisation_id == org_id))
        case.status, case.closed_at, case.closure_reason = "closed", T + timedelta(days=5), "goals_met_safe"
    with rt.unit_of_work(read_only=True) as session:
        values = case_indicators(session, org_id, NOVEMBER)
    assert _values(values, "cases_closed", closure_reason=None) == {("goals_met_safe",): 1}
    assert _total(values, "cases_open_at_end") == 0


def test_everything_in_one_list_with_small_cells_withheld(november):
    rt, org_id = november
    with rt.unit_of_work(read_only=True) as session:
        shown = indicators(session, org_id, NOVEMBER, min_cell=5)
        exact = indicators(session, org_id, NOVEMBER, min_cell=1)
    assert all(v.suppressed for v in shown if isinstance(v.value, int) and 0 < v.value < 5
               and v.indicator not in NOT_COUNTS)  # counts of staff are no child's
    assert [v for v in shown if v.indicator == "triage_hours_median"][0].suppressed  # from 2 decisions
    assert not any(v.suppressed for v in exact)


def test_a_place_under_no_region_is_counted_as_none(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        session.add(Location(code="XX01", name="Orphan commune", level=3, parent_id=None))
        session.flush()
        make_report(session, organisation_slug=org.slug, location_code="XX01")
        from casecore.periods import period_for
        values = intake_indicators(session, org.id, period_for("this_month"))
    assert _values(values, "reports_received", region=None) == {("none",): 1}
    assert _values(values, "reports_received", region=None, cercle=None) == {("none", "none"): 1}


def test_deadlines_workload_referrals_and_transfers(november):
    rt, org_id = november
    now = datetime(2026, 12, 5, tzinfo=timezone.utc)
    with rt.unit_of_work() as session:
        case = session.scalar(select(Case).where(Case.organisation_id == org_id))
        for kind, due, met in (("first_response", T + timedelta(days=1), T + timedelta(hours=5)),
                               ("assessment", T + timedelta(days=3), None),
                               ("case_plan", T + timedelta(days=40), None)):  # December: not this month's
            session.add(CaseDeadline(case_id=case.id, kind=kind, due_at=due, met_at=met, created_at=T))
        organisation = session.get(Organisation, org_id)
        worker = make_user(session, organisation, role="caseworker")
        make_user(session, organisation, role="caseworker")  # no case
        case.assigned_to_id = worker.id
        service = Service(organisation_id=org_id, provider_name="Centre d'écoute",
                          service_type="mental_health_psychosocial")
        session.add(service)
        session.flush()
        consent_user = worker.id
        for status, counter, days in (("accepted", "Suivi en cours", 2), ("sent", None, 0), ("done", None, 4)):
            session.add(Referral(case_id=case.id, service_id=service.id, status=status, created_by_id=consent_user,
                                 counter_referral_notes=counter, created_at=T, updated_at=T + timedelta(days=days)))
        other = make_organisation(session)
        session.add(CaseTransfer(case_id=case.id, from_organisation_id=org_id, to_organisation_id=other.id,
                                 status="accepted", requested_by_id=consent_user, requested_at=T,
                                 decided_at=T + timedelta(days=1)))
        other_id = other.id
    with rt.unit_of_work(read_only=True) as session:
        values = work_indicators(session, org_id, NOVEMBER, caseload_limit=0, now=now)
        theirs = work_indicators(session, other_id, NOVEMBER, caseload_limit=0, now=now)
    shares = _values(values, "deadlines_met_share", deadline_kind=None, risk_level=None)
    assert shares == {("assessment", "high"): 0.0, ("first_response", "high"): 1.0}
    assert _values(values, "deadlines_overdue_now", deadline_kind=None) == {("assessment",): 1}
    assert _total(values, "case_workers") == 2 and _total(values, "case_workers_over_limit") == 1
    assert _total(values, "open_caseload_max") == 1 and _total(values, "open_caseload_median") == 0.5
    assert _total(values, "referrals_made") == 3
    assert _values(values, "referrals_made", service_type=None) == {("mental_health_psychosocial",): 3}
    assert _values(values, "referrals_made", status=None) == {("accepted",): 1, ("done",): 1, ("sent",): 1}
    assert _total(values, "referrals_counter_referred") == 1
    assert _total(values, "referral_days_to_acceptance_median") == 3.0
    assert (_total(values, "transfers_out"), _total(values, "transfers_in")) == (1, 0)
    assert (_total(theirs, "transfers_out"), _total(theirs, "transfers_in")) == (0, 1)


def test_a_deployment_counts_its_own_days_whatever_the_time_zone(any_db_runtime):
    """Nairobi (UTC+3): 21:30 UTC on 30 November is half past midnight on 1 December there; 22:00 UTC on
    31 October is already November. Bamako keeps UTC: the same two reports fall the other way."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        for moment in (datetime(2026, 11, 30, 21, 30, tzinfo=timezone.utc),
                       datetime(2026, 10, 31, 22, 0, tzinfo=timezone.utc)):
            session.get(Report, make_report(session, organisation_slug=org.slug).id).received_at = moment
        org_id = org.id
    nairobi, bamako = ZoneInfo("Africa/Nairobi"), ZoneInfo("Africa/Bamako")
    with any_db_runtime.unit_of_work(read_only=True) as session:
        def received(month, zone):
            return _total(intake_indicators(session, org_id, calendar_period(month, zone), crossed=False),
                          "reports_received")
        assert (received("2026-10", nairobi), received("2026-11", nairobi), received("2026-12", nairobi)) == (0, 1, 1)
        assert (received("2026-10", bamako), received("2026-11", bamako), received("2026-12", bamako)) == (1, 1, 0)


def test_transferred_and_reopened_cases_count_where_and_when_they_were_held(any_db_runtime):
    """Hand-counted: case X opened by A on 20 September, moved to B on 10 November (accepted), with a deadline
    met in October at A and one in November at B, a referral made in October by A and one in November by B;
    case Y opened by A on 1 September, closed on 10 October, reopened on 5 November."""
    def at(month, day):
        return datetime(2026, month, day, 9, 0, tzinfo=timezone.utc)

    with any_db_runtime.unit_of_work() as session:
        a, b = make_organisation(session), make_organisation(session)
        worker = make_user(session, a, role="caseworker")
        moved = make_case(session, organisation_slug=a.slug)
        reopened = make_case(session, organisation_slug=a.slug)
        moved.opened_at, reopened.opened_at = at(9, 20), at(9, 1)
        reopened.reopened_at = at(11, 5)  # closed on 10 October: reopening keeps no closure date
        session.add(CaseTransfer(case_id=moved.id, from_organisation_id=a.id, to_organisation_id=b.id,
                                 status="accepted", requested_by_id=worker.id, requested_at=at(11, 9),
                                 decided_at=at(11, 10)))
        moved.organisation_id = b.id  # as accepting the transfer does
        session.add(CaseDeadline(case_id=moved.id, kind="case_plan", created_at=at(9, 20), due_at=at(10, 15),
                                 met_at=at(10, 14)))
        session.add(CaseDeadline(case_id=moved.id, kind="review", created_at=at(11, 10), due_at=at(11, 20),
                                 met_at=at(11, 19)))  # at B
        service = Service(organisation_id=a.id, provider_name="Centre", service_type="health")
        session.add(service)
        session.flush()
        for made in (at(10, 1), at(11, 15)):  # by A, then by B
            session.add(Referral(case_id=moved.id, service_id=service.id, status="sent", created_by_id=worker.id,
                                 created_at=made, updated_at=made))
        a_id, b_id = a.id, b.id
    now = at(12, 5)
    with any_db_runtime.unit_of_work(read_only=True) as session:
        def counts(org_id, month, *names):
            period = calendar_period(month)
            values = (case_indicators(session, org_id, period)
                      + work_indicators(session, org_id, period, caseload_limit=25, now=now))
            return tuple(_total(values, name) for name in names)

        names = ("cases_opened", "cases_reopened", "cases_open_at_end", "transfers_in", "transfers_out",
                 "referrals_made")
        assert counts(a_id, "2026-09", *names) == (2, 0, 2, 0, 0, 0)
        assert counts(a_id, "2026-10", *names) == (0, 0, 2, 0, 0, 1)
        assert counts(a_id, "2026-11", *names) == (0, 1, 1, 0, 1, 0)
        assert counts(b_id, "2026-09", *names) == (0, 0, 0, 0, 0, 0)
        assert counts(b_id, "2026-10", *names) == (0, 0, 0, 0, 0, 0)
        assert counts(b_id, "2026-11", *names) == (0, 0, 1, 1, 0, 1)
        october_a = work_indicators(session, a_id, calendar_period("2026-10"), caseload_limit=25, now=now)
        october_b = work_indicators(session, b_id, calendar_period("2026-10"), caseload_limit=25, now=now)
        assert _values(october_a, "deadlines_met_share", deadline_kind=None) == {("case_plan",): 1.0}
        assert _values(october_b, "deadlines_met_share", deadline_kind=None) == {}
        november = [work_indicators(session, org_id, calendar_period("2026-11"), caseload_limit=25, now=now)
                    for org_id in (a_id, b_id)]
        assert [_values(values, "deadlines_met_share", deadline_kind=None) for values in november] == [
            {}, {("review",): 1.0}]
        trend_a = monthly_trend(session, a_id, calendar_period("2026-11"), months=3)
        assert _values(trend_a, "cases_opened", month=None) == {("2026-09",): 2, ("2026-10",): 0, ("2026-11",): 0}
