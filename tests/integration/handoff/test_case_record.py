"""The case record follows a handed-over case to the fake Primero, on both databases: the registration, relatives,
the revised risk, services given and tracing actions, in stock Primero's fields; who the child is only with the
family's consent to services; what changed sent again, once, and an edit made in CPIMS+ left alone."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from casecore.base import utcnow
from casecore.cases.casework import record_consent, withdraw_consent
from casecore.cases.models import Case
from casecore.cases.plan import record_service_given
from casecore.cases.registration import CaregiverEntry, RegistrationEntry, record_registration
from casecore.cases.risk import revise_risk
from casecore.cases.tracing import record_tracing_action
from casecore.handoff.models import Handoff
from casecore.handoff.record import FAMILY_SECTION, Sent
from casecore.people.models import User
from tests.factories import as_staff
from tests.queues import drain, queued_job_ids
from workers.handoff import send_handoff, update_record
from workers.scheduler import run_once

TODAY = utcnow().date()
NAMES = {"name_first": "Aminata", "name_last": "Traoré"}
MOTHER = CaregiverEntry("mother", "Fatoumata Traoré", relation_is_caregiver=True, lives_with_child=True)
UNCLE = CaregiverEntry("uncle", "Bakary Traoré")


def _worker(env, session):
    return as_staff(session.get(User, env.worker_id))


def _register(env, case_id, caregivers=(MOTHER, UNCLE)) -> None:
    with env.runtime.unit_of_work() as session:
        record_registration(session, _worker(env, session), case_id, RegistrationEntry(
            names=NAMES, sex="female", date_of_birth=date(TODAY.year - 10, 1, 15), location_code="ML090102",
            address_current="Derrière le marché", protection_status="separated",
            protection_concerns=("neglect", "separated"), caregivers=caregivers), TODAY)


def _relatives(env, case_id) -> list[CaregiverEntry]:
    """The relatives as the registration form shows them, each with the key of their row."""
    from casecore.cases.registration import registration_of
    with env.runtime.unit_of_work() as session:
        case = session.get(Case, case_id)
        return registration_of(session, _worker(env, session), case, None, show_names=False, today=TODAY).caregivers


def _registered_and_handed_over(env, risk_level):
    """A case with the family's consent to services and a registration, handed over: (case, hand-off, Primero id)."""
    case_id, handoff_id = env.accept(env.report(concern="separated").id, risk_level=risk_level)
    with env.runtime.unit_of_work() as session:
        record_consent(session, _worker(env, session), case_id, purpose="services", given=True,
                       given_by="caregiver")
    _register(env, case_id)
    assert send_handoff(env.runtime, str(handoff_id)) == "sent"
    [primero_id] = env.primero.cases
    return case_id, handoff_id, primero_id


def _record_pending(env) -> list[str]:
    return [job for job in queued_job_ids(env.runtime.queue) if job.startswith("primero-record-")]


def _sync(env) -> None:
    """What the scheduler does: find the records changed since Primero got them and send them."""
    run_once(env.runtime)
    drain(env.runtime.queue, runtime=env.runtime)


def test_the_registration_goes_with_the_hand_off_without_names_until_the_family_consents(handoff_env):
    env = handoff_env
    case_id, handoff_id = env.accept(env.report(concern="neglect", child_sex="unknown").id)
    _register(env, case_id)
    assert send_handoff(env.runtime, str(handoff_id)) == "sent"
    [stored] = env.primero.cases.values()
    # The registration's sex and concerns stand over the report's; its place is the commune's code (not mapped).
    assert stored["sex"] == "female" and stored["protection_concerns"] == ["other"]
    assert stored["age"] == 10 and stored["estimated"] is False
    assert stored["protection_status"] == "separated" and stored["location_current"] == "ML090102"
    for held_back in ("name_first", "name_last", "date_of_birth", "address_current", "family_details_section"):
        assert held_back not in stored, f"{held_back} went without the family's consent to services"
    _sync(env)
    assert not _record_pending(env), "nothing changed since the hand-off: nothing sent again"
    env.primero.update_case(stored["id"], name_middle="Kadi")  # a CPIMS+ user writes what Relais has not
    with env.runtime.unit_of_work() as session:
        record_consent(session, _worker(env, session), case_id, purpose="services", given=True,
                       given_by="caregiver", child_assent="given")  # a child of 10: her assent beside it
    _sync(env)
    stored = env.primero.cases[stored["id"]]
    assert stored["consent_for_services"] is True
    assert (stored["name_first"], stored["name_last"]) == ("Aminata", "Traoré")
    assert stored["date_of_birth"] == date(TODAY.year - 10, 1, 15).isoformat()
    assert stored["address_current"] == "Derrière le marché"
    assert stored["name_middle"] == "Kadi", "no null sent where Relais never had a value"
    assert [(row["relation"], row["relation_name"], row["relation_is_caregiver"])
            for row in stored["family_details_section"]] == [
        ("mother", "Fatoumata Traoré", True), ("uncle", "Bakary Traoré", False)]
    assert env.primero.violations == []


