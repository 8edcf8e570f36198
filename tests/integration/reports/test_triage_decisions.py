"""Triage decisions (casecore.triage) and committee reports, on both databases: what each decision writes, what it
refuses, and that a report is decided once even when two supervisors decide at the same time."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases.assignment import candidates
from casecore.cases.models import Case, CaseContact
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import Timelines, schedule
from casecore.directory.models import Service
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.messaging.contacts import remember_language
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Organisation, Team
from casecore.reports.committees import deactivate_member, list_members, register_member
from casecore.reports.models import Report
from casecore.triage.decisions import (
    Acceptance,
    AlreadyDecided,
    accept_report,
    mark_duplicate,
    mark_not_eligible,
    refer_out,
)
from dialogs.committee_thanks import accepted_text
from tests.concurrency import run_together
from tests.factories import make_case, make_organisation, make_report, make_user

TIMELINES = Timelines(first_response_hours={"high": 10, "medium": 20, "low": 30},
                      assessment_hours={"high": 11, "medium": 21, "low": 31})
REPORTER = "+22376701430"
MEMBER = "+22376709999"


@pytest.fixture
def org(any_db_runtime):
    """An organisation with a supervisor, two teams' case workers, and an inactive case worker."""
    with any_db_runtime.unit_of_work() as session:
        organisation = make_organisation(session)
        supervisor = make_user(session, organisation, role="supervisor")
        team = Team(organisation_id=organisation.id, name="Nord", supervisor_id=supervisor.id)
        session.add(team)
        session.flush()
        worker = make_user(session, organisation, role="caseworker")
        worker.team_id = team.id
        idle = make_user(session, organisation, role="caseworker")
        idle.is_active = False
        return {"runtime": any_db_runtime, "id": organisation.id, "slug": organisation.slug,
                "supervisor": supervisor.id, "worker": worker.id, "team": team.id, "idle": idle.id}


def _report(org, **overrides):
    with org["runtime"].unit_of_work() as session:
        return make_report(session, organisation_slug=org["slug"], **overrides)


def _accept(org, report_id, session, **overrides):
    values = {"risk_level": "high", "assigned_to_id": org["worker"], **overrides}
    return accept_report(session, report_id, Acceptance(**values), organisation_id=org["id"],
                         decided_by_id=org["supervisor"], timelines=TIMELINES, default_region="ML",
                         sms_backend="console", committee_thanks=accepted_text)


def test_accepting_opens_an_assigned_case_with_its_first_deadlines(org):
    report = _report(org, reporter_phone=REPORTER, consent_to_share=True, may_contact=True)
    before = utcnow()
    with org["runtime"].unit_of_work() as session:
        accepted = _accept(org, report.id, session, risk_level="medium", wants_female_worker=True,
                           family_language="bm")
    with org["runtime"].unit_of_work() as session:
        case = session.get(Case, accepted.case_id)
        stored = session.get(Report, report.id)
        assert (case.risk_level, case.team_id, case.assigned_to_id, case.status) == (
            "medium", org["team"], org["worker"], "open")
        assert case.wants_female_worker and case.family_language == "bm" and case.assigned_at >= before
        assert case.reference == accepted.case_reference
        assert (stored.status, stored.decided_by_id) == ("accepted", org["supervisor"])
        assert stored.decided_at >= before
        deadlines = {d.kind: d for d in session.scalars(select(CaseDeadline).where(
            CaseDeadline.case_id == case.id))}
        assert set(deadlines) == {"first_response", "assessment"}
        assert deadlines["first_response"].due_at - case.assigned_at < timedelta(hours=20, seconds=5)
        assert deadlines["first_response"].due_at - before >= timedelta(hours=20)
        assert deadlines["assessment"].due_at - before >= timedelta(hours=21)
        # The reporter agreed to be known and called: their number reaches the case worker.
        assert session.scalars(select(CaseContact.phone).where(CaseContact.case_id == case.id)).all() == [REPORTER]
        actions = session.execute(select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id)).all()
        assert ("report.accepted", str(report.id), org["supervisor"]) in actions
        assert ("case.opened", str(case.id), org["supervisor"]) in actions
        # The case worker is told by SMS, with the case's reference and nothing of the child.
        (told,) = session.scalars(select(OutboundMessage).where(OutboundMessage.recipient_user_id == org["worker"]))
        assert told.body == f"Relais: le dossier {case.reference} vous est attribué. Connectez-vous pour le voir."
        assert accepted.outbox_ids == [told.id]


