"""What a Primero case carries, on both databases: the intake note word for word in each language, the fields a
report gives before and after its acceptance, what a family did not agree to share left out, and the consents as
their latest record stands."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from casecore.base import utcnow
from casecore.cases.casework import record_consent, withdraw_consent
from casecore.cases.models import CaseConsent
from casecore.cases.reassignment import assign_case
from casecore.handoff.models import Handoff
from casecore.handoff.payload import case_fields, consent_ticks, intake_note
from casecore.handoff.queue import primero_id_for, queue_handoff
from casecore.handoff.record import row_id
from casecore.people.models import Organisation, User
from casecore.reports.committees import register_member
from casecore.reports.models import Report
from tests.factories import as_staff, make_case, make_user

TODAY = date(2026, 12, 7)
RECEIVED = datetime(2026, 11, 30, 9, 15, tzinfo=timezone.utc)  # neither today nor TODAY: the dates are the report's
MEMBER = "+22376709999"


def _received_on(env, report_id, when: datetime = RECEIVED) -> None:
    with env.runtime.unit_of_work() as session:
        session.get(Report, report_id).received_at = when


def _note(env, report_id, language="fr") -> dict:
    with env.runtime.unit_of_work(read_only=True) as session:
        report = session.get(Report, report_id)
        return intake_note(report, primero_id_for(report_id), language)


def _fields(env, report_id, *, case_id=None, mapping=None, language="fr") -> dict:
    """The case fields of the report's hand-off (queued before acceptance when case_id is None)."""
    with env.runtime.unit_of_work() as session:
        handoff_id = queue_handoff(session, report_id, env.organisation_id, "on_accept" if case_id else "on_report",
                                   case_id=case_id, actor_id=env.supervisor_id)
        handoff = session.get(Handoff, handoff_id)
        return case_fields(session, handoff, mapping or env.runtime.primero_mapping(env.slug),
                           module="primeromodule-cp", language=language, today=TODAY)


def test_the_intake_note_says_everything_the_form_has_no_field_for_word_for_word(handoff_env):
    env = handoff_env
    report = env.report(channel="whatsapp", child_age_band="12_17", danger_now=True, relationship="neighbour",
                        description="Il travaille a la mine", consent_to_share=True, may_contact=True)
    _received_on(env, report.id)
    note = _note(env, report.id)
    assert note["unique_id"] == str(row_id(primero_id_for(report.id), "intake"))
    assert note["note_date"] == "2026-11-30"
    assert note["note_subject"] == f"Signalement {report.reference} reçu par Relais"
    assert note["note_text"].split("\n") == [
        "Canal : WhatsApp",
        "Signalé par : un membre de la communauté",
        "Âge de l'enfant (selon le signalement) : 12 à 17 ans",
        "La personne qui a signalé a dit que l'enfant était en danger à ce moment-là.",
        "Lien de la personne qui signale avec l'enfant : voisin",
        "La personne qui signale accepte d'être contactée : +22376701430",
        "Ce que la personne a écrit : Il travaille a la mine",
    ]
    english = _note(env, report.id, "en")
    assert english["note_subject"] == f"Report {report.reference} received by Relais"
    assert english["note_text"].split("\n")[:3] == [
        "Channel: WhatsApp", "Reported by: a community member", "Age of the child (as reported): 12 to 17 years"]


def test_an_anonymous_report_says_so_and_gives_neither_number_nor_description(handoff_env):
    env = handoff_env
    report = env.report(child_age_band="unknown", description="Details", consent_to_share=False, may_contact=True)
    assert _note(env, report.id, "en")["note_text"].split("\n") == [
        "Channel: USSD", "Reported by: a community member", "Age of the child (as reported): not known",
        "The reporter did not agree to be known: no number, no description."]


def test_a_shared_report_without_a_description_or_number_adds_no_line_for_them(handoff_env):
    env = handoff_env
    report = env.report(consent_to_share=True, may_contact=False)
    lines = _note(env, report.id, "en")["note_text"].split("\n")
    assert lines == ["Channel: USSD", "Reported by: a community member",
                     "Age of the child (as reported): 6 to 11 years"]


def test_a_missing_childs_report_says_when_the_child_was_last_seen(handoff_env):
    env = handoff_env
    missing = env.report(kind="tracing", last_seen="yesterday", may_contact=False)
    at_risk = env.report(last_seen="yesterday", may_contact=False)
    assert "Missing child, last seen: yesterday" in _note(env, missing.id, "en")["note_text"].split("\n")
    assert "last seen" not in _note(env, at_risk.id, "en")["note_text"]
    unknown = env.report(kind="tracing", last_seen="unknown", may_contact=False)
    assert "Missing child, last seen: not known" in _note(env, unknown.id, "en")["note_text"].split("\n")


