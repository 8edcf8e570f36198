"""Complaint handling on both databases: severity and date at intake, staff intake, need to know (every role against
every category, and the named-staff rule), the focal point's workflow and its refusals, alerts and the
complainant's acknowledgement (once, without details), and the whole loop from a USSD complaint to the answer."""
from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app import create_app
from bootstrap import Runtime, bootstrap
from casecore import taxonomy
from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.complaints import handling
from casecore.complaints.access import record_named_staff, require_complaint, view_complaint, visible_complaints
from casecore.complaints.alerts import (
    acknowledges_by_sms,
    alert_complaint_deadline,
    complaints_awaiting_alert,
    queue_complaint_alerts,
)
from casecore.complaints.intake import ComplaintDraft, log_complaint, submit_complaint
from casecore.complaints.models import Complaint, ComplaintNote
from casecore.errors import InvalidInput, NotAllowed, NotFound, Refused
from casecore.messaging.contacts import opt_out
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.messaging.sms_length import measure_sms
from channels.sms.encoding import to_gsm7
from dialogs.community import main_menu_token
from dialogs.complaint_ack import acknowledgement_text
from tests.concurrency import run_together
from tests.conftest import make_settings
from tests.factories import as_staff, make_organisation, make_user
from tests.fakes.africastalking import FakeAfricasTalking
from tests.queues import drain
from tests.unit.reports.test_alert_text import GSM7
from workers.queueing import enqueue_complaint_alert, enqueue_send
from workers.scheduler import run_once

COMPLAINANT = "+22376701430"
_sessions = itertools.count(1)


def make_complaint(session, org, *, category="service_quality", channel="ussd", anonymous=False, timelines=None,
                   description=None) -> Complaint:
    draft = ComplaintDraft(
        organisation_id=org.id, channel=channel, channel_session_id=f"ATUid_c{next(_sessions)}", category=category,
        anonymous=anonymous, contact_phone=COMPLAINANT, may_contact=True, description=description, language="fr",
        complainant_key=None)
    submitted = submit_complaint(session, draft, "ML", timelines or Runtime(make_settings()).timelines)
    return session.get(Complaint, submitted.id)


def staff_of(session):
    """An organisation with one staff member of each role, and another organisation's focal point."""
    org = make_organisation(session)
    people = {role: make_user(session, org, role=role) for role in taxonomy.ROLES}
    people["other_focal_point"] = make_user(session, make_organisation(session), role="focal_point")
    return org, people


def outbox(runtime) -> list[OutboundMessage]:
    with runtime.unit_of_work() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.purpose_key)))


# -- severity and the date to close by -----------------------------------------------------------------------------

@pytest.mark.parametrize("category, severity, hours", [
    ("sexual_exploitation_abuse", "critical", 24), ("staff_misconduct", "high", 72), ("fraud_corruption", "high", 72),
    ("data_breach", "high", 72), ("no_response", "medium", 168), ("service_quality", "low", 336),
    ("other", "low", 336),
])
def test_a_complaint_gets_its_categorys_severity_and_date(any_db_runtime, category, severity, hours):
    with any_db_runtime.unit_of_work() as session:
        complaint = make_complaint(session, make_organisation(session), category=category)
        assert (complaint.severity, complaint.status) == (severity, "new")
        assert complaint.due_at == complaint.received_at + timedelta(hours=hours)


def test_the_hours_by_severity_are_settings_and_a_bad_one_stops_start_up():
    timelines = Runtime(make_settings(COMPLAINT_DEADLINE_HOURS_CRITICAL=6, COMPLAINT_DEADLINE_HOURS_LOW=48)).timelines
    assert timelines.complaint_hours == {"critical": 6, "high": 72, "medium": 168, "low": 48}
    with pytest.raises(ValueError, match="COMPLAINT_DEADLINE_HOURS_HIGH"):
        Runtime(make_settings(COMPLAINT_DEADLINE_HOURS_HIGH=0))


