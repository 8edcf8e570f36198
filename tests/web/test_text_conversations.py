"""SMS (Africa's Talking) and WhatsApp (Twilio) conversations, from raw provider payloads to the provider's API.

Each message goes webhook -> inbox -> RQ job (burst worker) -> dialogue in Redis -> outbox -> send job -> the
fake provider on 127.0.0.1, whose received messages are the replies a person would read.
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app import create_app
from casecore.cases.models import CaseEvent
from casecore.cases.opening import open_case
from casecore.complaints.models import Complaint
from casecore.feedback.models import Feedback
from casecore.i18n import gettext_for
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.reports.models import Report
from channels.sms.encoding import to_gsm7
from dialogs.community import main_menu_token
from tests.conftest import make_settings
from tests.factories import make_organisation, make_receiving_service, make_report, make_user
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.twilio import DEFAULT_SID, FakeTwilio
from tests.queues import drain
from workers import scheduler

FORM = "application/x-www-form-urlencoded"
TOKEN = "twilio-token"
PUBLIC = "https://relais.example"
PHONE = "+22376701430"
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")
fr, en = gettext_for("fr"), gettext_for("en")


def sms_text(msgid: str, _=fr) -> str:
    """A prompt as an SMS shows it."""
    return to_gsm7(_(msgid))


@pytest.fixture
def providers():
    with FakeAfricasTalking(api_key="k") as at, FakeTwilio(auth_token=TOKEN) as twilio:
        yield at, twilio


@pytest.fixture
def app(sqlite_url, redis_url, providers):
    yield from _app(sqlite_url, redis_url, providers)


@pytest.fixture
def any_db_app(database_url, redis_url, providers):
    """The same app on SQLite and on PostgreSQL in turn."""
    yield from _app(database_url, redis_url, providers)


def _app(database_url, redis_url, providers):
    at, twilio = providers
    flask_app = create_app(make_settings(
        DATABASE_URL=database_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking", AT_API_URL=at.url,
        AT_USERNAME="relais", AT_API_KEY="k", TWILIO_API_URL=twilio.url, TWILIO_ACCOUNT_SID=DEFAULT_SID,
        TWILIO_AUTH_TOKEN=TOKEN, TWILIO_SMS_FROM="+15005550006", TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TWILIO_CONTENT_API_URL=twilio.url, PUBLIC_BASE_URL=PUBLIC, PROVIDER_TIMEOUT=2.0,
    ))
    runtime = flask_app.extensions["relais"]
    with runtime.unit_of_work() as session:
        make_receiving_service(session)
    yield flask_app
    runtime.close()


class Phone:
    """A person's phone on one channel: send() posts what the provider would, and returns the replies received."""

    def __init__(self, app, providers, channel: str, number: str = PHONE):
        self.app, self.client = app, app.test_client()
        self.at, self.twilio = providers
        self.channel, self.number = channel, number
        self.seen = 0
        self.sent = 0

    def post(self, body: str, message_id: str | None = None, signature: str | None = None, button: str | None = None):
        self.sent += 1
        message_id = message_id or f"{self.channel}-{self.number}-{self.sent}-{time.monotonic_ns()}"
        if self.channel == "sms":
            form = {"linkId": "", "text": body, "to": "21512", "id": message_id, "date": "2026-11-22T06:04:45Z",
                    "from": self.number}
            return self.client.post("/webhooks/africastalking/sms", data=urlencode(form), content_type=FORM)
        form = {"AccountSid": DEFAULT_SID, "ApiVersion": "2010-04-01", "Body": body,
                "From": f"whatsapp:{self.number}", "MessageSid": message_id, "NumMedia": "0", "ProfileName": "Awa",
                "To": "whatsapp:+14155238886"}
        if self.number.startswith("+"):
            form["WaId"] = self.number.lstrip("+")
        else:
            # A business-scoped user id, the number hidden: Twilio repeats it in ExternalUserId, and has no WaId.
            form["ExternalUserId"] = f"whatsapp:{self.number}"
        if button is not None:
            # A tapped quick reply: WhatsApp sends the button's title as the body and our id as the payload (""
            # plays an older client or a template button, which send the title alone).
            form.update(ButtonText=body, **({"ButtonPayload": button} if button else {}))
        path = "/webhooks/twilio/messages"
        if signature is None:
            signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
        return self.client.post(path, data=urlencode(form), content_type=FORM,
                                headers={"X-Twilio-Signature": signature})

    def send(self, body: str, message_id: str | None = None, button: str | None = None) -> list[str]:
        response = self.post(body, message_id, button=button)
        assert response.status_code == 200, response.get_data(as_text=True)
        drain(self.app.extensions["relais"].queue)
        return self.replies()

    def replies(self) -> list[str]:
        fake = self.at if self.channel == "sms" else self.twilio
        mine = [r for r in fake.requests if self._to_me(r["form"])]
        new, self.seen = mine[self.seen:], len(mine)
        # On WhatsApp, what the phone shows: the body, or a quick-reply content's text and its buttons.
        return [r["form"]["message"] if self.channel == "sms" else _whatsapp_text(r) for r in new]

    def _to_me(self, form: dict) -> bool:
        return form.get("to") == self.number or form.get("To") == f"whatsapp:{self.number}"


