"""Complaints: stored once per channel session with a reference; anonymity keeps no number; status by key."""
import pytest
from sqlalchemy import func, select

from casecore.complaints.intake import ComplaintDraft, complaint_status, submit_complaint
from casecore.complaints.models import Complaint
from casecore.errors import InvalidInput
from casecore.messaging.models import OutboundMessage
from casecore.phones import phone_key
from casecore.references import is_valid_reference
from tests.concurrency import run_together
from tests.factories import make_organisation, make_user

KEY = phone_key("+22376701430", "test-secret")
OTHER_KEY = phone_key("+22376701431", "test-secret")


def draft(organisation_id, **overrides) -> ComplaintDraft:
    values = dict(
        organisation_id=organisation_id, channel="sms", channel_session_id="sms:1", category="staff_misconduct",
        anonymous=False, contact_phone="76 70 14 30", may_contact=True, description="  L'agent a demande de l'argent ",
        language="fr", complainant_key=KEY,
    )
    values.update(overrides)
    return ComplaintDraft(**values)


def stored(runtime, complaint_id) -> Complaint:
    with runtime.unit_of_work() as session:
        return session.get(Complaint, complaint_id)


def test_a_complaint_is_stored_with_a_reference(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org)  # a supervisor: complaints do not alert anyone yet (issue 6)
        submitted = submit_complaint(session, draft(org.id), "ML")
    assert submitted.is_new and is_valid_reference(submitted.reference)
    complaint = stored(any_db_runtime, submitted.id)
    assert (complaint.reference, complaint.organisation_id, complaint.category) == (
        submitted.reference, org.id, "staff_misconduct")
    assert (complaint.contact_phone, complaint.may_contact, complaint.anonymous) == ("+22376701430", True, False)
    assert complaint.description == "L'agent a demande de l'argent"
    assert (complaint.status, complaint.complainant_key, complaint.alerted_at) == ("new", KEY, None)
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(OutboundMessage.id))) == 0


def test_an_anonymous_complaint_keeps_no_number_whatever_was_given(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        submitted = submit_complaint(session, draft(org.id, anonymous=True), "ML")
    complaint = stored(any_db_runtime, submitted.id)
    assert (complaint.contact_phone, complaint.may_contact, complaint.anonymous) == (None, False, True)
    assert complaint.complainant_key == KEY  # the number itself is gone; it may still ask for the status


@pytest.mark.parametrize("overrides", [{"may_contact": False}, {"contact_phone": None},
                                       {"contact_phone": "not a number"}])
def test_no_number_is_kept_without_a_way_and_a_consent_to_call_back(any_db_runtime, overrides):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        submitted = submit_complaint(session, draft(org.id, **overrides), "ML")
    complaint = stored(any_db_runtime, submitted.id)
    assert (complaint.contact_phone, complaint.may_contact) == (None, False)


def test_a_number_of_a_range_the_phone_library_does_not_know_is_kept_to_call_back(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        submitted = submit_complaint(session, draft(org.id, contact_phone="whatsapp:+22300000000"), "ML")
    complaint = stored(any_db_runtime, submitted.id)
    assert (complaint.contact_phone, complaint.may_contact) == ("+22300000000", True)


def test_the_same_session_twice_is_one_complaint(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        first = submit_complaint(session, draft(org.id), "ML")
    with any_db_runtime.unit_of_work() as session:
        second = submit_complaint(session, draft(org.id, category="other"), "ML")
        assert session.scalar(select(func.count(Complaint.id))) == 1
    assert (second.id, second.reference, second.is_new) == (first.id, first.reference, False)
    with any_db_runtime.unit_of_work() as session:
        other_channel = submit_complaint(session, draft(org.id, channel="whatsapp"), "ML")
    assert other_channel.is_new and other_channel.reference != first.reference


def test_concurrent_submits_of_one_session_store_one_complaint(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        organisation_id = make_organisation(session).id

    def submit():
        with any_db_runtime.unit_of_work() as session:
            return submit_complaint(session, draft(organisation_id), "ML")

    results, errors = run_together(4, submit)
    assert not errors
    assert len({r.reference for r in results}) == 1 and sum(r.is_new for r in results) == 1
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(Complaint.id))) == 1


@pytest.mark.parametrize("overrides", [{"category": "rudeness"}, {"channel": "fax"}, {"language": "de"},
                                       {"complainant_key": "k" * 65}])
def test_a_complaint_is_checked(any_db_runtime, overrides):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        with pytest.raises(InvalidInput):
            submit_complaint(session, draft(org.id, **overrides), "ML")


def test_the_status_is_told_to_the_number_that_complained_only(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        mine = submit_complaint(session, draft(org.id, anonymous=True), "ML")
        theirs = submit_complaint(session, draft(org.id, channel_session_id="sms:2", complainant_key=OTHER_KEY),
                                  "ML")
    with any_db_runtime.unit_of_work() as session:
        assert complaint_status(session, mine.reference, KEY) == "new"
        assert complaint_status(session, " ".join(mine.reference.lower()), KEY) == "new"
        assert complaint_status(session, mine.reference, OTHER_KEY) is None
        assert complaint_status(session, theirs.reference, KEY) is None
        assert complaint_status(session, "ABCDEFG", KEY) is None
        assert complaint_status(session, mine.reference, None) is None
        session.get(Complaint, mine.id).status = "closed"
    with any_db_runtime.unit_of_work() as session:
        assert complaint_status(session, mine.reference, KEY) == "closed"
