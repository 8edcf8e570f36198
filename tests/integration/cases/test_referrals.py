"""Referrals from a case (casecore.cases.referrals): consent first, the status path, the provider's answers, on both
databases."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases import referrals
from casecore.cases.models import Case, CaseConsent, CaseEvent, Referral
from casecore.directory import services
from casecore.directory.services import ServiceInput
from casecore.errors import Conflict, InvalidInput, NotFound
from tests.factories import as_staff, make_case, make_organisation, make_user


@pytest.fixture
def world(any_db_runtime):
    """A case assigned to a case worker, its organisation's directory, and people who must not see the case."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        other = make_organisation(session)
        supervisor = make_user(session, org)
        worker = make_user(session, org, role="caseworker")
        other_worker = make_user(session, org, role="caseworker")
        admin = make_user(session, org, role="admin")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        clinic = services.create_service(session, org.id, ServiceInput("Clinique Sud", "health"), user_id=None)
        closed = services.create_service(session, org.id, ServiceInput("Closed shelter", "safe_shelter"),
                                         user_id=None)
        closed.is_active = False
        theirs = services.create_service(session, other.id, ServiceInput("Their clinic", "health"), user_id=None)
        people = {name: as_staff(u) for name, u in [("supervisor", supervisor), ("worker", worker),
                                                     ("other_worker", other_worker), ("admin", admin)]}
        ids = {"case": case.id, "clinic": clinic.id, "closed": closed.id, "theirs": theirs.id, "org_slug": org.slug}
    return any_db_runtime, people, ids


def _consent(runtime, case_id, recorder, purpose="sharing_providers", given=True, withdrawn=False, minutes=0):
    with runtime.unit_of_work() as session:
        consent = CaseConsent(case_id=case_id, purpose=purpose, given=given, given_by="caregiver",
                              recorded_by_id=recorder.id, recorded_at=utcnow() + timedelta(minutes=minutes),
                              withdrawn_at=utcnow() if withdrawn else None)
        session.add(consent)
        session.flush()
        return consent.id


def _refer(runtime, who, ids, service="clinic", notes=""):
    with runtime.unit_of_work() as session:
        return referrals.make_referral(session, who, ids["case"], ids[service], notes)


@pytest.mark.parametrize("consents", [
    [],
    [dict(given=False)],
    [dict(withdrawn=True)],
    [dict(purpose="anonymous_statistics")],
    # The latest record for a purpose is what holds: a refusal after a consent cancels it.
    [dict(minutes=0), dict(given=False, minutes=1)],
    # Sharing refused (or withdrawn) is not worked round through a consent to services.
    [dict(purpose="services"), dict(given=False, minutes=1)],
    [dict(purpose="services"), dict(withdrawn=True, minutes=1)],
])
def test_a_referral_needs_a_given_unwithdrawn_consent(world, consents):
    runtime, people, ids = world
    for consent in consents:
        _consent(runtime, ids["case"], people["worker"], **consent)
    with pytest.raises(referrals.ConsentRequired) as refused:
        _refer(runtime, people["worker"], ids)
    assert str(refused.value) == "no consent to share with service providers is recorded on this case"
    with runtime.unit_of_work() as session:
        assert session.scalars(select(Referral)).all() == []


def test_a_referral_records_the_consent_it_relies_on_sharing_first(world):
    runtime, people, ids = world
    services_consent = _consent(runtime, ids["case"], people["worker"], purpose="services")
    first = _refer(runtime, people["worker"], ids, notes="  Medical check-up  ")
    sharing = _consent(runtime, ids["case"], people["worker"], purpose="sharing_providers", minutes=1)
    second = _refer(runtime, people["supervisor"], ids)
    with runtime.unit_of_work() as session:
        one, two = session.get(Referral, first), session.get(Referral, second)
        assert (one.consent_id, one.status, one.notes, one.created_by_id) == (
            services_consent, "sent", "Medical check-up", people["worker"].id)
        assert two.consent_id == sharing
        rows = referrals.case_referrals(session, ids["case"])
        assert [row.id for row in rows] == [second, first]
        assert (rows[1].provider_name, rows[1].consent_purpose, rows[1].next_statuses) == (
            "Clinique Sud", "services", ("accepted", "declined"))