def _whatsapp_text(request: dict) -> str:
    buttons = request.get("buttons") or []
    return "\n".join([request["text"], *(f"{n} {title}" for n, title in enumerate(buttons, start=1))])


@pytest.fixture
def sms(app, providers):
    return Phone(app, providers, "sms")


@pytest.fixture
def whatsapp(app, providers):
    return Phone(app, providers, "whatsapp")


def uow(app):
    return app.extensions["relais"].unit_of_work()


def count(app, model) -> int:
    with uow(app) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_any_first_message_gets_the_language_menu_then_the_main_menu(sms):
    [reply] = sms.send("Bonjour")
    assert "Langue / Language" in reply and "1 Francais" in reply
    [menu] = sms.send("1")
    assert sms_text("Report a child at risk") in menu and "00 " not in menu  # the menu itself needs no way home


def test_a_whole_report_by_sms_with_a_description(sms, app):
    [first] = sms.send("SIGNALER")
    assert sms_text("What is happening?") in first
    for answer in ["4", "2", "1", "3", "1", "1"]:  # child marriage, no danger, girl, 12-17, Bamako, Commune I
        sms.send(answer)
    [describe] = sms.replies() or [None]
    for answer in ["Mariée la semaine prochaine, elle a 14 ans.", "1", "1", "1"]:  # description, consent, call, send
        [reply] = sms.send(answer)
    assert REFERENCE.search(reply)
    with uow(app) as session:
        report = session.scalars(select(Report)).one()
        assert report.channel == "sms" and report.kind == "child_at_risk" and report.concern == "child_marriage"
        assert report.description == "Mariée la semaine prochaine, elle a 14 ans."
        assert report.reporter_phone == PHONE and report.may_contact and report.location.code == "ML090101"
        assert REFERENCE.search(reply).group() == report.reference
        # The report's alert went to the supervisor, without any detail of the report.
        alert = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == "+22376000001")).one()
        assert alert.status == "sent" and "mari" not in alert.body.lower()


def test_a_missing_child_by_whatsapp_is_an_urgent_tracing_report(whatsapp, app):
    whatsapp.send("MISSING")
    for answer in ["2", "1", "2", "1", "2", "1", "Red shirt, answers to Issa", "2"]:
        whatsapp.send(answer)
    [reply] = whatsapp.send("1")  # send
    assert REFERENCE.search(reply)
    with uow(app) as session:
        report = session.scalars(select(Report)).one()
    assert (report.kind, report.urgent, report.channel) == ("tracing", True, "whatsapp")
    assert (report.last_seen, report.relationship) == ("yesterday", "parent")
    assert report.reporter_phone is None and report.reporter_key  # anonymous, yet it may check its status
    request = whatsapp.twilio.requests[-1]["form"]
    assert request["To"] == f"whatsapp:{PHONE}" and request["From"] == "whatsapp:+14155238886"


