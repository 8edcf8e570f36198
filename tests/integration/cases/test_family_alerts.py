"""A family's message alerts the case worker (else the supervisors) by SMS, once, saying nothing about the case."""
import uuid

import pytest
from sqlalchemy import select

from casecore.cases.alerts import queue_family_message_alert
from casecore.cases.models import CaseEvent
from casecore.cases.opening import record_family_message
from casecore.errors import NotFound
from casecore.feedback.answers import FeedbackDraft, record_feedback
from casecore.messaging.models import OutboundMessage
from casecore.messaging.outbox import claim_for_sending, record_send_result
from casecore.people.models import User
from tests.factories import make_case, make_organisation, make_user

BODY = "Mon fils Moussa est rentre"


def seed(runtime, **worker_overrides):
    """A case with a message from its family; returns (event id, case, worker, supervisors)."""
    with runtime.unit_of_work() as session:
        org = make_organisation(session, name="Association Espoir Bamako")
        supervisors = [make_user(session, org), make_user(session, org, language="en")]
        make_user(session, make_organisation(session))  # another organisation's supervisor
        worker = make_user(session, org, role="caseworker", language="en", **worker_overrides)
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        message = record_family_message(session, case.id, channel="sms", body=BODY, source_key="sms:ATXid_1")
        return message.event_id, case, worker, supervisors


def outbox(runtime):
    with runtime.unit_of_work() as session:
        return session.scalars(select(OutboundMessage)).all()


def test_the_assigned_case_worker_is_alerted_without_any_detail(any_db_runtime):
    event_id, case, worker, _ = seed(any_db_runtime)
    with any_db_runtime.unit_of_work() as session:
        queued = queue_family_message_alert(session, event_id, "console")
    [message] = outbox(any_db_runtime)
    assert queued == [message.id]
    assert (message.to_phone, message.recipient_user_id, message.organisation_id) == (
        worker.phone, worker.id, case.organisation_id)
    assert message.purpose_key == f"family-message:{event_id}:{worker.id}"
    assert (message.channel, message.backend, message.status) == ("sms", "console", "queued")
    assert message.body == "Relais: a family sent a new message on one of your cases. Log in to read it."
    for secret in (case.reference, "Moussa", "Espoir", str(case.id)):
        assert secret not in message.body


def test_supervisors_are_alerted_when_nobody_is_assigned(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        supervisors = {make_user(session, org).phone: "fr", make_user(session, org, language="en").phone: "en"}
        make_user(session, make_organisation(session))
        case = make_case(session, organisation_slug=org.slug, contact_phones=("+22376000100",))
        event_id = record_family_message(session, case.id, channel="whatsapp", body=BODY,
                                         source_key="whatsapp:SM1").event_id
    with any_db_runtime.unit_of_work() as session:
        assert len(queue_family_message_alert(session, str(event_id), "console")) == 2
    sent = {m.to_phone: m.body for m in outbox(any_db_runtime)}
    assert set(sent) == set(supervisors)
    for phone, language in supervisors.items():
        expected = "nouveau message d'une famille" if language == "fr" else "a family sent a new message"
        assert expected in sent[phone]


@pytest.mark.parametrize("worker_overrides", [{"phone": None}, {"is_active": False}])
def test_supervisors_are_alerted_when_the_case_worker_cannot_be(any_db_runtime, worker_overrides):
    event_id, _, worker, supervisors = seed(any_db_runtime)
    with any_db_runtime.unit_of_work() as session:
        user = session.get(User, worker.id)
        for name, value in worker_overrides.items():
            setattr(user, name, value)
    with any_db_runtime.unit_of_work() as session:
        queue_family_message_alert(session, event_id, "console")
    assert sorted(m.to_phone for m in outbox(any_db_runtime)) == sorted(s.phone for s in supervisors)


def test_alerting_twice_writes_one_message_and_sends_it_once(any_db_runtime):
    event_id, *_ = seed(any_db_runtime)
    with any_db_runtime.unit_of_work() as session:
        first = queue_family_message_alert(session, event_id, "console")
    with any_db_runtime.unit_of_work() as session:
        assert queue_family_message_alert(session, event_id, "console") == first
        claim_for_sending(session, first[0])
        record_send_result(session, first[0], "sent", "console-1", None)
    with any_db_runtime.unit_of_work() as session:
        assert queue_family_message_alert(session, event_id, "console") == []
    assert len(outbox(any_db_runtime)) == 1


def test_only_a_family_message_can_be_alerted_about(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        case = make_case(session)
        record_feedback(session, FeedbackDraft(org.id, "sms", "sms:fb1", 4, None, "fr", case_id=case.id))
        feedback_event = session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "feedback"))
        with pytest.raises(NotFound):
            queue_family_message_alert(session, feedback_event, "console")
        with pytest.raises(NotFound):
            queue_family_message_alert(session, uuid.uuid4(), "console")
        with pytest.raises(NotFound):
            queue_family_message_alert(session, "not-an-id", "console")
