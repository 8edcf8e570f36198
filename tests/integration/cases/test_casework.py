"""Case work on both databases: steps and approvals, deadlines, closure surveys, consent, follow-ups, reopening,
messages to the family."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore import free_text, taxonomy
from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases import approvals, casework, closure, outreach, surveys
from casecore.cases.models import Case, CaseApproval, CaseConsent, CaseEvent, CaseFollowUp, Referral
from casecore.cases.referrals import case_referrals
from casecore.deadlines import timelines
from casecore.deadlines.models import CaseDeadline
from casecore.directory.models import Service
from casecore.errors import NotAllowed, NotFound, Refused
from casecore.messaging.contacts import opt_out, remember_language
from casecore.messaging.inbox import InboundDraft, store_inbound
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Team
from channels.sms.encoding import to_gsm7
from dialogs.closure_survey import survey_invitations
from dialogs.keywords import keyword_book
from tests.factories import Asking

FAMILY = "+22376000100"
SECOND = "+22366000200"
TIMELINES = timelines.Timelines()
SURVEYS = surveys.SurveyPlan(
    lambda language: {k: to_gsm7(v) for k, v in survey_invitations(language, keyword_book().first_words).items()},
    backend="console", default_language="fr")


@pytest.fixture
def world(any_db_runtime):
    """A team (supervisor, two case workers), another supervisor of the team's organisation, and a high-risk case
    assigned to the first worker with two family numbers."""
    from tests.factories import make_case, make_organisation, make_user

    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        lead, second_lead = make_user(session, org), make_user(session, org)
        team = Team(organisation_id=org.id, name="Equipe A", supervisor_id=lead.id)
        other_team = Team(organisation_id=org.id, name="Equipe B", supervisor_id=second_lead.id)
        session.add_all([team, other_team])
        session.flush()
        # Membership (User.team_id) is not needed: access goes by the case's team and its assignee.
        worker = make_user(session, org, role="caseworker")
        other_worker = make_user(session, org, role="caseworker")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id,
                         contact_phones=[FAMILY, SECOND])
        case.team_id, case.risk_level = team.id, "high"
        people = {name: Asking(u.id, u.organisation_id, u.role) for name, u in [
            ("lead", lead), ("second_lead", second_lead), ("worker", worker), ("other_worker", other_worker)]}
    return any_db_runtime, people, case.id


def _case(runtime, case_id) -> Case:
    with runtime.unit_of_work() as session:
        return session.get(Case, case_id)


def _open_deadlines(runtime, case_id) -> dict[str, object]:
    with runtime.unit_of_work() as session:
        return {d.kind: d.due_at for d in timelines.open_deadlines(session, case_id=case_id)}


def _request(runtime, who, case_id, step, content="ok", reason=None):
    """Ask for an approval; a closure ticks the criteria its reason needs (form 6.A)."""
    with runtime.unit_of_work() as session:
        return approvals.request_approval(session, who, case_id, step, content, reason,
                                          criteria=taxonomy.CLOSURE_REASON_CRITERIA.get(reason or "", ()))


def _decide(runtime, who, case_id, approval_id, decision, comment=None, met=()):
    """Decide; before approving a closure, the supervisor records the child's and an adult's feedback (those in met
    were met in person, the others get the SMS survey)."""
    with runtime.unit_of_work() as session:
        if decision == "approved" and session.get(CaseApproval, approval_id).step == "closure":
            for audience in ("child", "adult"):
                closure.record_feedback(session, who, case_id, audience=audience, met=audience in met,
                                        rating=4 if audience in met else None, listened_to=True, helped=None,
                                        better=None)
    with runtime.unit_of_work() as session:
        return approvals.decide_approval(session, who, case_id, approval_id, decision, comment,
                                         timelines=TIMELINES, surveys=SURVEYS)


def test_assessment_then_case_plan_move_the_case_and_set_its_deadlines(world):
    runtime, people, case_id = world
    with runtime.unit_of_work() as session:
        timelines.schedule(session, "assessment", utcnow() + timedelta(hours=24), case_id=case_id)
    assessment = _request(runtime, people["worker"], case_id, "assessment", "The child lives with an aunt.")
    assert _case(runtime, case_id).current_step == "assessment"
    assert "assessment" not in _open_deadlines(runtime, case_id), "asking for approval meets the assessment"
    before = utcnow()
    assert _decide(runtime, people["lead"], case_id, assessment, "approved") == []
    case = _case(runtime, case_id)
    assert case.current_step == "case_plan"
    due = _open_deadlines(runtime, case_id)["case_plan"]
    assert before + timedelta(hours=72) <= due <= utcnow() + timedelta(hours=72)  # high risk: 3 days
    plan = _request(runtime, people["worker"], case_id, "case_plan", "School, health visit.")
    assert "case_plan" not in _open_deadlines(runtime, case_id)
    _decide(runtime, people["lead"], case_id, plan, "approved", "Good plan.")
    assert _case(runtime, case_id).current_step == "implementation"
    review = _open_deadlines(runtime, case_id)["review"]
    assert before + timedelta(days=30) <= review <= utcnow() + timedelta(days=30)
    with runtime.unit_of_work() as session:
        kinds = [e.kind for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                                  .order_by(CaseEvent.at))]
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(case_id))))
    assert kinds == ["step_changed", "approval_requested", "approval_approved", "step_changed",
                     "approval_requested", "approval_approved", "step_changed"]
    assert {"case.assessment_requested", "case.assessment_approved", "case.case_plan_requested",
            "case.case_plan_approved"} <= actions


def test_one_pending_request_per_step_and_a_returned_one_can_be_made_again(world):
    runtime, people, case_id = world
    first = _request(runtime, people["worker"], case_id, "assessment")
    with pytest.raises(Refused) as refused:
        _request(runtime, people["worker"], case_id, "assessment")
    assert refused.value.code == "approval_pending"
    with pytest.raises(Refused) as refused:
        _decide(runtime, people["lead"], case_id, first, "returned")
    assert refused.value.code == "comment_required"
    _decide(runtime, people["lead"], case_id, first, "returned", "Talk to the teacher too.")
    case = _case(runtime, case_id)
    assert case.current_step == "assessment" and case.status == "open"
    with pytest.raises(Refused) as refused:
        _decide(runtime, people["lead"], case_id, first, "approved")
    assert refused.value.code == "already_decided"
    again = _request(runtime, people["worker"], case_id, "assessment", "Teacher seen.")
    with runtime.unit_of_work() as session:
        rows = {a.id: (a.decision, a.comment) for a in session.scalars(select(CaseApproval))}
    assert rows == {first: ("returned", "Talk to the teacher too."), again: ("pending", None)}


def test_only_a_supervisor_who_did_not_ask_decides(world):
    runtime, people, case_id = world
    asked = _request(runtime, people["worker"], case_id, "assessment")
    with pytest.raises(NotAllowed):
        _decide(runtime, people["worker"], case_id, asked, "approved")
    with pytest.raises(NotFound):
        _decide(runtime, people["second_lead"], case_id, asked, "approved")  # another team's supervisor
    with pytest.raises(Refused):
        _request(runtime, people["worker"], case_id, "case_plan")  # not at the plan yet
    _decide(runtime, people["lead"], case_id, asked, "approved")
    # The supervisor does not ask: they could not decide their own request, and nobody else sees the case.
    with pytest.raises(NotAllowed):
        _request(runtime, people["lead"], case_id, "case_plan")


def test_closure_closes_meets_deadlines_schedules_the_check_and_invites_feedback_once(world):
    runtime, people, case_id = world
    with runtime.unit_of_work() as session:
        timelines.schedule(session, "review", utcnow() + timedelta(days=3), case_id=case_id)
        remember_language(session, SECOND, "en")
        # The second number plays in the simulator: what is sent to it stays there.
        store_inbound(session, InboundDraft(provider="simulator", provider_message_id="SIM-1", channel="sms",
                                            phone=SECOND, to_address="simulator", body="bonjour"))
    with pytest.raises(Refused) as refused:
        _request(runtime, people["worker"], case_id, "closure", "done")
    assert refused.value.code == "closure_reason_required"
    closure = _request(runtime, people["worker"], case_id, "closure", "Talked with the child and the aunt.",
                       "goals_met_safe")
    assert _case(runtime, case_id).status == "closure_requested"
    with pytest.raises(Refused) as refused:
        _request(runtime, people["worker"], case_id, "closure", "", "death")
    assert refused.value.code == "closure_pending"
    to_send = _decide(runtime, people["lead"], case_id, closure, "approved")
    case = _case(runtime, case_id)
    assert (case.status, case.current_step, case.closure_reason) == ("closed", "closure", "goals_met_safe")
    assert case.closed_at is not None
    due = _open_deadlines(runtime, case_id)
    assert list(due) == ["post_closure_check"]
    assert abs(due["post_closure_check"] - (case.closed_at + timedelta(days=90))) < timedelta(seconds=5)
    with runtime.unit_of_work() as session:
        messages = list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.to_phone)))
        # Queued again (a retried job) writes nothing new.
        surveys.queue_closure_surveys(session, session.get(Case, case_id), closure, SURVEYS)
        assert len(list(session.scalars(select(OutboundMessage.id)))) == 4
        assert session.scalar(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)
                              .order_by(CaseEvent.at.desc()).limit(1)) == "closed"
    assert sorted(to_send) == sorted(m.id for m in messages) and len(messages) == 4
    by_phone = {}
    for message in messages:
        by_phone.setdefault(message.to_phone, []).append(message.body)
        assert message.channel == "sms"
        assert message.backend == ("simulator" if message.to_phone == SECOND else "console")
        assert case.reference not in message.body
    assert all("AVIS" in body for body in by_phone[FAMILY]) and all("FEEDBACK" in b for b in by_phone[SECOND])
    assert {b.startswith("Relais : ") for b in by_phone[FAMILY]} == {True}
    assert len(set(by_phone[FAMILY])) == 2, "one for the adult, one for the child"


def test_a_returned_closure_reopens_the_request_and_surveys_skip_opted_out_numbers(world):
    runtime, people, case_id = world
    closure = _request(runtime, people["worker"], case_id, "closure", None, "not_contactable")
    _decide(runtime, people["lead"], case_id, closure, "returned", "Try the neighbour first.")
    assert _case(runtime, case_id).status == "open"
    with runtime.unit_of_work() as session:
        opt_out(session, SECOND)
    again = _request(runtime, people["worker"], case_id, "closure", None, "not_contactable")
    _decide(runtime, people["lead"], case_id, again, "approved")
    with runtime.unit_of_work() as session:
        assert set(session.scalars(select(OutboundMessage.to_phone))) == {FAMILY}


@pytest.mark.parametrize("how", ["message", "visit", "assessment started", "assessment asked"])
def test_reaching_the_family_meets_the_first_response(world, how):
    runtime, people, case_id = world
    worker, now = people["worker"], utcnow()
    with runtime.unit_of_work() as session:
        timelines.schedule(session, "first_response", now + timedelta(hours=20), case_id=case_id)
    if how == "message":
        _message(runtime, worker, case_id, "Bonjour", str(uuid.uuid4()))
    with runtime.unit_of_work() as session:
        if how == "visit":
            casework.log_follow_up(session, worker, case_id, kind="visit", happened_at=now, notes=None,
                                   next_due_at=None, timelines=TIMELINES)
        elif how == "assessment started":
            casework.advance_step(session, worker, case_id, "assessment")
        elif how == "assessment asked":
            approvals.request_approval(session, worker, case_id, "assessment", "Seen at home.")
    assert "first_response" not in _open_deadlines(runtime, case_id)


def test_a_note_does_not_meet_the_first_response_and_control_characters_are_dropped(world):
    runtime, people, case_id = world
    with runtime.unit_of_work() as session:
        timelines.schedule(session, "first_response", utcnow() + timedelta(hours=20), case_id=case_id)
        event_id = casework.add_note(session, people["worker"], case_id, "Appel\x00 prévu\nmardi\x07")
    with runtime.unit_of_work() as session:
        assert session.get(CaseEvent, event_id).body == "Appel prévu\nmardi"
    assert "first_response" in _open_deadlines(runtime, case_id)


def _referrals(session, worker, case_id, *made: tuple) -> list[Referral]:
    """Referrals of the case to a clinic, one per (consent id, status)."""
    service = Service(organisation_id=session.get(Case, case_id).organisation_id, provider_name="Clinique",
                      service_type="health")
    session.add(service)
    session.flush()
    rows = [Referral(case_id=case_id, service_id=service.id, consent_id=consent_id, status=status,
                     notes="Consultation pour la mère", created_by_id=worker.id) for consent_id, status in made]
    session.add_all(rows)
    session.flush()
    return rows


def test_withdrawing_sharing_stops_only_the_referrals_that_relied_on_it(world):
    runtime, people, case_id = world
    worker = people["worker"]
    with runtime.unit_of_work() as session:
        services = casework.record_consent(session, worker, case_id, purpose="services", given=True,
                                           given_by="caregiver")
        sharing = casework.record_consent(session, worker, case_id, purpose="sharing_providers", given=True,
                                          given_by="caregiver")
        on_services, on_sharing = _referrals(session, worker, case_id, (services, "sent"), (sharing, "sent"))
    with runtime.unit_of_work() as session:
        assert casework.withdraw_consent(session, worker, case_id, sharing) == 1
    with runtime.unit_of_work() as session:
        assert session.get(Referral, on_sharing.id).status == "declined"
        assert session.get(Referral, on_services.id).status == "sent"


def test_withdrawing_consent_for_services_revokes_referrals_still_sent(world):
    runtime, people, case_id = world
    worker = people["worker"]
    with runtime.unit_of_work() as session:
        services = casework.record_consent(session, worker, case_id, purpose="services", given=True,
                                           given_by="caregiver")
        stats = casework.record_consent(session, worker, case_id, purpose="anonymous_statistics", given=True,
                                        given_by="caregiver_and_child", note="assent given")
        sent, taken = _referrals(session, worker, case_id, (services, "sent"), (services, "accepted"))
    with runtime.unit_of_work() as session:
        assert casework.withdraw_consent(session, worker, case_id, stats) == 0
        assert casework.withdraw_consent(session, worker, case_id, services) == 1
    with runtime.unit_of_work() as session:
        declined = session.get(Referral, sent.id)
        # What was asked of the provider stays; the reason is a code the page words.
        assert (declined.status, declined.declined_because, declined.notes) == (
            "declined", "consent_withdrawn", "Consultation pour la mère")
        assert next(r for r in case_referrals(session, case_id) if r.id == sent.id).consent_withdrawn
        assert session.get(Referral, taken.id).status == "accepted"
        assert session.get(CaseConsent, services).withdrawn_at is not None
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.withdraw_consent(session, worker, case_id, services)


def test_only_a_supervisor_authorises_consent_in_the_familys_stead(world):
    runtime, people, case_id = world
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.record_consent(session, people["worker"], case_id, purpose="services", given=True,
                                given_by="supervisor_authorised")
    with runtime.unit_of_work() as session:
        casework.record_consent(session, people["lead"], case_id, purpose="services", given=True,
                                given_by="supervisor_authorised")


def test_reopening_is_a_supervisors_decision_on_a_closed_case(world):
    runtime, people, case_id = world
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.reopen_case(session, people["lead"], case_id, "new facts", TIMELINES)
    closure = _request(runtime, people["worker"], case_id, "closure", None, "goals_met_safe")
    _decide(runtime, people["lead"], case_id, closure, "approved")
    with runtime.unit_of_work() as session, pytest.raises(NotAllowed):
        casework.reopen_case(session, people["worker"], case_id, "new facts", TIMELINES)
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.reopen_case(session, people["lead"], case_id, "   ", TIMELINES)
    with runtime.unit_of_work() as session:
        casework.reopen_case(session, people["lead"], case_id, "The child ran away again.", TIMELINES)
    case = _case(runtime, case_id)
    assert (case.status, case.current_step, case.reopen_reason) == ("open", "assessment", "The child ran away again.")
    assert case.reopened_at is not None and case.closed_at is None
    assert set(_open_deadlines(runtime, case_id)) == {"assessment"}


def test_follow_ups_set_the_next_visit_and_the_next_review_apart(world):
    runtime, people, case_id = world
    worker, now = people["worker"], utcnow()
    with runtime.unit_of_work() as session:
        timelines.schedule(session, "first_response", now + timedelta(hours=20), case_id=case_id)
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.log_follow_up(session, worker, case_id, kind="review", happened_at=now, notes=None,
                               next_due_at=None, timelines=TIMELINES)  # no plan yet
    with runtime.unit_of_work() as session:
        casework.log_follow_up(session, worker, case_id, kind="visit", happened_at=now - timedelta(days=1),
                               notes="Home visit", next_due_at=now + timedelta(days=10), timelines=TIMELINES)
    due = _open_deadlines(runtime, case_id)
    assert abs(due["visit"] - (now + timedelta(days=10))) < timedelta(seconds=1)
    assert "review" not in due and "first_response" not in due, "a visit is the first response"
    with runtime.unit_of_work() as session:
        session.get(Case, case_id).current_step = "implementation"
    with runtime.unit_of_work() as session:
        casework.log_follow_up(session, worker, case_id, kind="review", happened_at=now, notes="On track",
                               next_due_at=None, timelines=TIMELINES)
    due = _open_deadlines(runtime, case_id)
    assert abs(due["review"] - (now + timedelta(days=30))) < timedelta(seconds=1)
    # The next visit stays where it was: a review does not move it, nor a visit the monthly review.
    assert abs(due["visit"] - (now + timedelta(days=10))) < timedelta(seconds=1)
    for kwargs, code in [({"happened_at": now + timedelta(days=1)}, "date_in_future"),
                         ({"next_due_at": now - timedelta(days=1)}, "next_due_in_past")]:
        with runtime.unit_of_work() as session, pytest.raises(Refused) as refused:
            casework.log_follow_up(session, worker, case_id, **{"kind": "visit", "happened_at": now, "notes": None,
                                                                "next_due_at": None, "timelines": TIMELINES,
                                                                **kwargs})
        assert refused.value.code == code
    with runtime.unit_of_work() as session:
        assert len(list(session.scalars(select(CaseFollowUp)))) == 2


def test_the_visit_after_closure_meets_its_check(world):
    runtime, people, case_id = world
    closure = _request(runtime, people["worker"], case_id, "closure", None, "goals_met_safe")
    _decide(runtime, people["lead"], case_id, closure, "approved")
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.log_follow_up(session, people["worker"], case_id, kind="review", happened_at=utcnow(), notes=None,
                               next_due_at=None, timelines=TIMELINES)
    with runtime.unit_of_work() as session:
        casework.log_follow_up(session, people["worker"], case_id, kind="visit", happened_at=utcnow(),
                               notes="All well", next_due_at=None, timelines=TIMELINES)
    assert _open_deadlines(runtime, case_id) == {}


def test_manual_moves_and_notes(world):
    runtime, people, case_id = world
    worker = people["worker"]
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.advance_step(session, worker, case_id, "case_plan")
    with runtime.unit_of_work() as session:
        casework.advance_step(session, worker, case_id, "assessment")
        casework.add_note(session, worker, case_id, "Met the family.")
    with runtime.unit_of_work() as session, pytest.raises(Refused):
        casework.add_note(session, worker, case_id, "x" * (free_text.TEXT_LENGTH + 1))
    with runtime.unit_of_work() as session:
        note = session.scalar(select(CaseEvent).where(CaseEvent.kind == "note"))
        assert (note.body, note.author_user_id) == ("Met the family.", worker.id)


def test_nobody_works_on_a_case_they_cannot_see(world):
    runtime, people, case_id = world
    for who in ("other_worker", "second_lead"):
        with runtime.unit_of_work() as session, pytest.raises(NotFound):
            casework.add_note(session, people[who], case_id, "hello")
        with runtime.unit_of_work() as session, pytest.raises(NotFound):
            _request(runtime, people[who], case_id, "assessment")


def _message(runtime, who, case_id, text, key, contact=None, backend="console"):
    with runtime.unit_of_work() as session:
        if contact is None:
            contact = outreach.family_contacts(session, case_id)[0].id
        return outreach.message_family(session, who, case_id, contact_id=contact, text=text, form_key=key,
                                              sms_backend=backend, respell_sms=to_gsm7)


def test_a_message_to_the_family_goes_the_way_they_last_wrote_once_per_form(world):
    runtime, people, case_id = world
    import uuid

    key = str(uuid.uuid4())
    sent = _message(runtime, people["worker"], case_id, "Rendez-vous jeudi à 10h, ça va ?", key,
                    backend="africastalking")
    again = _message(runtime, people["worker"], case_id, "Rendez-vous jeudi à 10h, ça va ?", key,
                     backend="africastalking")
    assert sent.is_new and not again.is_new and again.outbox_id == sent.outbox_id
    with runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, sent.outbox_id)
        event = session.get(CaseEvent, sent.event_id)
        store_inbound(session, InboundDraft(provider="twilio", provider_message_id="SM1", channel="whatsapp",
                                            phone=FAMILY, to_address="whatsapp:+14155238886", body="merci"))
    # Never written to the family before: SMS through the configured backend, respelt for GSM-7.
    assert (message.channel, message.backend, message.to_phone) == ("sms", "africastalking", FAMILY)
    assert message.body == "Rendez-vous jeudi à 10h, ca va ?"
    assert (event.kind, event.body, event.author_user_id) == (
        "message_to_family", "Rendez-vous jeudi à 10h, ça va ?", people["worker"].id)
    on_whatsapp = _message(runtime, people["worker"], case_id, "Ça marche.", str(uuid.uuid4()), backend="twilio")
    with runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, on_whatsapp.outbox_id)
    assert (message.channel, message.backend, message.body) == ("whatsapp", "twilio", "Ça marche.")


def test_a_message_is_refused_to_a_number_that_opted_out_or_too_long(world):
    runtime, people, case_id = world
    import uuid

    with runtime.unit_of_work() as session:
        opt_out(session, FAMILY)
    with pytest.raises(Refused) as refused:
        _message(runtime, people["worker"], case_id, "Bonjour", str(uuid.uuid4()))
    assert refused.value.code == "opted_out"
    with pytest.raises(Refused) as refused:
        _message(runtime, people["worker"], case_id, "x" * 301, str(uuid.uuid4()))
    assert refused.value.code == "text_too_long"
    with runtime.unit_of_work() as session:
        second = outreach.family_contacts(session, case_id)[1].id
    with pytest.raises(Refused) as refused:
        _message(runtime, people["worker"], case_id, "ɲ" * 300, str(uuid.uuid4()), contact=second)
    assert refused.value.code == "message_too_long"
    with runtime.unit_of_work() as session:
        assert session.scalar(select(OutboundMessage.id)) is None
        assert session.scalar(select(CaseDeadline.id)) is None


def test_the_case_page_and_the_approvals_list_read_on_both_databases(world):
    from casecore.cases.view import case_page, pending_approvals

    runtime, people, case_id = world
    _request(runtime, people["worker"], case_id, "assessment", "Evaluation")
    with runtime.unit_of_work() as session:
        casework.add_note(session, people["worker"], case_id, "Note")
        view = case_page(session, people["lead"], case_id, "console")
        waiting = pending_approvals(session, people["lead"]).rows
        assert pending_approvals(session, people["second_lead"]).rows == ()
        with pytest.raises(NotFound):
            case_page(session, people["other_worker"], case_id, "console")
    assert [entry.kind for entry in view.timeline] == ["note", "approval_requested", "step_changed"]
    assert [entry.step for entry in view.timeline] == ["assessment"] * 3
    assert view.timeline[0].author is not None and view.assigned_to is not None
    assert [family.masked for family in view.family] == ["+223******00", "+223******00"]
    assert [(row.reference, row.step) for row in waiting] == [(view.case.reference, "assessment")]


def test_a_closure_waits_for_the_childs_and_an_adults_feedback_and_surveys_only_those_not_met(world):
    runtime, people, case_id = world
    with runtime.unit_of_work() as session, pytest.raises(Refused) as refused:
        approvals.request_approval(session, people["worker"], case_id, "closure", None, "goals_met_safe",
                                   criteria=["goals_achieved"])
    assert refused.value.code == "closure_criteria_needed"
    closure_id = _request(runtime, people["worker"], case_id, "closure", None, "goals_met_safe")
    with runtime.unit_of_work() as session, pytest.raises(Refused) as refused:
        approvals.decide_approval(session, people["lead"], case_id, closure_id, "approved", None,
                                  timelines=TIMELINES, surveys=SURVEYS)
    assert refused.value.code == "closure_feedback_needed"
    with runtime.unit_of_work() as session, pytest.raises(NotAllowed):
        closure.record_feedback(session, people["worker"], case_id, audience="child", met=True, rating=5,
                                listened_to=True, helped=None, better=None)
    with runtime.unit_of_work() as session, pytest.raises(Refused) as refused:
        closure.record_feedback(session, people["lead"], case_id, audience="child", met=True, rating=None,
                                listened_to=True, helped=None, better=None)
    assert refused.value.code == "feedback_rating"
    sent = _decide(runtime, people["lead"], case_id, closure_id, "approved", met=("child",))
    with runtime.unit_of_work() as session:
        keys = [session.get(OutboundMessage, message_id).purpose_key for message_id in sent]
        assert keys and all(key.endswith(":adult") for key in keys)  # the child was met: no survey for them
        assert session.get(CaseApproval, closure_id).closure_criteria == ["goals_achieved", "child_safe"]