def test_a_whatsapp_message_with_a_bad_signature_is_refused_and_not_stored(whatsapp, app):
    response = whatsapp.post("Bonjour", signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    assert count(app, InboundMessage) == 0


def test_the_same_provider_message_twice_is_stored_and_answered_once(sms, app):
    assert len(sms.send("MENU", message_id="ATXid_dup")) == 1
    assert sms.send("MENU", message_id="ATXid_dup") == []
    assert count(app, InboundMessage) == 1


def test_stop_silences_every_later_message_until_start(sms, app):
    [confirmation] = sms.send("ARRET")
    assert "START" in confirmation
    assert sms.send("MENU") == []  # answered in the outbox, but never sent
    with uow(app) as session:
        held = session.scalars(select(OutboundMessage).where(OutboundMessage.failure_reason == "opted_out")).all()
    assert len(held) == 1
    [welcome] = sms.send("START")
    assert "MENU" in welcome
    assert len(sms.send("MENU")) == 1


def test_help_names_the_keywords_and_how_to_complain(sms):
    sms.send("AIDE")
    [help_text] = sms.replies() or sms.send("AIDE")
    assert "SIGNALER" in help_text and "PLAINTE" in help_text and "116" in help_text


def test_an_anonymous_complaint_gets_a_reference_and_keeps_no_number(whatsapp, app):
    whatsapp.send("COMPLAINT")
    for answer in ["4", "A volunteer asked for money", "1"]:  # sexual exploitation/abuse, description, anonymous
        whatsapp.send(answer)
    [reply] = whatsapp.send("1")  # send
    with uow(app) as session:
        complaint = session.scalars(select(Complaint)).one()
    assert complaint.reference in reply and complaint.category == "sexual_exploitation_abuse"
    assert complaint.anonymous and complaint.contact_phone is None and complaint.language == "en"


def test_feedback_is_linked_to_the_case_of_a_linked_number(sms, app):
    with uow(app) as session:
        report = make_report(session, reporter_phone=PHONE)
        case_id = open_case(session, report.id, contact_phones=(PHONE,))
    sms.send("AVIS")
    sms.send("2")  # satisfied
    [thanks] = sms.send("Merci pour la visite")
    assert thanks
    with uow(app) as session:
        feedback = session.scalars(select(Feedback)).one()
    assert (feedback.rating, feedback.comment, feedback.case_id) == (4, "Merci pour la visite", case_id)


def test_a_linked_family_reaches_its_case_worker_who_is_alerted_without_details(sms, app):
    with uow(app) as session:
        org_id = session.scalars(select(Report.organisation_id)).first()
        report = make_report(session, reporter_phone=PHONE)
        worker = make_user(session, session.get(type(session.get(Report, report.id).organisation), org_id)
                           if False else session.get(Report, report.id).organisation,
                           role="caseworker", phone="+22376000009")
        case_id = open_case(session, report.id, assigned_to_id=worker.id, contact_phones=(PHONE,))
    [prompt] = sms.send("MESSAGE")
    assert sms_text("Type your message for your case worker:") in prompt
    [reply] = sms.send("Mon fils est revenu à la maison")
    with uow(app) as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == "family_message")).one()
        alert = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == "+22376000009")).one()
    assert event.case_id == case_id and event.body == "Mon fils est revenu à la maison"
    assert alert.status == "sent" and "fils" not in alert.body and report.reference not in alert.body
    assert "fils" not in reply and report.reference not in reply  # nothing of the case is echoed back


def test_an_unlinked_number_gives_a_reference_first(app, providers):
    with uow(app) as session:
        report = make_report(session, reporter_phone="+22376709999")
        open_case(session, report.id, contact_phones=("+22376709999",))
    stranger = Phone(app, providers, "sms", "+22376705555")
    [ask] = stranger.send("MESSAGE")
    assert sms_text("Type the reference you were given:") in ask
    [wrong] = stranger.send("ZZZZZZZ")
    assert sms_text("Reference not found. Check it and try again.") in wrong
    [prompt] = stranger.send(report.reference.lower())
    assert sms_text("Type your message for your case worker:") in prompt
    stranger.send("Bonjour, je suis la tante")
    with uow(app) as session:
        [event] = session.scalars(select(CaseEvent)).all()
    # Kept as from a number not linked to the case: the case worker sees it so, and decides whether to link it.
    assert (event.body, event.unlinked_phone) == ("Bonjour, je suis la tante", "+22376705555")


def test_a_report_status_is_told_only_to_the_number_that_made_it(sms, app, providers):
    sms.send("SIGNALER")
    for answer in ["1", "2", "1", "1", "3", "Il est battu chaque soir", "2"]:  # ..., unknown region, no consent
        sms.send(answer)
    [done] = sms.send("1")
    reference = REFERENCE.search(done).group()
    sms.send("SUIVI")
    [status] = sms.send(reference)
    assert sms_text("Your report was received. It is waiting to be reviewed.") in status
    other = Phone(app, providers, "sms", "+22376705555")
    other.send("SUIVI")
    [refused] = other.send(reference)
    assert sms_text("No report with this reference was made from this number.") in refused


def test_a_language_chosen_by_sms_is_remembered_for_the_next_conversation(sms):
    sms.send("Hello")
    sms.send("2")  # English
    sms.send(main_menu_token("report"))
    [report_prompt] = sms.send("00")
    assert sms_text("Report a child at risk", en) in report_prompt