def test_accepting_meets_the_assignment_deadline(org):
    with org["runtime"].unit_of_work() as session:
        report = make_report(session, organisation_slug=org["slug"])
        schedule(session, "assignment", utcnow() + timedelta(hours=3), report_id=report.id)
    with org["runtime"].unit_of_work() as session:
        _accept(org, report.id, session)
    with org["runtime"].unit_of_work() as session:
        [deadline] = session.scalars(select(CaseDeadline).where(CaseDeadline.report_id == report.id)).all()
        assert deadline.met_at is not None


def test_a_reporter_who_may_not_be_called_is_not_linked(org):
    report = _report(org, reporter_phone=REPORTER, consent_to_share=True, may_contact=False)
    with org["runtime"].unit_of_work() as session:
        accepted = _accept(org, report.id, session)
    with org["runtime"].unit_of_work() as session:
        assert session.scalars(select(CaseContact).where(CaseContact.case_id == accepted.case_id)).all() == []


@pytest.mark.parametrize("bad", [
    {"risk_level": "no_risk"}, {"risk_level": ""}, {"assigned_to_id": ""}, {"assigned_to_id": "not-an-id"},
    {"family_language": "de"},
])
def test_accepting_refuses_bad_values(org, bad):
    report = _report(org)
    with org["runtime"].unit_of_work() as session:
        with pytest.raises(InvalidInput):
            _accept(org, report.id, session, **bad)
    with org["runtime"].unit_of_work() as session:
        assert session.get(Report, report.id).status == "new"


@pytest.mark.parametrize("who", ["supervisor", "idle", "foreign"])
def test_a_case_goes_only_to_an_active_case_worker_of_the_organisation(org, who):
    report = _report(org)
    with org["runtime"].unit_of_work() as session:
        if who == "foreign":
            assignee = make_user(session, make_organisation(session), role="caseworker").id
        else:
            assignee = org[who]
    with org["runtime"].unit_of_work() as session:
        with pytest.raises(InvalidInput, match="active case worker"):
            _accept(org, report.id, session, assigned_to_id=assignee)
    with org["runtime"].unit_of_work() as session:
        assert session.scalar(select(Case.id)) is None


def test_a_second_decision_is_refused(org):
    report = _report(org)
    with org["runtime"].unit_of_work() as session:
        mark_not_eligible(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                          reason="adult")
    with org["runtime"].unit_of_work() as session:
        with pytest.raises(AlreadyDecided):
            _accept(org, report.id, session)
    with org["runtime"].unit_of_work() as session:
        assert session.get(Report, report.id).status == "not_eligible"
        assert session.scalar(select(Case.id)) is None


def test_two_supervisors_deciding_at_once_one_wins(org):
    report = _report(org)
    runtime = org["runtime"]

    def decide():
        with runtime.unit_of_work() as session:
            return _accept(org, report.id, session).case_id

    results, errors = run_together(4, decide)
    assert len(results) == 1, errors
    assert errors and all(isinstance(error, AlreadyDecided) for error in errors), errors
    with runtime.unit_of_work() as session:
        assert session.scalars(select(Case.id)).all() == results


def test_another_organisations_report_cannot_be_decided(org):
    with org["runtime"].unit_of_work() as session:
        other = make_organisation(session)
        report = make_report(session, organisation_slug=other.slug)
    with org["runtime"].unit_of_work() as session:
        with pytest.raises(NotFound):
            mark_not_eligible(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                              reason="adult")


def test_a_duplicate_is_linked_to_the_first_report_of_its_chain(org):
    first, second, third = _report(org), _report(org), _report(org)
    with org["runtime"].unit_of_work() as session:
        mark_duplicate(session, second.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                       original_reference=first.reference.lower(), note="same child, same day")
        # A duplicate of a duplicate points at the first report.
        assert mark_duplicate(session, third.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                              original_reference=second.reference) == first.id
    with org["runtime"].unit_of_work() as session:
        for report in (second, third):
            stored = session.get(Report, report.id)
            assert (stored.status, stored.duplicate_of_id) == ("duplicate", first.id)
        assert session.get(Report, second.id).decision_note == "same child, same day"