def test_risk_services_and_tracing_follow_and_a_relative_removed_is_removed_there(handoff_env):
    env = handoff_env
    case_id, handoff_id, primero_id = _registered_and_handed_over(env, risk_level="high")
    mother_row, uncle_row = [row["unique_id"] for row in env.primero.cases[primero_id]["family_details_section"]]
    with env.runtime.unit_of_work() as session:
        worker = _worker(env, session)
        revise_risk(session, worker, case_id, "medium", "La tante l'accueille", env.runtime.timelines)
        record_service_given(session, worker, case_id, service_type="mental_health_psychosocial", given_on=TODAY,
                             outcome="Deux séances, dort mieux", today=TODAY)
        record_tracing_action(session, worker, case_id, done_on=TODAY, location_code="ML020101",
                              address="Chez le chef de quartier", contacted="Le chef", action="Visite au quartier",
                              outcome="lead", today=TODAY)
    _register(env, case_id, caregivers=_relatives(env, case_id)[1:])  # the mother taken off the list
    _sync(env)
    stored = env.primero.cases[primero_id]
    assert stored["risk_level"] == "medium"
    [service] = stored["services_section"]
    assert service["service_type"] == "psychosocial_service"
    assert service["service_implemented_day_time"] == f"{TODAY.isoformat()}T12:00:00Z"
    assert service["service_referral_notes"] == "Deux séances, dort mieux"
    [tracing] = stored["tracing_actions_section"]
    assert (tracing["date_tracing"], tracing["location_tracing"], tracing["address_tracing"],
            tracing["tracing_action_description"], tracing["tracing_outcome"]) == (
        TODAY.isoformat(), "ML020101", "Chez le chef de quartier", "Visite au quartier", "pending")
    # The uncle keeps his own row, nothing of the mother's carried over to it; her row is removed.
    [uncle] = stored["family_details_section"]
    assert (uncle["unique_id"], uncle["relation"], uncle["relation_name"]) == (uncle_row, "uncle", "Bakary Traoré")
    with env.runtime.unit_of_work(read_only=True) as session:
        assert list(Sent(session.get(Handoff, handoff_id).record_sent).rows[FAMILY_SECTION]) == [uncle_row]
    # Sent again in full, the same rows are updated in place, never added twice.
    with env.runtime.unit_of_work() as session:
        row = session.get(Handoff, handoff_id)
        row.record_version_synced, row.record_sent = 0, None
    _sync(env)
    stored = env.primero.cases[primero_id]
    assert (len(stored["services_section"]), len(stored["tracing_actions_section"]),
            len(stored["family_details_section"])) == (1, 1, 1)
    assert env.primero.violations == []


def test_only_what_changed_in_relais_goes_again_so_an_edit_in_cpims_stands(handoff_env):
    env = handoff_env
    case_id, handoff_id, primero_id = _registered_and_handed_over(env, risk_level="medium")
    env.primero.update_case(primero_id, risk_level="high", name_nickname="Mimi")  # a CPIMS+ user's edits
    with env.runtime.unit_of_work() as session:
        record_service_given(session, _worker(env, session), case_id, service_type="health", given_on=TODAY,
                             outcome=None, today=TODAY)
    _sync(env)
    stored = env.primero.cases[primero_id]
    assert stored["risk_level"] == "high" and stored["name_nickname"] == "Mimi"
    assert stored["services_section"][0]["service_type"] == "health_medical_service"
    # The registration corrected in Relais, its address cleared: that part goes, the cleared field as null.
    with env.runtime.unit_of_work() as session:
        record_registration(session, _worker(env, session), case_id, RegistrationEntry(
            names=NAMES, sex="female", age=10, estimated=True, protection_status="separated",
            caregivers=(MOTHER,)), TODAY)
    _sync(env)
    stored = env.primero.cases[primero_id]
    assert stored["address_current"] is None and stored["date_of_birth"] is None and stored["estimated"] is True
    # What Relais did not change stays as CPIMS+ users left it.
    assert stored["name_nickname"] == "Mimi" and stored["risk_level"] == "high"


def test_a_withdrawn_consent_stops_who_the_child_is_from_going_again(handoff_env):
    env = handoff_env
    case_id, handoff_id = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        consent = record_consent(session, _worker(env, session), case_id, purpose="services", given=True,
                                 given_by="caregiver")
    assert send_handoff(env.runtime, str(handoff_id)) == "sent"
    [primero_id] = env.primero.cases
    with env.runtime.unit_of_work() as session:
        withdraw_consent(session, _worker(env, session), case_id, consent)
    _register(env, case_id)
    with env.runtime.unit_of_work() as session:
        record_service_given(session, _worker(env, session), case_id, service_type="health", given_on=TODAY,
                             outcome="Vaccins", today=TODAY)
    _sync(env)
    stored = env.primero.cases[primero_id]
    assert stored["consent_for_services"] is False and stored["sex"] == "female"
    assert "name_first" not in stored and "family_details_section" not in stored
    [service] = stored["services_section"]
    assert service["service_type"] == "health_medical_service" and "service_referral_notes" not in service