def test_an_abandoned_dialogue_is_closed_politely_by_the_scheduler(sqlite_url, redis_url, providers):
    at, _twilio = providers
    flask_app = create_app(make_settings(
        DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking", AT_API_URL=at.url,
        AT_USERNAME="relais", AT_API_KEY="k", TEXT_SESSION_EXPIRY_SECONDS=1,
    ))
    runtime = flask_app.extensions["relais"]
    with runtime.unit_of_work() as session:
        make_organisation(session, slug="demo")
    phone = Phone(flask_app, providers, "sms")
    phone.send("SIGNALER")
    time.sleep(1.2)
    scheduler.run_once(runtime)
    drain(runtime.queue)
    [closing] = phone.replies()
    assert "MENU" in closing and "signal" not in closing.lower()
    [menu] = phone.send("1")  # a late answer starts afresh instead of continuing the closed report
    assert sms_text("What is happening?") not in menu
    runtime.close()


@pytest.mark.parametrize("body, status", [
    ("from=%2B22376701430&to=21512&id=x1&date=2017-05-03T06%3A04%3A45Z", 200),        # empty text is a message
    ("text=Hi&to=21512&id=x2&date=2017-05-03T06%3A04%3A45Z", 400),                    # no sender
    ("text=Hi&to=21512&from=%2B22376701430", 400),                                     # no message id
    ("", 400),
])
def test_raw_africastalking_sms_payloads(app, body, status):
    response = app.test_client().post("/webhooks/africastalking/sms", data=body, content_type=FORM)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.status_code == 200 or "Invalid request" in response.get_data(as_text=True)


def test_whatsapp_asks_short_questions_with_quick_replies_and_reads_the_tapped_button(whatsapp, app):
    whatsapp.send("REPORT")
    whatsapp.send("1")  # violence
    question = whatsapp.twilio.requests[-1]
    assert question["form"].get("ContentSid", "").startswith("HX") and "Body" not in question["form"]
    assert question["buttons"] == [en("Yes"), en("No")]
    [next_question] = whatsapp.send(en("No"), button="2")  # no danger now: the sex question, not the emergency
    assert en("Is the child a girl or a boy?") in next_question


@pytest.mark.parametrize("tap", [
    {"button": "2"},  # the payload: our option number
    {"button": ""},  # the title alone, as older clients and template buttons send it
], ids=["payload", "title-only"])
def test_a_tapped_button_is_read_with_or_without_its_payload(any_db_app, providers, tap):
    whatsapp = Phone(any_db_app, providers, "whatsapp")
    whatsapp.send("REPORT")
    whatsapp.send("1")  # violence
    assert whatsapp.twilio.requests[-1]["buttons"] == [en("Yes"), en("No")]
    [next_question] = whatsapp.send(en("No"), **tap)  # no danger now: the sex question, not the emergency
    assert en("Is the child a girl or a boy?") in next_question
    with uow(any_db_app) as session:
        assert session.scalars(select(InboundMessage.body).order_by(InboundMessage.received_at.desc())).first() == "2"


def test_without_a_twilio_token_the_twilio_webhook_refuses_every_call(sqlite_url, redis_url):
    unconfigured = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url))
    body = urlencode({"MessageSid": "SM1", "From": "whatsapp:+22376701430", "To": "whatsapp:+14155238886",
                      "Body": "STOP"})
    response = unconfigured.test_client().post("/webhooks/twilio/messages", data=body, content_type=FORM)
    assert response.status_code == 403 and "TWILIO_AUTH_TOKEN" in response.get_data(as_text=True)
    unconfigured.extensions["relais"].close()


def test_a_linked_family_writing_straight_away_is_offered_to_pass_the_text_on(sms, app):
    with uow(app) as session:
        report = make_report(session, reporter_phone=PHONE)
        case_id = open_case(session, report.id, contact_phones=(PHONE,))
    [offer] = sms.send("Bonjour, Issa est malade depuis hier soir")
    assert sms_text("Send this message to your case worker?") in offer
    [passed] = sms.send("1")
    assert sms_text("Your message was passed on. Your case worker will answer you.") in passed
    [declined_offer] = sms.send("Merci pour tout ce que vous faites")
    [menu] = sms.send("2")
    assert sms_text("Report a child at risk") in menu
    with uow(app) as session:
        bodies = session.scalars(select(CaseEvent.body).where(CaseEvent.case_id == case_id)).all()
    assert bodies == ["Bonjour, Issa est malade depuis hier soir"] and declined_offer


def test_an_unlinked_number_writing_words_gets_the_first_screen(sms):
    [first] = sms.send("Bonjour, je veux signaler un enfant")
    assert "Langue / Language" in first
