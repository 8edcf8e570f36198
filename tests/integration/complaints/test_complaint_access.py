"""Need to know for complaints (casecore.complaints.access) with two organisations and several complaints each, on
both databases: each person reads only their own organisation's, by role and category; a person named in one
complaint still reads the others; staff are named only in their own organisation's complaints."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from casecore import taxonomy
from casecore.audit import AuditEvent
from casecore.complaints import handling
from casecore.complaints.access import (
    may_handle_complaints,
    may_read_complaints,
    record_named_staff,
    require_complaint,
    view_complaint,
    visible_complaints,
)
from casecore.complaints.models import Complaint, ComplaintNote, ComplaintStaff
from casecore.errors import InvalidInput, NotFound
from casecore.people.models import User
from tests.factories import as_staff, make_organisation, make_user
from tests.integration.complaints.test_complaint_handling import make_complaint

# Each organisation's complaints: two any reader of complaints reads, one sensitive.
CATEGORIES = {"quality": "service_quality", "no_response": "no_response", "misconduct": "staff_misconduct"}


@pytest.fixture
def two_organisations(any_db_runtime):
    """Organisations a and b, each with two focal points, a supervisor, a case worker and an administrator, and
    the three complaints of CATEGORIES (all of a's made before b's)."""
    people, complaints = {}, {}
    with any_db_runtime.unit_of_work() as session:
        for org_name in ("a", "b"):
            org = make_organisation(session)
            for role in ("focal_point", "focal_point_2", "supervisor", "caseworker", "admin"):
                people[f"{role}_{org_name}"] = make_user(session, org, role=role.removesuffix("_2")).id
            for name, category in CATEGORIES.items():
                complaints[f"{name}_{org_name}"] = make_complaint(session, org, category=category).id
    return any_db_runtime, people, complaints


def _staff(session, user_id):
    return as_staff(session.get(User, user_id))


def _reads(session, staff, complaints) -> set[str]:
    """The names of the complaints this person reads, by the list's condition and by opening each one."""
    listed = set(session.scalars(select(Complaint.id).where(visible_complaints(staff))))
    opened = set()
    for name, complaint_id in complaints.items():
        try:
            assert require_complaint(session, staff, complaint_id).id == complaint_id
            opened.add(name)
        except NotFound:
            pass
    assert listed == {complaints[name] for name in opened}
    return opened


@pytest.mark.parametrize("org", ["a", "b"])
@pytest.mark.parametrize("role, expected", [
    ("focal_point", {"quality", "no_response", "misconduct"}),
    ("focal_point_2", {"quality", "no_response", "misconduct"}),
    ("supervisor", {"quality", "no_response"}),
    ("caseworker", set()),
    ("admin", set()),
])
def test_each_person_reads_only_their_own_organisations_complaints(two_organisations, org, role, expected):
    runtime, people, complaints = two_organisations
    with runtime.unit_of_work() as session:
        assert _reads(session, _staff(session, people[f"{role}_{org}"]), complaints) == {
            f"{name}_{org}" for name in expected}


def test_a_person_named_in_one_complaint_still_reads_the_others(two_organisations):
    runtime, people, complaints = two_organisations
    with runtime.unit_of_work() as session:
        # In each organisation its focal point names one of its own people in one complaint.
        handling.name_staff(session, _staff(session, people["focal_point_2_a"]), complaints["misconduct_a"],
                            [people["focal_point_a"]])
        handling.name_staff(session, _staff(session, people["focal_point_b"]), complaints["quality_b"],
                            [people["supervisor_b"]])
    with runtime.unit_of_work() as session:
        assert _reads(session, _staff(session, people["focal_point_a"]), complaints) == {"quality_a", "no_response_a"}
        assert _reads(session, _staff(session, people["focal_point_2_a"]), complaints) == {
            "quality_a", "no_response_a", "misconduct_a"}
        assert _reads(session, _staff(session, people["supervisor_b"]), complaints) == {"no_response_b"}
        assert _reads(session, _staff(session, people["supervisor_a"]), complaints) == {"quality_a", "no_response_a"}
        assert _reads(session, _staff(session, people["focal_point_b"]), complaints) == {
            "quality_b", "no_response_b", "misconduct_b"}


