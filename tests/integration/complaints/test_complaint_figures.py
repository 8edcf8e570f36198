"""Complaint figures on both databases: the breakdowns count exactly the complaints the viewer may read (nothing
of one naming them, nothing sensitive for a supervisor, nothing for an administrator); times to acknowledge and
resolve; the share closed within the deadline and its edges; every organisation's counts in bands, 0 to 4 together,
over ended months only; the periods and their refusals."""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from casecore.complaints import handling
from casecore.complaints.figures import Band, banded, complaint_figures
from casecore.complaints.intake import ComplaintDraft, log_complaint, submit_complaint
from casecore.complaints.models import Complaint
from casecore.errors import InvalidInput
from casecore.periods import Period, ended_months, period_for
from casecore.stats import percentile
from tests.factories import as_staff, make_organisation, make_user

COMPLAINANT = "+22376701430"
_sessions = itertools.count(1)


def complain(session, org, timelines, *, category="service_quality", channel="ussd", description=None):
    """A complaint made on a community channel, through the real service; returns its id."""
    draft = ComplaintDraft(
        organisation_id=org.id, channel=channel, channel_session_id=f"ATUid_fig{next(_sessions)}",
        category=category, anonymous=False, contact_phone=COMPLAINANT, may_contact=True, description=description,
        language="fr", complainant_key=None)
    return submit_complaint(session, draft, "ML", timelines).id


def log_in_person(session, staff, timelines, *, category="service_quality", channel="in_person", named=()):
    """A complaint a staff member logged, through the real service; returns its id."""
    return log_complaint(session, as_staff(staff), channel=channel, category=category,
                         description="Reçu au bureau de Kati", anonymous=False, contact="76 70 14 30",
                         may_contact=True, language="fr", form_key=str(uuid.uuid4()), named_staff_ids=list(named),
                         default_region="ML", timelines=timelines).id


def set_times(session, complaint_id, **times):
    """Put a complaint's timestamps where the test wants them."""
    session.execute(update(Complaint).where(Complaint.id == complaint_id).values(**times)
                    .execution_options(synchronize_session=False))


def close_through_workflow(session, focal_point, complaint_id):
    """Acknowledge, resolve, inform and close, as a focal point does."""
    me = as_staff(focal_point)
    handling.acknowledge(session, me, complaint_id)
    handling.resolve(session, me, complaint_id, "Entretien avec l'équipe, excuses présentées.")
    handling.inform_complainant(session, me, complaint_id, "Votre plainte est traitée.", sms_backend="console")
    handling.close(session, me, complaint_id)


def today_period() -> Period:
    today = datetime.now(timezone.utc).date()
    return Period("custom", today - timedelta(days=1), today)


# -- counts ----------------------------------------------------------------------------------------------------------

def test_a_focal_point_counts_by_category_channel_severity_and_status(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session, name="Enfance Kati")
        other = make_organisation(session, name="Aide Bamako")
        focal_point = make_user(session, org, role="focal_point")
        worker = make_user(session, org, role="caseworker")
        for channel in ("ussd", "ussd", "sms", "whatsapp"):
            complain(session, org, timelines, channel=channel)
        complain(session, org, timelines, category="sexual_exploitation_abuse", channel="sms")
        complain(session, org, timelines, category="no_response")
        log_in_person(session, worker, timelines, category="staff_misconduct")
        log_in_person(session, worker, timelines, channel="phone_call")
        closed = complain(session, org, timelines, category="other")
        close_through_workflow(session, focal_point, closed)
        acknowledged = complain(session, org, timelines)
        handling.acknowledge(session, as_staff(focal_point), acknowledged)
        for _ in range(3):
            complain(session, other, timelines)

        figures = complaint_figures(session, as_staff(focal_point), today_period())

    mine = figures.breakdowns
    assert not mine.empty
    assert mine.by_category == {"service_quality": 6, "no_response": 1, "staff_misconduct": 1,
                                "sexual_exploitation_abuse": 1, "fraud_corruption": 0, "data_breach": 0, "other": 1}
    assert mine.total == 10
    assert mine.by_channel == {"ussd": 5, "sms": 2, "whatsapp": 1, "web": 0, "in_person": 1, "phone_call": 1}
    assert mine.by_severity == {"critical": 1, "high": 1, "medium": 1, "low": 7}
    assert mine.by_status == {"new": 8, "acknowledged": 1, "investigating": 0, "resolved": 0, "closed": 1}
    # Yesterday and today: no month of it has ended, so the table by organisation counts nothing.
    assert (figures.organisations.months, figures.organisations.rows) == (None, [])