@pytest.mark.parametrize("service", ["closed", "theirs"])
def test_only_an_active_service_of_the_cases_directory_can_be_chosen(world, service):
    runtime, people, ids = world
    _consent(runtime, ids["case"], people["worker"])
    with pytest.raises(InvalidInput, match="choose an active service"):
        _refer(runtime, people["worker"], ids, service=service)


@pytest.mark.parametrize("who", ["other_worker", "admin"])
def test_people_who_may_not_see_the_case_cannot_refer_it(world, who):
    runtime, people, ids = world
    _consent(runtime, ids["case"], people["worker"])
    with pytest.raises(NotFound):
        _refer(runtime, people[who], ids)


def test_a_closed_case_is_not_referred(world):
    runtime, people, ids = world
    _consent(runtime, ids["case"], people["worker"])
    with runtime.unit_of_work() as session:
        session.get(Case, ids["case"]).status = "closed"
    with pytest.raises(Conflict):
        _refer(runtime, people["worker"], ids)


def test_status_path_and_counter_referral_notes_go_to_the_timeline_and_audit_trail(world):
    runtime, people, ids = world
    _consent(runtime, ids["case"], people["worker"])
    referral_id = _refer(runtime, people["worker"], ids, notes="Check-up")
    worker = people["worker"]

    def answer(status="", notes=""):
        with runtime.unit_of_work() as session:
            return referrals.update_referral(session, worker, ids["case"], referral_id, status=status,
                                             counter_referral_notes=notes)

    with pytest.raises(Conflict):
        answer("done")  # sent cannot jump to done
    answer("accepted", "Seen on Monday.\nNext visit in 2 weeks.")
    answer(notes="Treatment going well.")
    answer("done")
    for status in ("sent", "accepted", "declined"):
        with pytest.raises(Conflict):
            answer(status)
    with pytest.raises(InvalidInput):
        answer()
    with pytest.raises(InvalidInput):
        answer("lost")
    with runtime.unit_of_work() as session:
        referral = session.get(Referral, referral_id)
        assert referral.status == "done"
        today = f"{utcnow():%Y-%m-%d}"
        assert referral.counter_referral_notes == (
            f"{today}: Seen on Monday.\nNext visit in 2 weeks.\n\n{today}: Treatment going well.")
        events = session.execute(select(CaseEvent.kind, CaseEvent.body, CaseEvent.author_user_id)
                                 .where(CaseEvent.case_id == ids["case"], CaseEvent.kind == "referral")
                                 .order_by(CaseEvent.at)).all()
        assert [body for _, body, _ in events] == [
            "sent: Clinique Sud\nCheck-up", "accepted: Clinique Sud\nSeen on Monday.\nNext visit in 2 weeks.",
            "accepted: Clinique Sud\nTreatment going well.", "done: Clinique Sud"]
        assert {author for _, _, author in events} == {worker.id}
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(referral_id))
                                  .order_by(AuditEvent.at)).all()
        assert actions == ["referral.created"] + ["referral.updated"] * 3


def test_a_declined_referral_is_final_and_a_referral_of_another_case_is_not_found(world):
    runtime, people, ids = world
    _consent(runtime, ids["case"], people["worker"])
    referral_id = _refer(runtime, people["worker"], ids)
    with runtime.unit_of_work() as session:
        referrals.update_referral(session, people["supervisor"], ids["case"], referral_id, status="declined",
                                  counter_referral_notes="Full \x00until March")
        assert session.get(Referral, referral_id).counter_referral_notes.endswith(": Full until March")
        other_case = make_case(session, organisation_slug=ids["org_slug"], assigned_to_id=people["worker"].id)
    with runtime.unit_of_work() as session:
        with pytest.raises(Conflict):
            referrals.update_referral(session, people["worker"], ids["case"], referral_id, status="accepted")
        with pytest.raises(NotFound):
            referrals.update_referral(session, people["worker"], other_case.id, referral_id, counter_referral_notes="x")
        with pytest.raises(NotFound):
            referrals.update_referral(session, people["other_worker"], ids["case"], referral_id,
                                      counter_referral_notes="x")