def test_a_complaint_names_only_its_own_organisations_staff_whichever_organisation_it_is(two_organisations):
    runtime, people, complaints = two_organisations
    refusal = "^a staff member named in the complaint is not one of the organisation's staff$"
    with runtime.unit_of_work() as session:
        for org, other in (("a", "b"), ("b", "a")):
            focal = _staff(session, people[f"focal_point_{org}"])
            worker, complaint = people[f"caseworker_{org}"], complaints[f"quality_{org}"]
            with pytest.raises(InvalidInput, match=refusal):
                handling.name_staff(session, focal, complaint, [people[f"caseworker_{other}"]])
            assert handling.name_staff(session, focal, complaint, [worker, str(worker)]) == [worker]
            assert handling.name_staff(session, focal, complaint, [worker]) == []  # named once
    with runtime.unit_of_work() as session:
        # Who named whom, in which complaint: the record and the note in the complaint's trail.
        expected = sorted((complaints[f"quality_{org}"], people[f"caseworker_{org}"], people[f"focal_point_{org}"])
                          for org in "ab")
        assert sorted(session.execute(select(ComplaintStaff.complaint_id, ComplaintStaff.user_id,
                                             ComplaintStaff.added_by_id)).all()) == expected
        notes = session.execute(select(ComplaintNote.complaint_id, ComplaintNote.body, ComplaintNote.author_id)
                                .where(ComplaintNote.kind == "named")).all()
        assert sorted(notes) == sorted((complaint, str(user), by) for complaint, user, by in expected)


def test_an_empty_choice_in_the_named_staff_names_nobody(two_organisations):
    runtime, people, complaints = two_organisations
    with runtime.unit_of_work() as session:
        focal = people["focal_point_a"]
        assert record_named_staff(session, complaints["quality_a"], ["", None], focal) == []
        assert session.scalar(select(func.count()).select_from(ComplaintNote)) == 0
        assert record_named_staff(session, complaints["quality_a"], [None, "", str(people["admin_a"])], focal) == [
            people["admin_a"]]


def test_an_unknown_complaint_or_staff_id_is_not_found(two_organisations):
    runtime, people, complaints = two_organisations
    unknown = uuid.uuid4()
    with runtime.unit_of_work() as session:
        focal = _staff(session, people["focal_point_a"])
        with pytest.raises(NotFound, match=f"^complaint {unknown} not found$"):
            require_complaint(session, focal, unknown)
        with pytest.raises(NotFound, match="^complaint 'C-1' does not exist$"):
            require_complaint(session, focal, "C-1")
        with pytest.raises(NotFound, match="^user 'moussa' does not exist$"):
            record_named_staff(session, complaints["quality_a"], ["moussa"], focal.id)


def test_reading_a_complaint_is_audited_against_that_complaint(two_organisations):
    runtime, people, complaints = two_organisations
    with runtime.unit_of_work() as session:
        view_complaint(session, _staff(session, people["supervisor_a"]), complaints["no_response_a"])
        with pytest.raises(NotFound):
            view_complaint(session, _staff(session, people["supervisor_a"]), complaints["misconduct_a"])
        events = session.execute(select(AuditEvent.user_id, AuditEvent.action, AuditEvent.object_type,
                                        AuditEvent.object_id)).all()
    assert events == [(people["supervisor_a"], "complaint.viewed", "complaint", str(complaints["no_response_a"]))]


@pytest.mark.parametrize("role, reads, handles", [
    ("focal_point", True, True), ("supervisor", True, False), ("caseworker", False, False), ("admin", False, False),
])
def test_which_roles_read_and_handle_complaints(role, reads, handles):
    assert role in taxonomy.ROLES
    assert (may_read_complaints(role), may_handle_complaints(role)) == (reads, handles)