def test_a_focal_point_changes_the_severity_and_the_date_moves_from_the_receipt(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        complaint = make_complaint(session, org, category="other")
        complaint.warned_at = utcnow()  # its old date was warned about: the new one is alerted anew
        handling.set_severity(session, as_staff(people["focal_point"]), complaint.id, "critical", timelines)
        session.refresh(complaint)
        assert complaint.severity == "critical" and complaint.warned_at is None
        assert complaint.due_at == complaint.received_at + timedelta(hours=24)
        with pytest.raises(NotAllowed):
            handling.set_severity(session, as_staff(people["supervisor"]), complaint.id, "low", timelines)
        with pytest.raises(InvalidInput):
            handling.set_severity(session, as_staff(people["focal_point"]), complaint.id, "urgent", timelines)
        assert session.scalar(select(ComplaintNote.body).where(ComplaintNote.kind == "severity")) == "critical"


# -- need to know ----------------------------------------------------------------------------------------------------

NON_SENSITIVE = set(taxonomy.COMPLAINT_CATEGORIES) - taxonomy.SENSITIVE_COMPLAINT_CATEGORIES
# What each person reads of their organisation's complaints, when not named in them.
READS = {
    "focal_point": set(taxonomy.COMPLAINT_CATEGORIES),
    "supervisor": NON_SENSITIVE,
    "caseworker": set(),
    "admin": set(),
    "other_focal_point": set(),
}


@pytest.mark.parametrize("who", list(READS))
@pytest.mark.parametrize("named", [False, True], ids=["not named", "named"])
def test_who_reads_which_complaint(any_db_runtime, who, named):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        person = people[who]
        by_category = {}
        for category in taxonomy.COMPLAINT_CATEGORIES:
            complaint = make_complaint(session, org, category=category)
            # Another organisation's staff cannot be named (test_only_the_organisations_own_staff_can_be_named).
            if named and who != "other_focal_point":
                handling.name_staff(session, as_staff(people["focal_point"]), complaint.id, [person.id])
            by_category[category] = complaint.id
        staff = as_staff(person)
        expected = set() if named else READS[who]
        listed = set(session.scalars(select(Complaint.category).where(visible_complaints(staff))))
        assert listed == expected
        for category, complaint_id in by_category.items():
            if category in expected:
                assert require_complaint(session, staff, complaint_id).id == complaint_id
            else:
                with pytest.raises(NotFound):
                    require_complaint(session, staff, complaint_id)


def test_a_focal_point_naming_themselves_loses_the_complaint_at_once(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        complaint = make_complaint(session, org, category="staff_misconduct")
        me = as_staff(people["focal_point"])
        view_complaint(session, me, complaint.id)
        handling.name_staff(session, me, complaint.id, [me.id, me.id])
        with pytest.raises(NotFound):
            view_complaint(session, me, complaint.id)
        with pytest.raises(NotFound):
            handling.acknowledge(session, me, complaint.id)
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(complaint.id))))
        assert actions == ["complaint.viewed", "complaint.staff_named"]
        with pytest.raises(InvalidInput):
            handling.name_staff(session, as_staff(make_user(session, org, role="focal_point")), complaint.id,
                                [uuid.uuid4()])


# -- staff intake ----------------------------------------------------------------------------------------------------

def log(session, staff, **overrides):
    values = dict(channel="in_person", category="staff_misconduct", description="Il a crié\x00 sur ma fille",
                  anonymous=False, contact="76 70 14 30", may_contact=True, language="fr", form_key=str(uuid.uuid4()),
                  named_staff_ids=[], default_region="ML", timelines=Runtime(make_settings()).timelines,
                  phone_key=lambda phone: f"key:{phone}")
    values.update(overrides)
    return log_complaint(session, as_staff(staff), **values)


