"""Every conversation, on every channel, in every language, from the first message to its last one.

Driven by raw provider payloads (tests/web/test_text_conversations.Phone for SMS and WhatsApp, AT forms for USSD);
what each conversation records is checked in the database.
"""
from __future__ import annotations

import itertools
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from casecore.cases.models import CaseEvent
from casecore.cases.opening import open_case
from casecore.complaints.models import Complaint
from casecore.feedback.models import Feedback
from casecore.reports.models import Report
from casecore.taxonomy import COMMUNITY_LANGUAGES
from channels.sms.encoding import to_gsm7
from channels.text import to_ascii
from dialogs.community import complaint_hint, main_menu_token
from tests.factories import make_report
from tests.web.test_text_conversations import PHONE, Phone, app, providers  # noqa: F401  (fixtures)

REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")
FREE_TEXT = "Texte libre"
_sessions = itertools.count(1)

# (action, inputs after the main menu, what is typed on text channels only, what the last message must show)
FLOWS = {
    # concern, no danger, girl, 0-5, first region, first commune, [description], consent, may call, send
    "report": (["1", "2", "1", "1", "1", "1", "<text>", "1", "1", "1"], Report, True),
    # girl, 0-5, first region, first commune, today, parent, [description], no consent, send
    "tracing": (["1", "1", "1", "1", "1", "1", "<text>", "2", "1"], Report, True),
    "message": (["Mon fils est rentré"], CaseEvent, False),
    # satisfied, no comment (1 = skip)
    "feedback": (["1", "1"], Feedback, False),
    # poor service, no description, anonymous, send
    "complaint": (["1", "1", "1", "1"], Complaint, True),
    "status": (["<reference>"], None, False),
}


class UssdPhone:
    """A USSD session as AT drives it: every request carries every input so far."""

    def __init__(self, flask_app, number: str = PHONE):
        self.client, self.inputs, self.number = flask_app.test_client(), [], number
        self.session = f"ATUid_every_{next(_sessions)}"

    def send(self, text: str | None) -> list[str]:
        if text is not None:
            self.inputs.append(text)
        body = (f"sessionId={self.session}&serviceCode=%2A384%23&phoneNumber={quote(self.number)}&networkCode=99999"
                f"&text={quote('*'.join(self.inputs), safe='')}")
        response = self.client.post("/webhooks/africastalking/ussd", data=body,
                                    content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        return [response.get_data(as_text=True)]


def count(flask_app, model) -> int:
    with flask_app.extensions["relais"].unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("language", COMMUNITY_LANGUAGES)
@pytest.mark.parametrize("channel", ["ussd", "sms", "whatsapp"])
@pytest.mark.parametrize("flow", list(FLOWS))
def test_every_conversation_on_every_channel_in_every_language(app, providers, flow, channel, language):  # noqa: F811
    runtime = app.extensions["relais"]
    with runtime.unit_of_work() as session:
        report = make_report(session, reporter_phone=PHONE, reporter_key=runtime.phone_key(PHONE),
                             channel_session_id=f"earlier-{flow}-{channel}-{language}")
        open_case(session, report.id, contact_phones=(PHONE,))
    phone = UssdPhone(app) if channel == "ussd" else Phone(app, providers, channel)
    [first] = phone.send(None if channel == "ussd" else "Bonjour")
    assert "Langue / Language" in first
    phone.send(str(COMMUNITY_LANGUAGES.index(language) + 1))
    inputs, model, gives_reference = FLOWS[flow]
    before = count(app, model) if model else 0
    replies = phone.send(main_menu_token(flow))
    for typed in inputs:
        if typed == "<text>":
            if channel == "ussd":
                continue  # descriptions are asked on the text channels only
            typed = FREE_TEXT
        replies = phone.send(report.reference if typed == "<reference>" else typed)
    [last] = replies
    if channel == "ussd":
        assert last.startswith("END "), last
    if gives_reference:
        assert REFERENCE.search(last), last
    if model is not None:
        assert count(app, model) == before + 1
    if flow == "status":
        assert report.reference in last
    # The last message says how to complain, as the channel spells it (UssdPhone dials *384#).
    hint = complaint_hint(channel, language, runtime.keywords.first_words, "*384#")
    assert last.endswith({"ussd": to_ascii, "sms": to_gsm7}.get(channel, str)(hint)), last


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_back_home_and_invalid_choice_on_text_channels(app, providers, channel):  # noqa: F811
    phone = Phone(app, providers, channel)
    phone.send("Bonjour")
    [menu] = phone.send("1")  # French
    [concern] = phone.send(main_menu_token("report"))
    [invalid] = phone.send("42")
    assert invalid.endswith(concern) and invalid != concern
    [danger] = phone.send("1")
    [back] = phone.send("0")
    assert back == concern and danger != concern
    [home] = phone.send("00")
    assert home == menu