def test_a_refused_record_does_not_hold_the_consents_back_nor_go_again_until_it_changes(handoff_env, caplog):
    env = handoff_env
    case_id, handoff_id = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        consent = record_consent(session, _worker(env, session), case_id, purpose="sharing_providers", given=True,
                                 given_by="caregiver")
    assert send_handoff(env.runtime, str(handoff_id)) == "sent"
    [primero_id] = env.primero.cases
    env.primero.instance.lookups["lookup-protection-status"] = ["unaccompanied"]  # a deployment without "separated"
    _register(env, case_id)
    with env.runtime.unit_of_work() as session:
        withdraw_consent(session, _worker(env, session), case_id, consent)
    assert update_record(env.runtime, str(handoff_id)) == "refused"
    assert "/protection_status = separated" in caplog.text and "Aminata" not in caplog.text
    stored = env.primero.cases[primero_id]
    assert stored["disclosure_other_orgs"] is False, "the withdrawal reached CPIMS+ all the same"
    assert "protection_status" not in stored
    run_once(env.runtime)
    assert not _record_pending(env), "the same record would be refused again"


def test_a_case_transferred_to_another_organisation_no_longer_feeds_the_first_ones_cpims(handoff_env):
    from tests.factories import make_organisation
    env = handoff_env
    case_id, handoff_id = env.accept(env.report().id)
    assert send_handoff(env.runtime, str(handoff_id)) == "sent"
    [primero_id] = env.primero.cases
    _register(env, case_id)
    with env.runtime.unit_of_work() as session:
        session.get(Case, case_id).organisation_id = make_organisation(session).id  # as an accepted transfer does
    run_once(env.runtime)
    assert not _record_pending(env)
    assert update_record(env.runtime, str(handoff_id)) == "transferred"
    assert "age" not in env.primero.cases[primero_id]


def test_a_relative_corrected_in_relais_keeps_their_row_and_what_cpims_users_added_to_it(handoff_env):
    from casecore.cases.record_models import CaseCaregiver
    env = handoff_env
    case_id, handoff_id, primero_id = _registered_and_handed_over(env, risk_level="medium")
    mother_row = env.primero.cases[primero_id]["family_details_section"][0]["unique_id"]
    rows = env.primero.cases[primero_id]["family_details_section"]
    env.primero.update_case(primero_id, family_details_section=[{**rows[0], "relation_telephone": "+22376000999"}])
    [mother, _uncle] = _relatives(env, case_id)
    with env.runtime.unit_of_work() as session:
        # The form corrects the mother's name and takes the uncle off the list.
        record_registration(session, _worker(env, session), case_id, RegistrationEntry(
            names=NAMES, sex="female", caregivers=(replace(mother, relation_name="Fatoumata Traore"),)), TODAY)
        assert session.query(CaseCaregiver).one().id == uuid.UUID(mother.key)
    _sync(env)
    [row] = env.primero.cases[primero_id]["family_details_section"]
    assert (row["unique_id"], row["relation_name"], row["relation_telephone"]) == (
        mother_row, "Fatoumata Traore", "+22376000999")


def test_a_case_cpims_no_longer_lets_the_account_see_is_that_cases_problem_only(handoff_env):
    from casecore.handoff.queue import is_paused, pause, resume
    from tests.fakes.primero import Answer
    env = handoff_env
    case_id, handoff_id, primero_id = _registered_and_handed_over(env, risk_level="medium")
    with env.runtime.unit_of_work() as session:
        record_service_given(session, _worker(env, session), case_id, service_type="health", given_on=TODAY,
                             outcome=None, today=TODAY)
    env.primero.answer_next(Answer.forbidden())  # given to a user outside the account's scope in CPIMS+
    assert update_record(env.runtime, str(handoff_id)) == "refused"
    with env.runtime.unit_of_work(read_only=True) as session:
        assert not is_paused(session), "the account and the other cases are fine"
    run_once(env.runtime)
    assert not _record_pending(env), "not tried again until the record changes"
    # While hand-offs are paused for the account, nothing is sent at all.
    with env.runtime.unit_of_work() as session:
        pause(session, "HTTP 401")
        record_service_given(session, _worker(env, session), case_id, service_type="education", given_on=TODAY,
                             outcome=None, today=TODAY)
    calls = len(env.primero.requests)
    assert update_record(env.runtime, str(handoff_id)) == "paused" and len(env.primero.requests) == calls
    with env.runtime.unit_of_work() as session:
        resume(session, env.admin_id)
    _sync(env)
    assert [row["service_type"] for row in env.primero.cases[primero_id]["services_section"]] == [
        "health_medical_service", "education_service"]