def test_any_staff_member_logs_a_complaint_received_in_person_and_does_not_see_it_afterwards(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        worker, named = people["caseworker"], make_user(session, org, role="caseworker")
        form = str(uuid.uuid4())
        logged = log(session, worker, form_key=form, named_staff_ids=[str(named.id)])
        again = log(session, worker, form_key=form, category="other")  # the form sent twice
        assert again.id == logged.id and not again.is_new
        complaint = session.get(Complaint, logged.id)
        assert (complaint.channel, complaint.received_by_id, complaint.severity) == ("in_person", worker.id, "high")
        assert complaint.description == "Il a crié sur ma fille"  # no NUL: PostgreSQL stores none
        assert (complaint.contact_phone, complaint.complainant_key) == (COMPLAINANT, f"key:{COMPLAINANT}")
        with pytest.raises(NotFound):
            require_complaint(session, as_staff(worker), logged.id)
        assert require_complaint(session, as_staff(people["focal_point"]), logged.id).id == logged.id
        with pytest.raises(NotFound):
            require_complaint(session, as_staff(named), logged.id)
        anonymous = session.get(Complaint, log(session, people["admin"], channel="phone_call", anonymous=True).id)
        assert (anonymous.contact_phone, anonymous.complainant_key, anonymous.may_contact) == (None, None, False)
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "complaint.logged")) == 2


@pytest.mark.parametrize("overrides", [{"channel": "ussd"}, {"category": "gossip"}, {"form_key": "x"},
                                       {"language": "de"}, {"contact": "not a number"}])
def test_a_badly_logged_complaint_is_refused(any_db_runtime, overrides):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        with pytest.raises(InvalidInput):
            log(session, people["caseworker"], **overrides)


# -- the focal point's workflow ------------------------------------------------------------------------------------

def test_the_workflow_runs_in_order_and_refuses_steps_out_of_it(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        focal = as_staff(people["focal_point"])
        complaint = make_complaint(session, org, category="fraud_corruption")
        cid = complaint.id
        for step, code in [(lambda: handling.resolve(session, focal, cid, "Fait"), "not_in_hand"),
                           (lambda: handling.add_note(session, focal, cid, "Appelé"), "not_acknowledged"),
                           (lambda: handling.close(session, focal, cid), "not_resolved")]:
            with pytest.raises(Refused) as refused:
                step()
            assert refused.value.code == code
        supervisor = as_staff(people["supervisor"])
        with pytest.raises(NotFound):
            handling.acknowledge(session, supervisor, cid)  # a sensitive category: not even read
        with pytest.raises(NotAllowed):
            handling.acknowledge(session, supervisor, make_complaint(session, org).id)  # read, not handled
        handling.acknowledge(session, focal, cid)
        with pytest.raises(Refused, match="already_acknowledged"):
            handling.acknowledge(session, focal, cid)
        handling.add_note(session, focal, cid, "Témoin\x00 entendu\nle 3 mai")
        assert session.get(Complaint, cid).status == "investigating"
        with pytest.raises(Refused, match="note_required"):
            handling.add_note(session, focal, cid, " \x00 ")
        with pytest.raises(Refused, match="not_resolved"):
            handling.inform_complainant(session, focal, cid, "Merci", sms_backend="console")
        handling.resolve(session, focal, cid, "L'agent a été suspendu.")
        with pytest.raises(Refused, match="not_informed"):
            handling.close(session, focal, cid)
        with pytest.raises(Refused, match="message_too_long"):
            handling.inform_complainant(session, focal, cid, "ŋ" * 200, sms_backend="console")
        informed = handling.inform_complainant(session, focal, cid, "Votre plainte a été traitée. Merci.",
                                               sms_backend="console", respell_sms=to_gsm7)
        with pytest.raises(Refused, match="already_informed"):
            handling.inform_complainant(session, focal, cid, "Encore", sms_backend="console")
        handling.close(session, focal, cid)
        with pytest.raises(Refused, match="closed"):
            handling.add_note(session, focal, cid, "Trop tard")
        complaint = session.get(Complaint, cid)
        assert complaint.status == "closed" and complaint.closed_by_id == focal.id
        assert complaint.outcome == "L'agent a été suspendu." and complaint.informed_at is not None
        message = session.get(OutboundMessage, informed.outbox_id)
        assert (message.to_phone, message.body, message.channel) == (
            COMPLAINANT, "Votre plainte a été traitée. Merci.", "sms")
        kinds = list(session.scalars(select(ComplaintNote.kind).where(ComplaintNote.complaint_id == cid)
                                     .order_by(ComplaintNote.at, ComplaintNote.kind)))
        assert kinds == ["acknowledged", "note", "resolved", "informed", "closed"]
        assert session.scalar(select(ComplaintNote.body).where(ComplaintNote.kind == "note")) == \
            "Témoin entendu\nle 3 mai"
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(cid))))
        assert actions == {"complaint.acknowledged", "complaint.noted", "complaint.resolved",
                           "complaint.complainant_informed", "complaint.closed"}