def test_only_complaints_received_in_the_period_are_counted(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        focal_point = make_user(session, org, role="focal_point")
        inside, before, after = (complain(session, org, timelines) for _ in range(3))
        set_times(session, inside, received_at=datetime(2026, 3, 31, 23, 59, 59, tzinfo=timezone.utc))
        set_times(session, before, received_at=datetime(2026, 2, 28, 23, 59, 59, tzinfo=timezone.utc))
        set_times(session, after, received_at=datetime(2026, 4, 1, tzinfo=timezone.utc))
        march = period_for("custom", "2026-03-01", "2026-03-31")
        assert complaint_figures(session, as_staff(focal_point), march).breakdowns.total == 1


# -- need to know ------------------------------------------------------------------------------------------------------

def test_a_complaint_naming_a_focal_point_leaves_no_trace_in_their_figures(any_db_runtime):
    timelines = any_db_runtime.timelines
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        named, colleague = (make_user(session, org, role="focal_point") for _ in range(2))
        worker = make_user(session, org, role="caseworker")
        complain(session, org, timelines)
        about = log_in_person(session, worker, timelines, category="staff_misconduct", channel="phone_call",
                              named=[named.id])
        handling.acknowledge(session, as_staff(colleague), about)
        set_times(session, about, acknowledged_at=now - timedelta(minutes=1), due_at=now - timedelta(minutes=1))
        seen = {who: complaint_figures(session, as_staff(person), Period("custom", now.date(), now.date()), now=now)
                for who, person in (("named", named), ("colleague", colleague))}

    mine = seen["named"].breakdowns
    assert mine.total == 1 and mine.by_category["staff_misconduct"] == 0
    assert mine.by_channel["phone_call"] == 0 and mine.by_severity["high"] == 0
    assert mine.by_status == {"new": 1, "acknowledged": 0, "investigating": 0, "resolved": 0, "closed": 0}
    assert (mine.acknowledge["all"].done, mine.acknowledge["all"].waiting) == (0, 1)
    assert (mine.deadlines["all"].judged, mine.deadlines["all"].open_past_due) == (0, 0)
    # The other focal point, who may read it, counts it everywhere.
    theirs = seen["colleague"].breakdowns
    assert theirs.total == 2 and theirs.by_category["staff_misconduct"] == 1 and theirs.by_channel["phone_call"] == 1
    assert (theirs.deadlines["all"].judged, theirs.deadlines["all"].open_past_due) == (1, 1)


def test_a_supervisor_counts_neither_sensitive_complaints_nor_those_naming_them(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        supervisor = make_user(session, org, role="supervisor")
        worker = make_user(session, org, role="caseworker")
        for _ in range(2):
            complain(session, org, timelines, category="sexual_exploitation_abuse", channel="sms")
        complain(session, org, timelines, category="fraud_corruption", channel="whatsapp")
        for _ in range(3):
            complain(session, org, timelines, category="service_quality", channel="ussd")
        log_in_person(session, worker, timelines, category="no_response", named=[supervisor.id])
        figures = complaint_figures(session, as_staff(supervisor), today_period())

    mine = figures.breakdowns
    # No row at all for the sensitive categories they never read.
    assert mine.by_category == {"service_quality": 3, "no_response": 0, "other": 0}
    assert mine.by_channel == {"ussd": 3, "sms": 0, "whatsapp": 0, "web": 0, "in_person": 0, "phone_call": 0}
    assert mine.by_severity == {"critical": 0, "high": 0, "medium": 0, "low": 3}
    assert mine.acknowledge["all"].waiting == 3 and mine.resolve["all"].waiting == 3


def test_an_administrator_gets_the_table_by_organisation_only(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session, name="Enfance Kati")
        admin = make_user(session, org, role="admin")
        complain(session, org, timelines)
        figures = complaint_figures(session, as_staff(admin), period_for("last_month"))
    assert figures.breakdowns is None
    assert [row.name for row in figures.organisations.rows] == ["Enfance Kati"]


# -- the table by organisation -----------------------------------------------------------------------------------------

def test_every_organisation_is_counted_in_bands_over_ended_months_only(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        kati = make_organisation(session, name="Enfance Kati")
        bamako = make_organisation(session, name="Aide Bamako")
        make_organisation(session, name="Zéro plainte")
        people = {role: make_user(session, kati, role=role) for role in ("focal_point", "supervisor", "admin")}

        def received(org, category, day, n=1):
            for _ in range(n):
                complaint_id = complain(session, org, timelines, category=category)
                set_times(session, complaint_id, received_at=datetime.combine(day, datetime.min.time(),
                                                                              timezone.utc) + timedelta(hours=9))

        received(kati, "service_quality", date(2025, 2, 1), 2)
        received(kati, "staff_misconduct", date(2025, 3, 31))
        received(kati, "service_quality", date(2025, 1, 31), 9)  # in January, cut: not a whole month of the period
        received(kati, "service_quality", date(2025, 4, 1), 9)  # after the period
        received(bamako, "service_quality", date(2025, 2, 14), 2)
        received(bamako, "sexual_exploitation_abuse", date(2025, 3, 2), 5)
        period = period_for("custom", "2025-01-15", "2025-03-31")
        seen = {who: complaint_figures(session, as_staff(person), period) for who, person in people.items()}

    for who, figures in seen.items():
        table = figures.organisations
        assert (table.months.first, table.months.last) == (date(2025, 2, 1), date(2025, 3, 31))
        rows = {row.name: (row.own, row.complaints, row.sensitive) for row in table.rows}
        # 3 complaints, 1 sensitive, and none: the same band, "fewer than 5".
        expected = {"Aide Bamako": (False, Band(5, 9), Band(5, 9)), "Enfance Kati": (True, Band(0, 4), Band(0, 4)),
                    "Zéro plainte": (False, Band(0, 4), Band(0, 4))}
        if who != "admin":
            # Beside their exact breakdowns, their own organisation's band would tell what is kept from them.
            del expected["Enfance Kati"]
        assert rows == expected
    # The breakdowns keep the dates asked for, January's complaints included.
    assert seen["focal_point"].breakdowns.total == 12 and seen["supervisor"].breakdowns.total == 11


def test_bands_of_five_keep_0_to_4_together():
    assert [banded(n) for n in (0, 1, 4, 5, 9, 10, 23)] == [
        Band(0, 4), Band(0, 4), Band(0, 4), Band(5, 9), Band(5, 9), Band(10, 14), Band(20, 24)]
    assert banded(3).fewer_than_band and not banded(5).fewer_than_band


@pytest.mark.parametrize("name, first, last, months", [
    ("this_month", None, None, None),
    ("last_month", None, None, (date(2026, 2, 1), date(2026, 2, 28))),
    ("last_90_days", None, None, (date(2026, 1, 1), date(2026, 2, 28))),
    ("this_year", None, None, (date(2026, 1, 1), date(2026, 2, 28))),
    ("custom", "2026-03-01", "2026-03-14", None),  # the current month, not ended
    ("custom", "2026-02-02", "2026-03-14", None),  # February lacks its first day
    ("custom", "2025-12-01", "2026-02-27", (date(2025, 12, 1), date(2026, 1, 31))),
    ("custom", "2024-02-01", "2024-02-29", (date(2024, 2, 1), date(2024, 2, 29))),
    ("custom", "2026-01-01", "2028-12-31", (date(2026, 1, 1), date(2026, 2, 28))),  # the future is cut too
])
def test_the_table_by_organisation_covers_whole_ended_months(name, first, last, months):
    today = date(2026, 3, 15)
    covered = ended_months(period_for(name, first, last, today=today), today)
    assert (covered.first, covered.last) == months if months else covered is None


def test_this_year_in_january_covers_no_month_yet():
    assert ended_months(period_for("this_year", today=date(2026, 1, 31)), date(2026, 1, 31)) is None
    assert ended_months(period_for("last_month", today=date(2026, 1, 1)), date(2026, 1, 1)) == Period(
        "months", date(2025, 12, 1), date(2025, 12, 31))


# -- times to acknowledge and to resolve -----------------------------------------------------------------------------

def test_median_and_90th_percentile_of_the_times_and_those_still_waiting(any_db_runtime):
    timelines = any_db_runtime.timelines
    received = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=12)
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        focal_point = make_user(session, org, role="focal_point")
        me = as_staff(focal_point)
        ids = [complain(session, org, timelines, category="no_response") for _ in range(6)]
        for complaint_id in ids[:5]:
            handling.acknowledge(session, me, complaint_id)
        for complaint_id in ids[:2]:
            handling.resolve(session, me, complaint_id, "Réponse donnée.")
        for complaint_id, ack_hours in zip(ids, (1, 2, 3, 4, 10)):
            set_times(session, complaint_id, received_at=received,
                      acknowledged_at=received + timedelta(hours=ack_hours))
        set_times(session, ids[0], resolved_at=received + timedelta(hours=5))
        set_times(session, ids[1], resolved_at=received + timedelta(hours=8, minutes=30))
        set_times(session, ids[5], received_at=received)

        figures = complaint_figures(session, me, today_period())

    acknowledge, resolve = figures.breakdowns.acknowledge, figures.breakdowns.resolve
    assert (acknowledge["all"].done, acknowledge["all"].waiting) == (5, 1)
    assert acknowledge["all"].median_hours == pytest.approx(3, abs=1e-3)
    # Interpolated as percentile_cont: 0.9 x 4 = 3.6, so 4 + 0.6 x (10 - 4).
    assert acknowledge["all"].p90_hours == pytest.approx(7.6, abs=1e-3)
    assert acknowledge["medium"] == acknowledge["all"]
    assert acknowledge["critical"].done == 0 and acknowledge["critical"].median_hours is None
    assert (resolve["all"].done, resolve["all"].waiting) == (2, 4)
    assert resolve["all"].median_hours == pytest.approx(6.75, abs=1e-3)
    assert resolve["all"].p90_hours == pytest.approx(8.15, abs=1e-3)


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 3.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


# -- closed within the deadline ----------------------------------------------------------------------------------------

def test_share_closed_within_the_deadline_and_its_edges(any_db_runtime):
    timelines = any_db_runtime.timelines
    now = datetime.now(timezone.utc).replace(microsecond=0)
    period = Period("custom", (now - timedelta(days=10)).date(), now.date())
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        focal_point = make_user(session, org, role="focal_point")

        def closed(category, due, closed_at):
            complaint_id = complain(session, org, timelines, category=category)
            close_through_workflow(session, focal_point, complaint_id)
            set_times(session, complaint_id, due_at=due, closed_at=closed_at)

        due = now - timedelta(days=2)
        closed("service_quality", due, due)  # exactly at the deadline: within
        closed("service_quality", due, due + timedelta(seconds=1))  # a second late: missed
        closed("no_response", now - timedelta(days=30), now - timedelta(days=3))  # closed in the period, late
        closed("no_response", now - timedelta(days=30), now - timedelta(days=40))  # neither in the period: left out
        late = complain(session, org, timelines, category="sexual_exploitation_abuse")
        set_times(session, late, due_at=now - timedelta(hours=1))  # open past its deadline: missed
        old_late = complain(session, org, timelines)
        set_times(session, old_late, due_at=now - timedelta(days=60))  # open past it, deadline before the period
        complain(session, org, timelines)  # open, deadline to come: not yet judged

        figures = complaint_figures(session, as_staff(focal_point), period, now=now)

    deadlines = figures.breakdowns.deadlines
    assert (deadlines["all"].judged, deadlines["all"].within, deadlines["all"].open_past_due) == (4, 1, 2)
    assert deadlines["all"].share == pytest.approx(0.25)
    assert (deadlines["low"].judged, deadlines["low"].within, deadlines["low"].open_past_due) == (2, 1, 1)
    assert (deadlines["medium"].judged, deadlines["medium"].within) == (1, 0)
    critical = deadlines["critical"]
    assert (critical.judged, critical.within, critical.open_past_due) == (1, 0, 1)
    assert deadlines["high"].share is None


def test_no_complaint_in_the_period_gives_empty_figures_without_dividing_by_zero(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        figures = complaint_figures(session, as_staff(make_user(session, org, role="supervisor")), today_period())
    mine = figures.breakdowns
    assert mine.empty and mine.total == 0
    assert mine.deadlines["all"].share is None and mine.acknowledge["all"].median_hours is None
    assert all(n == 0 for n in mine.by_channel.values())


# -- periods -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, first, last", [
    ("this_month", date(2026, 3, 1), date(2026, 3, 15)),
    ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
    ("last_90_days", date(2025, 12, 16), date(2026, 3, 15)),
    ("this_year", date(2026, 1, 1), date(2026, 3, 15)),
    (None, date(2026, 3, 1), date(2026, 3, 15)),
])
def test_named_periods(name, first, last):
    period = period_for(name, today=date(2026, 3, 15))
    assert (period.first, period.last) == (first, last)
    assert period.end == datetime(last.year, last.month, last.day, tzinfo=timezone.utc) + timedelta(days=1)


def test_last_month_in_january_is_last_december():
    period = period_for("last_month", today=date(2026, 1, 10))
    assert (period.first, period.last) == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize("name, first, last, reason", [
    ("custom", "2026-03-10", "2026-03-01", "the start date is after the end date"),
    ("custom", "2020-01-01", "2023-01-01", "a period is at most 3 years"),
    ("custom", "2026-13-01", "2026-12-01", "write both dates as DD/MM/YYYY"),
    ("custom", "", "2026-12-01", "write both dates as DD/MM/YYYY"),
    ("custom", "20260301", "2026-12-01", "write both dates as DD/MM/YYYY"),
    ("custom", "1999-12-31", "2000-01-31", "give dates between 2000 and 2099"),
    ("yesterday", None, None, "choose a period from the list"),
])
def test_bad_periods_are_refused_with_the_reason(name, first, last, reason):
    with pytest.raises(InvalidInput, match=reason):
        period_for(name, first, last, today=date(2026, 3, 15))


def test_a_custom_period_of_three_years_is_accepted():
    period = period_for(None, "2023-01-01", "2025-12-31")
    assert (period.name, period.first, period.last) == ("custom", date(2023, 1, 1), date(2025, 12, 31))