@pytest.mark.parametrize("reference", ["", "ABC", "SELF", "FOREIGN", "2222222"])
def test_a_duplicate_needs_another_report_of_the_organisation(org, reference):
    report = _report(org)
    with org["runtime"].unit_of_work() as session:
        if reference == "SELF":
            reference = report.reference
        elif reference == "FOREIGN":
            reference = make_report(session, organisation_slug=make_organisation(session).slug).reference
    with org["runtime"].unit_of_work() as session:
        with pytest.raises(InvalidInput):
            mark_duplicate(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                           original_reference=reference)


def test_not_eligible_needs_a_listed_reason_and_a_note_for_other(org):
    report = _report(org)
    with org["runtime"].unit_of_work() as session:
        with pytest.raises(InvalidInput):
            mark_not_eligible(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                              reason="bored")
        with pytest.raises(InvalidInput, match="note"):
            mark_not_eligible(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                              reason="other", note="  ")
        mark_not_eligible(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                          reason="other", note="the family moved abroad")
    with org["runtime"].unit_of_work() as session:
        stored = session.get(Report, report.id)
        assert (stored.status, stored.not_eligible_reason) == ("not_eligible", "other")


def test_referring_out_needs_an_active_service_of_the_directory(org):
    report = _report(org)
    with org["runtime"].unit_of_work() as session:
        other = make_organisation(session)
        ours = Service(organisation_id=org["id"], provider_name="Centre d'écoute", service_type="health")
        closed = Service(organisation_id=org["id"], provider_name="Fermé", service_type="health", is_active=False)
        theirs = Service(organisation_id=other.id, provider_name="Ailleurs", service_type="health")
        session.add_all([ours, closed, theirs])
        session.flush()
        ids = ours.id, closed.id, theirs.id
    with org["runtime"].unit_of_work() as session:
        for bad in (ids[1], ids[2], "nope"):
            with pytest.raises(InvalidInput):
                refer_out(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                          service_id=bad)
        refer_out(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                  service_id=ids[0])
    with org["runtime"].unit_of_work() as session:
        stored = session.get(Report, report.id)
        assert (stored.status, stored.referred_to_service_id) == ("referred", ids[0])


def test_assignment_list_puts_the_best_match_first_and_flags_heavy_caseloads(org):
    with org["runtime"].unit_of_work() as session:
        organisation = session.get(Organisation, org["id"])
        woman = make_user(session, organisation, role="caseworker")
        woman.sex, woman.spoken_languages = "female", "fr,bm"
        busy = make_user(session, organisation, role="caseworker")
        busy.sex, busy.spoken_languages = "female", "bm"
        for _ in range(3):
            make_case(session, organisation_slug=org["slug"], assigned_to_id=busy.id)
        make_case(session, organisation_slug=org["slug"], assigned_to_id=busy.id, status="closed")
        make_case(session, organisation_slug=org["slug"], assigned_to_id=org["worker"])
        listed = candidates(session, org["id"], caseload_limit=2, wants_female_worker=True, family_language="bm")
        plain = candidates(session, org["id"], caseload_limit=2)
    assert [c.id for c in listed] == [woman.id, busy.id, org["worker"]]  # the idle worker is left out
    assert [c.open_cases for c in listed] == [0, 3, 1]
    assert [c.over_limit for c in listed] == [False, True, False]
    assert (listed[2].is_woman, listed[2].speaks_family_language) == (False, False)
    # Nothing asked: the lightest caseload first, and no match shown.
    assert [c.id for c in plain][-1] == busy.id and plain[0].is_woman is None


# -- committees ------------------------------------------------------------------------------------------------

def _member(org, phone=MEMBER, **overrides):
    with org["runtime"].unit_of_work() as session:
        return register_member(session, org["id"], name="Awa Traoré", phone=phone, committee="Comité de Kati",
                               registered_by_id=org["supervisor"], **overrides)


def test_a_report_from_a_members_number_is_marked(org):
    member_id = _member(org)
    marked = _report(org, reporter_phone=MEMBER, consent_to_share=True)
    anonymous = _report(org, reporter_phone=None, consent_to_share=False)
    stranger = _report(org, reporter_phone=REPORTER, consent_to_share=True)
    with org["runtime"].unit_of_work() as session:
        assert session.get(Report, marked.id).committee_member_id == member_id
        assert session.get(Report, anonymous.id).committee_member_id is None
        assert session.get(Report, stranger.id).committee_member_id is None


