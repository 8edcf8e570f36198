"""Tracing reports, descriptions and reporter keys; a report's status, told only to the number that made it."""
import pytest
from sqlalchemy import select

from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.cases.status import report_status
from casecore.errors import InvalidInput
from casecore.phones import phone_key
from casecore.reports.models import Report
from tests.factories import make_case, make_organisation, make_report

SECRET = "test-secret"
KEY = phone_key("+22376701430", SECRET)
OTHER_KEY = phone_key("+22376701431", SECRET)


def stored(runtime, report_id) -> Report:
    with runtime.unit_of_work() as session:
        return session.get(Report, report_id)


def test_a_tracing_report_is_stored_and_always_urgent(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        submitted = make_report(
            session, kind="tracing", concern="separated", danger_now=False, last_seen="yesterday",
            relationship="parent", description="  Fille, robe bleue, vue au marché  ", reporter_key=KEY,
        )
    assert submitted.urgent
    report = stored(any_db_runtime, submitted.id)
    assert (report.kind, report.last_seen, report.relationship) == ("tracing", "yesterday", "parent")
    assert report.description == "Fille, robe bleue, vue au marché"
    assert report.reporter_key == KEY and report.urgent


def test_existing_callers_make_child_at_risk_reports(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        submitted = make_report(session, concern="child_labour")
    report = stored(any_db_runtime, submitted.id)
    assert (report.kind, report.description, report.reporter_key, report.last_seen) == (
        "child_at_risk", None, None, None)
    assert not submitted.urgent


def test_a_description_is_trimmed_and_an_empty_one_is_none(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        long = make_report(session, description="x" * 600)
        blank = make_report(session, description="   ")
    assert stored(any_db_runtime, long.id).description == "x" * 500
    assert stored(any_db_runtime, blank.id).description is None


@pytest.mark.parametrize("field, value", [
    ("kind", "lost_goat"), ("last_seen", "last_year"), ("relationship", "stranger"), ("reporter_key", "k" * 65),
])
def test_unknown_codes_are_refused(any_db_runtime, field, value):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        with pytest.raises(InvalidInput):
            make_report(session, **{field: value})


def test_the_status_is_told_to_the_number_that_made_the_report_only(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        # Anonymous: no number kept, but the key still lets that number ask.
        report = make_report(session, reporter_phone=None, consent_to_share=False, reporter_key=KEY)
        other = make_report(session, reporter_key=OTHER_KEY)
    spaced = " ".join(report.reference.lower())
    with any_db_runtime.unit_of_work() as session:
        assert report_status(session, report.reference, KEY) == "new"
        assert report_status(session, spaced, KEY) == "new"
        assert report_status(session, f"{report.reference[:3]}-{report.reference[3:]}", KEY) == "new"
        # The same None whether the reference or the number is wrong.
        assert report_status(session, report.reference, OTHER_KEY) is None
        assert report_status(session, other.reference, KEY) is None
        assert report_status(session, "ABCDEFG", KEY) is None
        assert report_status(session, "", KEY) is None
        assert report_status(session, report.reference, None) is None
        assert report_status(session, report.reference, "") is None


def test_a_report_without_a_key_cannot_be_checked(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        report = make_report(session)
    with any_db_runtime.unit_of_work() as session:
        assert report_status(session, report.reference, KEY) is None


def test_the_status_follows_the_report_and_then_its_case(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        report = make_report(session, reporter_key=KEY)
        duplicate = make_report(session, reporter_key=KEY)
        session.get(Report, duplicate.id).status = "duplicate"
    with any_db_runtime.unit_of_work() as session:
        assert report_status(session, duplicate.reference, KEY) == "duplicate"
        case = make_case(session, report)
    with any_db_runtime.unit_of_work() as session:
        assert report_status(session, report.reference, KEY) == "accepted"
        closing = session.get(Case, case.id)
        closing.status, closing.closed_at = "closed", utcnow()
    with any_db_runtime.unit_of_work() as session:
        assert report_status(session, report.reference, KEY) == "closed"
        assert report_status(session, report.reference, OTHER_KEY) is None


def test_a_reopened_report_answers_with_its_newest_case(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        report = make_report(session, reporter_key=KEY)
        make_case(session, report, status="closed")
    with any_db_runtime.unit_of_work() as session:
        make_case(session, report)
        assert len(session.scalars(select(Case.id)).all()) == 2
        assert report_status(session, report.reference, KEY) == "accepted"