def test_a_complaint_read_again_in_a_unit_of_work_shows_what_another_committed_since(any_db_runtime):
    # A focal point's page read the complaint, and a colleague acknowledged it meanwhile: a check made on the second
    # read (may it be closed? is it in hand?) must see the acknowledgement, not the first read's copy still held.
    if any_db_runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite gives a transaction one snapshot: nothing committed since is read in it")
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        focal, colleague = as_staff(people["focal_point"]), as_staff(make_user(session, org, role="focal_point"))
        cid = make_complaint(session, org).id
    with any_db_runtime.unit_of_work() as session:
        first_read = require_complaint(session, focal, cid)
        assert first_read.status == "new"
        with any_db_runtime.unit_of_work() as other:
            handling.acknowledge(other, colleague, cid)
        assert require_complaint(session, focal, cid).status == "acknowledged"


def test_an_anonymous_complaint_is_closed_without_informing_anyone(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        focal = as_staff(people["focal_point"])
        cid = make_complaint(session, org, anonymous=True).id
        handling.acknowledge(session, focal, cid)
        handling.resolve(session, focal, cid, "Service amélioré")
        with pytest.raises(Refused, match="no_contact"):
            handling.inform_complainant(session, focal, cid, "Merci", sms_backend="console")
        handling.close(session, focal, cid)
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


def test_a_complainant_who_opted_out_cannot_be_told_and_the_complaint_still_closes(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        focal = as_staff(people["focal_point"])
        cid = make_complaint(session, org).id
        handling.acknowledge(session, focal, cid)
        handling.resolve(session, focal, cid, "Agent rappelé à l'ordre")
        with pytest.raises(Refused, match="not_informed"):
            handling.close(session, focal, cid)
        opt_out(session, COMPLAINANT)
        with pytest.raises(Refused, match="opted_out"):
            handling.inform_complainant(session, focal, cid, "Merci", sms_backend="console")
        handling.close(session, focal, cid)
        assert session.get(Complaint, cid).status == "closed"
        with pytest.raises(Refused, match="closed"):
            handling.add_note(session, focal, cid, "Trop tard")


def test_naming_the_same_person_twice_names_them_once(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        cid = make_complaint(session, org).id
        named = people["caseworker"].id
        assert record_named_staff(session, cid, [named, str(named)], people["focal_point"].id) == [named]
        assert record_named_staff(session, cid, [named], people["focal_point"].id) == []
        assert session.scalar(select(func.count()).select_from(ComplaintNote)
                              .where(ComplaintNote.kind == "named")) == 1


def test_only_the_organisations_own_staff_can_be_named(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        elsewhere = make_user(session, make_organisation(session), role="caseworker")
        cid = make_complaint(session, org).id
        with pytest.raises(InvalidInput, match="organisation's staff"):
            handling.name_staff(session, as_staff(people["focal_point"]), cid, [people["caseworker"].id, elsewhere.id])
        assert session.scalar(select(func.count()).select_from(ComplaintNote)) == 0


def test_a_form_key_sent_again_by_someone_else_learns_nothing(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        _org, people = staff_of(session)
        form = str(uuid.uuid4())
        log(session, people["caseworker"], form_key=form)
        with pytest.raises(InvalidInput):
            log(session, people["supervisor"], form_key=form)


def test_only_new_complaints_wait_for_their_arrival_alert(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        waiting, taken_up = make_complaint(session, org), make_complaint(session, org)
        taken_up.status = "acknowledged"
        session.flush()
        assert complaints_awaiting_alert(session, utcnow() + timedelta(minutes=1)) == [waiting.id]


def test_two_focal_points_acknowledging_at_once_acknowledge_once(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, _people = staff_of(session)
        focal_points = [as_staff(make_user(session, org, role="focal_point")) for _ in range(2)]
        cid = make_complaint(session, org).id
    turn = iter(focal_points)

    def acknowledge():
        staff = next(turn)
        with any_db_runtime.unit_of_work() as session:
            handling.acknowledge(session, staff, cid)
        return staff.id

    done, errors = run_together(2, acknowledge)
    assert len(done) == 1 and [e.code for e in errors] == ["already_acknowledged"]
    with any_db_runtime.unit_of_work() as session:
        complaint = session.get(Complaint, cid)
        assert (complaint.status, complaint.acknowledged_by_id) == ("acknowledged", done[0])
        assert session.scalar(select(func.count()).select_from(ComplaintNote)) == 1


# -- alerts and the acknowledgement ----------------------------------------------------------------------------------

def test_a_new_complaint_alerts_the_focal_points_not_named_in_it_once_without_details(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        named = make_user(session, org, role="focal_point", language="en")
        make_user(session, org, role="focal_point").is_active = False
        make_user(session, org, role="focal_point").phone = None
        worker = people["caseworker"]
        logged = log(session, worker, named_staff_ids=[named.id], description="Détails à ne jamais envoyer")
    for _ in range(2):
        enqueue_complaint_alert(any_db_runtime.queue, logged.id)
        drain(any_db_runtime.queue)
    messages = outbox(any_db_runtime)
    assert {m.to_phone: m.body for m in messages} == {
        people["focal_point"].phone: f"Relais: nouvelle plainte {logged.reference}. Connectez-vous pour la voir.",
        COMPLAINANT: f"Relais: votre message nous est parvenu. Votre référence: {logged.reference}",
    }
    ack = next(m for m in messages if m.to_phone == COMPLAINANT)
    assert ack.purpose_key == f"complaint-ack:{logged.id}" and ack.recipient_user_id is None
    with any_db_runtime.unit_of_work() as session:
        assert session.get(Complaint, logged.id).alerted_at is not None


@pytest.mark.parametrize("language", taxonomy.COMMUNITY_LANGUAGES)
def test_the_acknowledgement_is_one_plain_sms_with_the_reference_alone(language):
    text = to_gsm7(acknowledgement_text(language, "WWWWWWWWWWWWWWWW"))
    assert "WWWWWWWWWWWWWWWW" in text and set(text) <= GSM7, set(text) - GSM7
    assert measure_sms(text).segments == 1


def test_the_acknowledgement_keeps_its_accents_on_whatsapp_and_is_respelt_for_sms(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        by_sms = log(session, people["caseworker"], language="fr")
        session.add(InboundMessage(provider="twilio", provider_message_id="SM1", channel="whatsapp",
                                   phone="+22370000099", to_address="whatsapp:+14155238886", body="Bonjour"))
        by_whatsapp = log(session, people["caseworker"], language="fr", contact="+22370000099")
    for logged in (by_sms, by_whatsapp):
        with any_db_runtime.unit_of_work() as session:
            queue_complaint_alerts(session, logged.id, "console", lambda language, reference: f"Référence ŋ {reference}",
                                   respell_sms=to_gsm7)
    acks = {m.to_phone: (m.channel, m.body) for m in outbox(any_db_runtime) if m.purpose_key.startswith("complaint-ack")}
    assert acks[COMPLAINANT] == ("sms", to_gsm7(f"Référence ŋ {by_sms.reference}"))
    assert acks["+22370000099"] == ("whatsapp", f"Référence ŋ {by_whatsapp.reference}")


def test_a_complaint_by_sms_or_whatsapp_gets_no_second_message(any_db_runtime):
    # The conversation's last message gave the reference already, and stays on the phone.
    with any_db_runtime.unit_of_work() as session:
        org, _people = staff_of(session)
        for channel in ("sms", "whatsapp"):
            complaint = make_complaint(session, org, channel=channel)
            assert not acknowledges_by_sms(complaint)
            queue_complaint_alerts(session, complaint.id, "console", acknowledgement_text, respell_sms=to_gsm7)
        assert COMPLAINANT not in {m.to_phone for m in session.scalars(select(OutboundMessage))}


@pytest.mark.parametrize("anonymous", [False, True], ids=["with a number", "anonymous"])
def test_a_ussd_complaint_is_acknowledged_by_sms_unless_anonymous(any_db_runtime, anonymous):
    # A USSD screen is gone when the session ends: the reference comes again by SMS, to whoever agreed to be called.
    with any_db_runtime.unit_of_work() as session:
        org, _people = staff_of(session)
        complaint = make_complaint(session, org, channel="ussd", anonymous=anonymous)
        queue_complaint_alerts(session, complaint.id, "console", acknowledgement_text, respell_sms=to_gsm7)
        acks = [m for m in session.scalars(select(OutboundMessage)) if m.purpose_key.startswith("complaint-ack")]
        if anonymous:
            assert acks == []
        else:
            [ack] = acks
            assert (ack.to_phone, ack.body) == (
                COMPLAINANT, f"Relais: votre message nous est parvenu. Votre référence: {complaint.reference}")


@pytest.mark.parametrize("category, told", [("service_quality", "supervisor"), ("sexual_exploitation_abuse", None)])
def test_without_a_focal_point_supervisors_are_told_only_of_what_they_may_read(any_db_runtime, category, told):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        supervisor = make_user(session, org, role="supervisor")
        make_user(session, org, role="caseworker")
        complaint = make_complaint(session, org, category=category)
        queue_complaint_alerts(session, complaint.id, "console", acknowledgement_text, respell_sms=to_gsm7)
        phones = {m.to_phone for m in session.scalars(select(OutboundMessage))
                  if not m.purpose_key.startswith("complaint-ack")}
        assert phones == ({supervisor.phone} if told else set())


def test_the_date_nearing_and_passing_alerts_the_focal_points_once_each(any_db_runtime):
    runtime = any_db_runtime
    with runtime.unit_of_work() as session:
        org, people = staff_of(session)
        complaint = make_complaint(session, org, category="sexual_exploitation_abuse", timelines=runtime.timelines)
        closed = make_complaint(session, org, category="sexual_exploitation_abuse", timelines=runtime.timelines)
        closed.status = "closed"
        cid, reference = complaint.id, complaint.reference
        complaint.alerted_at = closed.alerted_at = utcnow()  # the arrival alerts are another test's
    texts = set()
    # Critical: 24 hours, warned in the last quarter (6 hours); the clock is moved by moving the complaint.
    for hours_left, expected in [(12, 0), (5, 1), (4, 1), (-1, 2), (-30, 2)]:
        now = utcnow()
        with runtime.unit_of_work() as session:
            moved = session.get(Complaint, cid)
            moved.due_at = now + timedelta(hours=hours_left)
            moved.received_at = moved.due_at - timedelta(hours=24)
            due = moved.due_at.strftime("%Y-%m-%d %H:%M")
        texts |= {f"Relais: la plainte {reference} est à clore avant le {due} UTC.",
                  f"Relais: la plainte {reference} était à clore le {due} UTC. Elle est en retard."}
        run_once(runtime, now=now)
        drain(runtime.queue)
        messages = [m for m in outbox(runtime) if str(cid) in m.purpose_key]
        assert len(messages) == expected, hours_left
    assert sorted(m.purpose_key.split(":")[0] for m in messages) == ["complaint-overdue", "complaint-warning"]
    assert {m.body for m in messages} <= texts
    assert {m.to_phone for m in messages} == {people["focal_point"].phone}
    assert all(set(m.body) <= GSM7 and len(m.body) <= 160 for m in messages)
    assert len(outbox(runtime)) == 2  # nothing for the closed one
    with runtime.unit_of_work() as session:
        assert alert_complaint_deadline(session, cid, runtime.timelines, "console") == []


def test_a_complaint_without_a_date_gets_one_from_the_scheduler(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org, _people = staff_of(session)
        old = make_complaint(session, org, category="no_response")
        old.severity = old.due_at = None
        old.received_at = utcnow() - timedelta(days=30)
        new = make_complaint(session, org, category="no_response")
        new.due_at = None
        ids = old.id, new.id
    run_once(any_db_runtime)
    drain(any_db_runtime.queue)
    with any_db_runtime.unit_of_work() as session:
        old, new = (session.get(Complaint, i) for i in ids)
        assert old.severity == "medium" and old.due_at == old.received_at + timedelta(hours=168)
        assert old.overdue_alerted_at is not None  # history: not alerted as late
        assert new.due_at == new.received_at + timedelta(hours=168) and new.overdue_alerted_at is None
    assert not [m for m in outbox(any_db_runtime) if "overdue" in m.purpose_key]


# -- the whole loop --------------------------------------------------------------------------------------------------

@pytest.fixture
def fake_at():
    with FakeAfricasTalking(api_key="test-api-key") as fake:
        yield fake


@pytest.fixture
def at_runtime(database_url, redis_url, fake_at):
    rt = bootstrap(make_settings(
        DATABASE_URL=database_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking", AT_API_URL=fake_at.url,
        AT_USERNAME="relais", AT_API_KEY="test-api-key", AT_SENDER_ID="RELAIS", PROVIDER_TIMEOUT=0.5,
        DEFAULT_ORGANISATION="demo",
    ))
    yield rt
    rt.close()


def test_a_ussd_complaint_reaches_the_focal_point_and_its_answer_reaches_the_complainant(at_runtime, fake_at):
    with at_runtime.unit_of_work() as session:
        org = make_organisation(session, slug="demo")
        focal = make_user(session, org, role="focal_point", phone="+22376000009")
        supervisor = make_user(session, org, role="supervisor")
    client = create_app().test_client()
    # French, complaint, sexual exploitation or abuse, not anonymous, send (no description on USSD)
    inputs = ["1", main_menu_token("complaint"), "4", "2", "1"]
    for n in range(len(inputs) + 1):
        body = (f"sessionId=ATUid_loop&serviceCode=%2A384%23&phoneNumber={quote(COMPLAINANT)}&networkCode=99999"
                f"&text={quote('*'.join(inputs[:n]), safe='')}")
        screen = client.post("/webhooks/africastalking/ussd", data=body,
                             content_type="application/x-www-form-urlencoded").get_data(as_text=True)
    with at_runtime.unit_of_work() as session:
        complaint = session.scalars(select(Complaint)).one()
        reference, cid = complaint.reference, complaint.id
        assert (complaint.category, complaint.severity, complaint.contact_phone) == (
            "sexual_exploitation_abuse", "critical", COMPLAINANT)
    assert screen.startswith("END") and reference in screen
    drain(at_runtime.queue)
    sent = {request["form"]["to"]: request["form"]["message"] for request in fake_at.wait_for(2)}
    # The focal point alone is alerted; the complainant, whose USSD screen is gone, gets the reference by SMS.
    assert set(sent) == {focal.phone, COMPLAINANT} and supervisor.phone not in sent
    assert reference in sent[focal.phone] and "sexual" not in sent[focal.phone].lower()
    assert sent[COMPLAINANT] == f"Relais: votre message nous est parvenu. Votre référence: {reference}"
    staff = as_staff(focal)
    with at_runtime.unit_of_work() as session:
        view_complaint(session, staff, cid)
        handling.acknowledge(session, staff, cid)
        handling.add_note(session, staff, cid, "Entretien avec la plaignante")
        handling.resolve(session, staff, cid, "Agent écarté, enquête transmise")
        informed = handling.inform_complainant(session, staff, cid, "Relais: votre plainte a été traitée. Merci.",
                                               sms_backend=at_runtime.settings.SMS_BACKEND, respell_sms=to_gsm7)
    enqueue_send(at_runtime.queue, informed.outbox_id)
    drain(at_runtime.queue, runtime=at_runtime)
    received = fake_at.wait_for(3)
    answer = received[-1]["form"]
    assert (answer["to"], answer["message"]) == (COMPLAINANT, "Relais: votre plainte a été traitée. Merci.")
    with at_runtime.unit_of_work() as session:
        handling.close(session, staff, cid)
        assert session.get(Complaint, cid).status == "closed"