def test_a_committee_members_report_is_named_so_and_never_gives_their_number(handoff_env):
    env = handoff_env
    with env.runtime.unit_of_work() as session:
        register_member(session, env.organisation_id, name="Awa Traoré", phone=MEMBER, committee="Comité de Kati",
                        registered_by_id=env.supervisor_id)
    report = env.report(reporter_phone=MEMBER, consent_to_share=True, may_contact=True, description="Vu au marché")
    lines = _note(env, report.id, "en")["note_text"].split("\n")
    assert lines[1] == "Reported by: a member of a community child protection committee"
    assert "What the reporter wrote: Vu au marché" in lines
    assert not any(MEMBER in line or "contacted" in line for line in lines)


def test_a_report_typed_in_by_staff_is_named_so(handoff_env):
    env = handoff_env
    report = env.report(channel="web", channel_session_id=None, may_contact=False)
    assert _note(env, report.id, "en")["note_text"].split("\n")[:2] == ["Channel: web", "Reported by: a staff member"]


def test_a_report_handed_over_before_triage_carries_the_report_alone(handoff_env):
    env = handoff_env
    report = env.report(concern="child_labour", child_sex="male", danger_now=False, location_code="ML090101")
    _received_on(env, report.id)
    fields = _fields(env, report.id)
    assert {key: value for key, value in fields.items() if key != "notes_section"} == {
        "module_id": "primeromodule-cp", "registration_date": "2026-11-30",
        "other_agency_id": report.reference, "other_agency_name": "Relais",
        "urgent_protection_concern": "false", "sex": "male",
        "protection_concerns": ["worst_forms_of_child_labor"], "location_current": "ML01"}
    assert [note["unique_id"] for note in fields["notes_section"]] == [str(row_id(primero_id_for(report.id), "intake"))]


def test_a_value_the_mapping_leaves_out_is_not_sent_at_all(handoff_env):
    env = handoff_env
    report = env.report(concern="physical_abuse", child_sex="unknown", location_code=None, danger_now=True)
    mapping = env.runtime.primero_mapping(env.slug)
    no_concern = replace(mapping, concerns={"child_labour": ("worst_forms_of_child_labor",)})
    fields = _fields(env, report.id, mapping=no_concern)
    assert fields["urgent_protection_concern"] == "true"
    assert not {"sex", "protection_concerns", "location_current"} & set(fields)


def test_an_unassigned_case_or_a_case_worker_with_no_primero_user_has_no_owner(handoff_env):
    env = handoff_env
    with env.runtime.unit_of_work() as session:
        unassigned = make_case(session, organisation_slug=env.slug)
        unassigned_ids = (unassigned.report_id, unassigned.id)
    assert "owned_by" not in _fields(env, unassigned_ids[0], case_id=unassigned_ids[1])
    report = env.report()
    case_id, _handoff = env.accept(report.id)
    # Given to a second case worker, neither the first account made nor the first by email.
    with env.runtime.unit_of_work() as session:
        organisation = session.get(Organisation, env.organisation_id)
        zeinab = make_user(session, organisation, role="caseworker", email="zeinab@relais.example").id
        assign_case(session, as_staff(session.get(User, env.supervisor_id)), case_id, zeinab, sms_backend="console")
    mapping = env.runtime.primero_mapping(env.slug)
    mapping = replace(mapping, users={**mapping.users, "zeinab@relais.example": "cp_zeinab"})
    with env.runtime.unit_of_work(read_only=True) as session:
        handoff = session.scalars(select(Handoff).where(Handoff.report_id == report.id)).one()
        assert case_fields(session, handoff, mapping, module="m", language="fr", today=TODAY)["owned_by"] == "cp_zeinab"
        nobody = replace(mapping, users={})
        assert "owned_by" not in case_fields(session, handoff, nobody, module="m", language="fr", today=TODAY)


def test_each_consents_latest_record_of_its_own_case_is_the_tick(handoff_env):
    env = handoff_env
    report, other_report = env.report(), env.report()
    case_id, _ = env.accept(report.id)
    other_case_id, _ = env.accept(other_report.id)
    with env.runtime.unit_of_work() as session:
        worker = as_staff(session.get(User, env.worker_id))
        assert consent_ticks(session, case_id) == {}
        record_consent(session, worker, case_id, purpose="services", given=False, given_by="caregiver")
        given = record_consent(session, worker, case_id, purpose="services", given=True, given_by="caregiver")
        record_consent(session, worker, other_case_id, purpose="sharing_providers", given=True,
                       given_by="caregiver")
        # The refusal was recorded first: make it older, as it would be, whatever the clock's resolution.
        for consent in session.scalars(select(CaseConsent).where(CaseConsent.case_id == case_id,
                                                                 CaseConsent.given.is_(False))):
            consent.recorded_at = utcnow() - timedelta(minutes=5)
    with env.runtime.unit_of_work() as session:
        assert consent_ticks(session, case_id) == {"consent_for_services": True}
        assert consent_ticks(session, other_case_id) == {"disclosure_other_orgs": True}
        withdraw_consent(session, as_staff(session.get(User, env.worker_id)), case_id, given)
    with env.runtime.unit_of_work() as session:
        assert consent_ticks(session, case_id) == {"consent_for_services": False}
