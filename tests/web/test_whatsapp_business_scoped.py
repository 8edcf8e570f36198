"""WhatsApp from a business-scoped user id (a number hidden behind a username), end to end on both databases.

Twilio posts `From=whatsapp:<id>` and the same `ExternalUserId`, no number and no WaId. Each message goes webhook ->
inbox -> RQ job -> dialogue -> outbox -> send job -> the fake Twilio on 127.0.0.1: answered on WhatsApp, never by
SMS (Africa's Talking, the SMS backend here, must never hear of it), kept as a contact of its own, shown masked.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from casecore.cases import outreach
from casecore.cases.models import CaseEvent
from casecore.cases.opening import open_case
from casecore.complaints.models import Complaint
from casecore.errors import Refused
from casecore.i18n import gettext_for
from casecore.messaging.models import CommunityContact, InboundMessage, OutboundMessage
from casecore.people.models import Organisation
from casecore.reports.models import Report
from tests.factories import make_report, make_user
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.twilio import FakeTwilio
from tests.web.test_text_conversations import REFERENCE, TOKEN, Phone, _app

BSUID = "US.13491208655302741918"
MASKED = "US.********18"
fr, en = gettext_for("fr"), gettext_for("en")


@pytest.fixture
def providers():
    with FakeAfricasTalking(api_key="k") as at, FakeTwilio(auth_token=TOKEN) as twilio:
        yield at, twilio


@pytest.fixture
def app(database_url, redis_url, providers):
    yield from _app(database_url, redis_url, providers)


@pytest.fixture
def hidden(app, providers):
    """The phone of someone who hides their number behind a WhatsApp username."""
    return Phone(app, providers, "whatsapp", BSUID)


def uow(app):
    return app.extensions["relais"].unit_of_work()


def assert_only_whatsapp_reached_it(app, providers):
    """Every message to the id went on WhatsApp through Twilio; no SMS, by any provider, was ever addressed to it."""
    at, twilio = providers
    assert all(r["form"]["To"] == f"whatsapp:{BSUID}" for r in twilio.requests
               if BSUID in r["form"].get("To", "")), "a Twilio request to the id went otherwise than by WhatsApp"
    assert not any(BSUID in str(r["form"]) for r in at.requests)
    with uow(app) as session:
        rows = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == BSUID)).all()
    assert rows and {(m.channel, m.backend) for m in rows} == {("whatsapp", "twilio")}


def test_a_report_from_a_business_scoped_id_is_answered_on_whatsapp_with_its_reference(hidden, app, providers,
                                                                                       caplog):
    caplog.set_level(logging.DEBUG)
    [first] = hidden.send("REPORT")
    assert en("What is happening?") in first
    # Child marriage, no danger, a girl, 12-17, Bamako, Commune I, a description, consent to share.
    replies = [reply for answer in ["4", "2", "1", "3", "1", "1", "Married next week, she is 14.", "1"]
               for reply in hidden.send(answer)]
    # There is no number to call: the question is not asked, and the next is the confirmation.
    assert not any(en("May we call you on this number?") in reply for reply in replies)
    assert en("Send the report?") in replies[-1]
    [done] = hidden.send("1")  # send
    with uow(app) as session:
        report = session.scalars(select(Report)).one()
        received = session.scalars(select(InboundMessage.phone)).all()
    assert REFERENCE.search(done).group() == report.reference
    assert en("Your number is not given to the workers.") in done
    assert (report.channel, report.concern, report.consent_to_share) == ("whatsapp", "child_marriage", True)
    # Anonymous to every call and SMS; yet the id may ask where its report stands.
    assert (report.reporter_phone, report.may_contact) == (None, False)
    assert "reporter_phone_unparsed" not in report.answers
    assert report.reporter_key == app.extensions["relais"].phone_key(BSUID)
    assert set(received) == {BSUID}
    last = providers[1].requests[-1]["form"]
    assert (last["To"], last["From"]) == (f"whatsapp:{BSUID}", "whatsapp:+14155238886")

    hidden.send("STATUS")
    [status] = hidden.send(report.reference)
    assert en("Your report was received. It is waiting to be reviewed.") in status
    assert_only_whatsapp_reached_it(app, providers)
    assert caplog.records and "13491208655302741918" not in caplog.text  # never logged in clear


def test_a_named_complaint_from_a_business_scoped_id_keeps_no_number(hidden, app, providers):
    hidden.send("COMPLAINT")
    for answer in ["1", "Nobody came", "2"]:  # poor service, description, not anonymous
        hidden.send(answer)
    [reply] = hidden.send("1")  # send
    with uow(app) as session:
        complaint = session.scalars(select(Complaint)).one()
    assert complaint.reference in reply
    assert not complaint.anonymous and (complaint.contact_phone, complaint.may_contact) == (None, False)
    assert en("We may call you on this number.") not in reply
    assert en("Your number is not given to the workers.") in reply
    assert_only_whatsapp_reached_it(app, providers)


def test_a_family_message_from_a_business_scoped_id_is_flagged_as_not_the_family_s_with_nothing_to_link(
        hidden, app, providers):
    with uow(app) as session:
        report = make_report(session, reporter_phone="+22376709999")
        worker = make_user(session, session.get(Report, report.id).organisation, role="caseworker",
                           phone="+22376000009")
        case_id = open_case(session, report.id, assigned_to_id=worker.id, contact_phones=("+22376709999",))
    hidden.send("MESSAGE")  # not linked to any case: the reference first
    hidden.send(report.reference)
    [passed_on] = hidden.send("I am the aunt, she is safe with me")
    # MESSAGE is one word in every language: the conversation is in the default language, French.
    assert fr("Your message was passed on. Your case worker will answer you.") in passed_on
    with uow(app) as session:
        [event] = session.scalars(select(CaseEvent).where(CaseEvent.kind == "family_message")).all()
        alert = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == "+22376000009")).one()
    # Kept as from someone not linked to the case (the case worker is warned it may not be the family), with
    # nothing a case worker could link, call or text.
    assert (event.case_id, event.unlinked_phone) == (case_id, BSUID)
    with uow(app) as session:
        assert outreach.unlinked_senders(session, case_id) == {event.id: outreach.UnlinkedSender("US.********18",
                                                                                               linkable=False)}
        with pytest.raises(Refused, match="sender_not_linkable"):
            outreach.link_sender(session, worker, case_id, event.id)
    assert alert.status == "sent"
    assert_only_whatsapp_reached_it(app, providers)


def test_stop_from_a_business_scoped_id_is_remembered_for_that_id_alone(hidden, app, providers):
    [confirmation] = hidden.send("STOP")
    assert "START" in confirmation
    assert hidden.send("MENU") == []  # answered in the outbox, never sent
    with uow(app) as session:
        contact = session.scalars(select(CommunityContact)).one()
    # A contact of its own kind: the id as it came, never turned into a number.
    assert contact.phone == BSUID and contact.opted_out_at is not None
    [welcome] = hidden.send("START")
    assert "MENU" in welcome
    assert_only_whatsapp_reached_it(app, providers)


def test_the_message_log_shows_a_business_scoped_id_masked_like_a_number(hidden, app, login, client):
    hidden.send("Hello")
    with uow(app) as session:
        admin = make_user(session, session.scalars(select(Organisation)).one(), role="admin", language="en")
    login(admin.email)
    response = client.get("/messages")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert BSUID not in html and "13491208655302741918" not in html
    assert html.count(MASKED) >= 2  # the message in and the answer out
