"""The child's registration in casecore, on both databases: an age from the date of birth, the reporter's concern
first, caregivers replaced as a whole, refusals by code, a closed case refused, another team's case not found."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from casecore.cases.record_models import CaseCaregiver, ChildRegistration
from casecore.cases.registration import (
    CaregiverEntry,
    RegistrationEntry,
    age_on,
    current_age,
    record_registration,
    registration_of,
)
from casecore.cases.view import case_page
from casecore.errors import NotFound, Refused
from tests.factories import as_staff, make_case, make_locations, make_organisation, make_report, make_user

TODAY = date(2026, 12, 6)


def test_whole_years_from_the_date_of_birth():
    assert age_on(date(2014, 12, 6), TODAY) == 12 and age_on(date(2014, 12, 7), TODAY) == 11
    assert age_on(date(2016, 2, 29), date(2027, 2, 28)) == 10 and age_on(date(2016, 2, 29), date(2027, 3, 1)) == 11


@pytest.fixture
def case_of(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        make_locations(session)
        worker = make_user(session, org, role="caseworker")
        stranger = make_user(session, org, role="caseworker")
        case = make_case(session, make_report(session, organisation_slug=org.slug, concern="neglect",
                                              child_sex="male"), assigned_to_id=worker.id)
        return any_db_runtime, case.id, as_staff(worker), as_staff(stranger)


def test_a_registration_is_recorded_read_back_and_corrected(case_of):
    rt, case_id, worker, _ = case_of
    entry = RegistrationEntry(names={"name_first": " Moussa ", "name_last": "Keïta"}, age=9, estimated=True,
                              languages=["bm", "bm", "fr"], protection_concerns=["orphan", "neglect"],
                              location_code="ML090102", functioning={"wg_hearing": "some_difficulty"},
                              caregivers=[CaregiverEntry("grandmother", "Nana", True, True), CaregiverEntry("")])
    with rt.unit_of_work() as session:
        record_registration(session, worker, case_id, entry, TODAY)
    with rt.unit_of_work() as session:
        view = case_page(session, worker, case_id, "console")
        hidden = registration_of(session, worker, view.case, view.report, show_names=False, today=TODAY)
        shown = registration_of(session, worker, view.case, view.report, show_names=True, today=TODAY)
    assert hidden.names is None and hidden.has_names and shown.names == {"name_first": "Moussa", "name_last": "Keïta"}
    assert (shown.sex, shown.age, shown.estimated, shown.languages) == ("male", 9, True, ["bm", "fr"])
    assert shown.protection_concerns == ["neglect", "orphan"] and shown.location_name == "Commune II"
    [grandmother] = shown.caregivers
    assert not shown.functional_difficulty and grandmother == CaregiverEntry("grandmother", "Nana", True, True,
                                                                             key=grandmother.key)
    assert grandmother.key, "the form carries each relative's row"
    # A date of birth replaces the estimate; the caregivers given replace those recorded.
    with rt.unit_of_work() as session:
        record_registration(session, worker, case_id, RegistrationEntry(
            date_of_birth=date(2017, 1, 15), estimated=True, caregivers=[CaregiverEntry("mother")]), TODAY)
    with rt.unit_of_work() as session:
        row = session.scalar(select(ChildRegistration).where(ChildRegistration.case_id == case_id))
        assert (row.age, row.estimated, row.name_first) == (9, False, None)
        assert current_age(row, date(2027, 1, 15)) == 10
        assert [c.relation for c in session.scalars(select(CaseCaregiver))] == ["mother"]


@pytest.mark.parametrize("entry, code", [
    (RegistrationEntry(date_of_birth=date(2027, 1, 1)), "registration_birth_in_future"),
    (RegistrationEntry(age=25), "registration_age"),
    (RegistrationEntry(date_of_birth=date(1990, 1, 1)), "registration_age"),
    (RegistrationEntry(sex="girl"), "registration_sex"),
    (RegistrationEntry(languages=["klingon"]), "registration_language"),
    (RegistrationEntry(documents=["none", "passport"]), "registration_documents_none"),
    (RegistrationEntry(functioning={"wg_seeing": "blind"}), "registration_functioning"),
    (RegistrationEntry(protection_status="lost"), "registration_protection_status"),
    (RegistrationEntry(protection_concerns=["bad_luck"]), "registration_concern"),
    (RegistrationEntry(location_code="XX99"), "registration_location"),
    (RegistrationEntry(names={"name_first": "A" * 101}), "registration_name_too_long"),
    (RegistrationEntry(caregivers=[CaregiverEntry("neighbour", "X")]), "registration_relation"),
    (RegistrationEntry(caregivers=[CaregiverEntry("aunt")] * 9), "registration_too_many_caregivers"),
])
def test_what_is_wrong_is_refused_by_code_and_nothing_is_kept(case_of, entry, code):
    rt, case_id, worker, _ = case_of
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        record_registration(session, worker, case_id, entry, TODAY)
    assert refused.value.code == code
    with rt.unit_of_work() as session:
        assert session.scalar(select(ChildRegistration)) is None


def test_a_closed_case_or_another_workers_case_is_refused(case_of):
    rt, case_id, worker, stranger = case_of
    with pytest.raises(NotFound), rt.unit_of_work() as session:
        record_registration(session, stranger, case_id, RegistrationEntry(), TODAY)
    with rt.unit_of_work() as session:
        from casecore.cases.models import Case
        session.get(Case, case_id).status = "closed"
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        record_registration(session, worker, case_id, RegistrationEntry(), TODAY)
    assert refused.value.code == "case_closed"
