"""Cases opened from reports, the family numbers linked to them, and family messages in the timeline."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casecore.base import utcnow
from casecore.cases.models import Case, CaseContact, CaseEvent
from casecore.cases.opening import (
    CaseLink,
    add_case_contact,
    find_case_by_reference,
    find_case_for_feedback,
    find_case_for_phone,
    open_case,
    record_family_message,
)
from casecore.errors import InvalidInput, InvalidPhoneNumber, NotFound
from casecore.references import is_valid_reference
from casecore.reports.models import Report
from tests.concurrency import run_together
from tests.factories import make_case, make_organisation, make_report, make_user

FAMILY = "+22376000100"


def test_a_case_is_opened_from_a_report(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        worker = make_user(session, org, role="caseworker")
        report = make_report(session)
        case_id = open_case(session, report.id, assigned_to_id=worker.id,
                            contact_phones=("+223 76 00 01 00", "whatsapp:+22376000101", FAMILY))
    with any_db_runtime.unit_of_work() as session:
        case = session.get(Case, case_id)
        assert (case.organisation_id, case.report_id, case.assigned_to_id) == (org.id, report.id, worker.id)
        assert case.status == "open" and case.closed_at is None and case.opened_at.tzinfo is not None
        assert is_valid_reference(case.reference) and case.reference != report.reference
        assert session.get(Report, report.id).status == "accepted"
        phones = session.scalars(select(CaseContact.phone).where(CaseContact.case_id == case_id)).all()
        assert sorted(phones) == [FAMILY, "+22376000101"]


def test_national_numbers_need_the_default_region(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        report = make_report(session)
        with pytest.raises(InvalidPhoneNumber):
            open_case(session, report.id, contact_phones=("76 00 01 00",))
        case_id = open_case(session, report.id, contact_phones=("76 00 01 00",), default_region="ML")
        assert session.scalar(select(CaseContact.phone).where(CaseContact.case_id == case_id)) == FAMILY


def test_a_case_is_assigned_within_the_report_organisation(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session, slug="mine")
        outsider = make_user(session, make_organisation(session), role="caseworker")
        report = make_report(session, organisation_slug="mine")
        with pytest.raises(InvalidInput):
            open_case(session, report.id, assigned_to_id=outsider.id)
        with pytest.raises(InvalidInput):
            open_case(session, report.id, assigned_to_id=uuid.uuid4())
        with pytest.raises(NotFound):
            open_case(session, uuid.uuid4())
        assert session.scalar(select(func.count(Case.id))) == 0


def test_a_contact_is_linked_once(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        case = make_case(session)
        assert add_case_contact(session, case.id, FAMILY) is True
        assert add_case_contact(session, case.id, f"whatsapp:{FAMILY}") is False
        assert add_case_contact(session, case.id, "76 00 01 00", default_region="ML") is False
        with pytest.raises(NotFound):
            add_case_contact(session, uuid.uuid4(), FAMILY)
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(CaseContact.id))) == 1


def test_a_number_leads_to_its_newest_open_case(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        worker = make_user(session, org, role="caseworker")
        make_case(session, contact_phones=(FAMILY,), status="closed")
        older = make_case(session, contact_phones=(FAMILY,))
        newer = make_case(session, contact_phones=(FAMILY,), assigned_to_id=worker.id)
        make_case(session, contact_phones=("+22376000101",))
    with any_db_runtime.unit_of_work() as session:
        assert find_case_for_phone(session, f"whatsapp:{FAMILY}") == CaseLink(newer.id, org.id, worker.id)
        session.get(Case, newer.id).status = "closed"
    with any_db_runtime.unit_of_work() as session:
        assert find_case_for_phone(session, FAMILY) == CaseLink(older.id, org.id, None)
        assert find_case_for_phone(session, "+22376000102") is None
        assert find_case_for_phone(session, "not a number") is None


def test_feedback_from_a_number_goes_to_its_open_case_else_the_one_closed_in_the_last_90_days(any_db_runtime):
    now = utcnow()
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        long_ago = make_case(session, contact_phones=(FAMILY,), status="closed")
        long_ago.closed_at = now - timedelta(days=91)
        assert find_case_for_feedback(session, FAMILY, now) is None
        recent = make_case(session, contact_phones=(FAMILY,), status="closed")
        recent.closed_at = now - timedelta(days=10)
        older = make_case(session, contact_phones=(FAMILY,), status="closed")
        older.closed_at = now - timedelta(days=20)
        assert find_case_for_feedback(session, f"whatsapp:{FAMILY}", now) == CaseLink(recent.id, org.id, None)
        waiting = make_case(session, contact_phones=(FAMILY,))
        waiting.status = "closure_requested"
        session.flush()
        assert find_case_for_feedback(session, FAMILY, now).case_id == waiting.id
        still_open = make_case(session, contact_phones=(FAMILY,))
        assert find_case_for_feedback(session, FAMILY, now).case_id == still_open.id
        assert find_case_for_feedback(session, "+22376000102", now) is None
        assert find_case_for_feedback(session, "not a number", now) is None


def test_a_number_of_a_range_the_library_does_not_know_can_be_linked(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        case = make_case(session)
        assert add_case_contact(session, case.id, "+223 00 00 00 00", default_region="ML") is True
    with any_db_runtime.unit_of_work() as session:
        assert find_case_for_phone(session, "whatsapp:+22300000000") == CaseLink(case.id, org.id, None)


def test_a_reference_leads_to_an_open_case_by_its_own_or_its_report_reference(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        report = make_report(session)
        case = make_case(session, report)
        closed = make_case(session, status="closed")
        closed_report = session.get(Report, closed.report_id).reference
    expected = CaseLink(case.id, org.id, None)
    with any_db_runtime.unit_of_work() as session:
        assert find_case_by_reference(session, case.reference) == expected
        assert find_case_by_reference(session, " ".join(report.reference.lower())) == expected
        assert find_case_by_reference(session, closed.reference) is None
        assert find_case_by_reference(session, closed_report) is None
        assert find_case_by_reference(session, "ABCDEFG") is None
        assert find_case_by_reference(session, "") is None


def test_a_family_message_lands_in_the_timeline_once(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        case = make_case(session)
        first = record_family_message(session, case.id, channel="sms", body="  Bonjour, " + "x" * 1200,
                                      source_key="sms:ATXid_1")
    with any_db_runtime.unit_of_work() as session:
        again = record_family_message(session, case.id, channel="sms", body="Bonjour", source_key="sms:ATXid_1")
        event = session.get(CaseEvent, first.event_id)
        assert (event.case_id, event.kind, event.channel, event.author_user_id) == (case.id, "family_message",
                                                                                    "sms", None)
        assert event.body.startswith("Bonjour, ") and len(event.body) == 1000
        assert session.scalar(select(func.count(CaseEvent.id))) == 1
    assert first.is_new and (again.event_id, again.is_new) == (first.event_id, False)


def test_a_family_message_is_checked(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        case = make_case(session)
        for changes in ({"body": "   "}, {"channel": "fax"}, {"source_key": ""}, {"source_key": "k" * 201}):
            values = {"channel": "whatsapp", "body": "Merci", "source_key": "whatsapp:SM1", **changes}
            with pytest.raises(InvalidInput):
                record_family_message(session, case.id, **values)
        with pytest.raises(NotFound):
            record_family_message(session, uuid.uuid4(), channel="sms", body="Merci", source_key="sms:1")


def test_concurrent_deliveries_of_one_message_write_one_event(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session)
        case_id = make_case(session).id

    def deliver():
        with any_db_runtime.unit_of_work() as session:
            return record_family_message(session, case_id, channel="sms", body="Merci", source_key="sms:ATXid_9")

    results, errors = run_together(4, deliver)
    assert not errors
    assert len({r.event_id for r in results}) == 1 and sum(r.is_new for r in results) == 1
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(CaseEvent.id))) == 1