def test_an_inactive_member_or_another_organisations_is_not_matched(org):
    member_id = _member(org)
    with org["runtime"].unit_of_work() as session:
        assert deactivate_member(session, org["id"], member_id) is True
        other = make_organisation(session)
        register_member(session, other.id, name="B", phone="+22376708888", committee="C",
                        registered_by_id=org["supervisor"])
    for phone in (MEMBER, "+22376708888"):
        report = _report(org, reporter_phone=phone, consent_to_share=True)
        with org["runtime"].unit_of_work() as session:
            assert session.get(Report, report.id).committee_member_id is None


def test_a_member_is_registered_once_per_number_and_can_come_back(org):
    member_id = _member(org, phone="76 70 99 99")  # a national number, read in the default region
    with pytest.raises(Conflict):
        _member(org)
    with org["runtime"].unit_of_work() as session:
        deactivate_member(session, org["id"], member_id)
    assert _member(org) == member_id
    for bad in ({"phone": "12"}, {"location_code": "nowhere"}):
        with pytest.raises(InvalidInput):
            _member(org, **{"phone": "+22376707777", **bad})


def test_a_member_is_thanked_once_in_their_language_with_the_reference_only(org):
    _member(org)
    with org["runtime"].unit_of_work() as session:
        remember_language(session, MEMBER, "bm")
    report = _report(org, reporter_phone=MEMBER, consent_to_share=True, may_contact=True,
                     concern="sexual_abuse", description="Fatou, 9 ans")
    with org["runtime"].unit_of_work() as session:
        accepted = _accept(org, report.id, session)
    assert len(accepted.outbox_ids) == 2  # the thanks, and the case worker's assignment SMS
    with org["runtime"].unit_of_work() as session:
        [message] = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == MEMBER)).all()
        assert message.id in accepted.outbox_ids
        assert message.body == accepted_text("bm", report.reference)
        assert report.reference in message.body
        for detail in ("Fatou", "sexu", accepted.case_reference):
            assert detail not in message.body
        # A committee member reports someone else's child: not a family contact of the case.
        assert session.scalars(select(CaseContact).where(CaseContact.case_id == accepted.case_id)).all() == []


def test_a_member_without_a_remembered_language_is_thanked_in_french(org):
    _member(org)
    report = _report(org, reporter_phone=MEMBER, consent_to_share=True)
    with org["runtime"].unit_of_work() as session:
        _accept(org, report.id, session)
    with org["runtime"].unit_of_work() as session:
        body = session.scalar(select(OutboundMessage.body).where(OutboundMessage.to_phone == MEMBER))
    assert body == f"Relais: votre signalement {report.reference} a été pris en charge. Merci."


def test_other_decisions_send_nothing_to_the_member(org):
    _member(org)
    report = _report(org, reporter_phone=MEMBER, consent_to_share=True)
    with org["runtime"].unit_of_work() as session:
        mark_not_eligible(session, report.id, organisation_id=org["id"], decided_by_id=org["supervisor"],
                          reason="outside_area")
    with org["runtime"].unit_of_work() as session:
        assert session.scalar(select(OutboundMessage.id)) is None


def test_members_are_listed_active_first_then_by_committee_and_as_registered(org):
    names = ["drissa", "Bakary", "Aminata", "Coumba", "Émile", "Fanta"]
    with org["runtime"].unit_of_work() as session:
        ids = [register_member(session, org["id"], name=name, phone=f"+2237670900{n}", committee="Comité de Kati",
                               registered_by_id=org["supervisor"]) for n, name in enumerate(names)]
        register_member(session, org["id"], name="Zoé", phone="+22376709010", committee="Comité A",
                        registered_by_id=org["supervisor"])
        deactivate_member(session, org["id"], ids[2])
        listed = [(m.committee, m.name, m.is_active) for m in list_members(session, org["id"]).rows]
    # Names are sealed: the database cannot sort them, so a committee's members come in the order registered.
    assert listed == [("Comité A", "Zoé", True), *(("Comité de Kati", n, True) for n in
                      ["drissa", "Bakary", "Coumba", "Émile", "Fanta"]), ("Comité de Kati", "Aminata", False)]
