"""Report intake on each database: stored once per provider session, a unique reference, E.164 numbers."""
import threading

from sqlalchemy import func, select

from casecore.references import is_valid_reference
from casecore.reports.intake import ReportDraft, submit_report
from casecore.reports.models import Report
from tests.factories import make_locations, make_organisation, make_report


def draft(**overrides) -> ReportDraft:
    values = dict(
        channel="ussd", channel_session_id="ATUid_1", reporter_phone="76 70 14 30", language="fr",
        concern="child_marriage", danger_now=True, child_sex="female", child_age_band="12_17",
        location_code="ML090101", may_contact=True, consent_to_share=True, answers={"concern": "child_marriage"},
    )
    values.update(overrides)
    return ReportDraft(**values)


def test_a_report_is_stored_with_what_triage_needs(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_locations(session)
        submitted = submit_report(session, draft(), organisation_id=org.id, default_region="ML")
    with any_db_runtime.unit_of_work() as session:
        report = session.get(Report, submitted.id)
        assert report.reporter_phone == "+22376701430"
        assert report.urgent and report.status == "new" and report.alerted_at is None
        assert report.location.code == "ML090101"
        assert report.received_at.tzinfo is not None
        assert report.answers == {"concern": "child_marriage"}
    assert is_valid_reference(submitted.reference) and submitted.is_new


def test_the_same_session_submitted_twice_is_one_report(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        first = make_report(session, channel_session_id="ATUid_twice")
    with any_db_runtime.unit_of_work() as session:
        second = make_report(session, channel_session_id="ATUid_twice")
        assert session.scalar(select(func.count(Report.id))) == 1
    assert (second.reference, second.is_new) == (first.reference, False)


def test_concurrent_submits_of_one_session_store_one_report(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        organisation_id = make_organisation(session).id
    results, errors = [], []

    def submit():
        try:
            with any_db_runtime.unit_of_work() as session:
                results.append(submit_report(session, draft(location_code=None), organisation_id=organisation_id,
                                             default_region="ML"))
        except Exception as exc:  # collected: the assertion below says what went wrong
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(Report.id))) == 1
    assert not errors
    assert len(results) == 4 and len({r.reference for r in results}) == 1


def test_an_unreadable_number_keeps_the_report(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        submitted = make_report(session, reporter_phone="not a number")
    with any_db_runtime.unit_of_work() as session:
        report = session.get(Report, submitted.id)
        assert report.reporter_phone is None
        assert report.answers["reporter_phone_unparsed"] == "not a number"


def test_a_reporter_known_by_a_whatsapp_business_scoped_id_stays_anonymous(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        submitted = submit_report(session, draft(channel="whatsapp", reporter_phone="US.13491208655302741918"),
                                  organisation_id=org.id, default_region="ML")
    with any_db_runtime.unit_of_work() as session:
        report = session.get(Report, submitted.id)
        # No number to call back nor to text, and the id is not kept as if it were one that could not be read.
        assert (report.reporter_phone, report.may_contact, report.consent_to_share) == (None, False, True)
        assert report.answers == {"concern": "child_marriage"}


def test_an_unknown_location_code_leaves_the_place_empty_but_keeps_the_code(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        submitted = submit_report(session, draft(location_code="XX99", answers={"commune": "XX99"}),
                                  organisation_id=org.id, default_region="ML")
    with any_db_runtime.unit_of_work() as session:
        report = session.get(Report, submitted.id)
        assert report.location_id is None and report.answers["commune"] == "XX99"


def test_sexual_abuse_is_urgent_even_without_danger_now(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        abuse = make_report(session, concern="sexual_abuse", danger_now=False)
        labour = make_report(session, concern="child_labour", danger_now=False)
    assert abuse.urgent and not labour.urgent
