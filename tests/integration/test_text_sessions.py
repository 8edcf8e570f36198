"""Dialogue state across messages on a real Redis: redelivery, the end of a dialogue, resume without disclosure."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from app.webhooks.ussd import USSD_LIMITS
from casecore.demo import load_demo
from casecore.messaging.models import OutboundMessage
from casecore.reports.models import Report
from dialogs.community import complaint_hint, main_menu_token
from dialogs.engine import Context
from dialogs.sessions import (
    MAX_TEXT_INPUTS,
    answer_menu_step,
    answer_text_message,
    expired_text,
    take_expired_dialogues,
)
from workers import jobs
from workers.inbound import SMS_LIMITS

PHONE = "+22376701430"
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")


@pytest.fixture
def demo(runtime):
    with runtime.unit_of_work() as session:
        load_demo(session)
    return runtime


def text(runtime, body: str, message_id: str, now: float | None = None):
    ctx = Context(channel="sms", session_id="", phone=PHONE, default_language="fr",
                  services=runtime.community_services())
    return answer_text_message(runtime.dialog_store, ctx, body, message_id, SMS_LIMITS, runtime.session_times,
                               runtime.keywords, now=now)


def sms_hint(runtime, language: str) -> str:
    return complaint_hint("sms", language, runtime.keywords.first_words)


def ussd(runtime, session_id: str, inputs: list[str]):
    ctx = Context(channel="ussd", session_id=session_id, phone=PHONE, default_language="fr",
                  services=runtime.community_services())
    return answer_menu_step(runtime.dialog_store, ctx, inputs, USSD_LIMITS, runtime.session_times)


def test_the_last_message_handled_again_gives_the_same_reference_and_one_report(demo):
    # Violence, no danger, girl, 0-5, first region, first commune, no description, no consent.
    inputs = ["SIGNALER", "1", "2", "1", "1", "1", "1", "1", "2"]
    for n, body in enumerate(inputs):
        text(demo, body, f"m{n}")
    first = text(demo, "1", "last")
    again = text(demo, "1", "last")  # the job ran again: its reply had not been committed
    assert first.final and again.text == first.text and REFERENCE.search(first.text)
    with demo.unit_of_work() as session:
        assert session.scalar(select(func.count(Report.id)).where(Report.channel == "sms")) == 1
    fresh = text(demo, "1", "next")  # a new message after the end starts a new dialogue
    assert not fresh.final and fresh.text != first.text


def test_a_dialogue_that_never_ends_is_closed_saying_so(demo):
    text(demo, "SIGNALER", "start")
    replies = [text(demo, "42", f"m{n}") for n in range(MAX_TEXT_INPUTS)]
    closing = [n for n, reply in enumerate(replies) if reply.final]
    assert len(closing) == 1 and "MENU" in replies[closing[0]].text
    assert replies[closing[0]].text.endswith("\n" + sms_hint(demo, "fr"))
    assert not replies[-1].final  # the next message starts afresh


def test_a_resumed_session_steps_back_past_a_screen_that_shows_an_earlier_answer(demo):
    before = ["1", main_menu_token("report"), "1", "2", "1", "1"]  # French, report, violence, no danger, girl, 0-5
    ussd(demo, "S1", [])  # the dial
    region = ussd(demo, "S1", before)
    commune = ussd(demo, "S1", before + ["1"])  # the communes of the region chosen: it shows that answer
    assert commune.step == "report.commune"
    ussd(demo, "S2", [])  # the session dropped; the next dial offers to continue
    resumed = ussd(demo, "S2", ["1"])
    assert resumed.step == "report.region" and resumed.lines == region.lines


def test_a_reply_for_a_provider_that_is_not_configured_fails_once_with_the_reason(runtime):
    from casecore.messaging.outbox import queue_message
    with runtime.unit_of_work() as session:
        ref = queue_message(session, purpose_key="reply:test", to_phone=PHONE, body="Bonjour", backend="twilio",
                            channel="sms")
    assert jobs.send_outbound(str(ref.id)) == "failed"
    with runtime.unit_of_work() as session:
        message = session.get(OutboundMessage, ref.id)
    assert message.status == "failed" and message.failure_reason.startswith("not configured")


def test_hanging_up_on_the_offer_keeps_the_unfinished_report_for_the_next_dial(demo):
    before = ["1", main_menu_token("report"), "1", "2"]  # French, report, violence, no danger: the sex question
    ussd(demo, "S1", [])
    dropped = ussd(demo, "S1", before)
    ussd(demo, "S2", [])
    assert ussd(demo, "S2", ["5"]).step == "resume"  # a wrong key on the offer, then the call drops
    ussd(demo, "S3", [])
    resumed = ussd(demo, "S3", ["1"])
    assert resumed.step == dropped.step == "report.sex" and resumed.lines == dropped.lines


@pytest.mark.parametrize("body, language", [("ARRET", "fr"), ("UNSUBSCRIBE", "en"), ("START", "fr")])
def test_stopping_and_starting_messages_say_how_to_complain(demo, body, language):
    # Someone who stops our messages may have a reason to complain: the confirmation says how.
    reply = text(demo, body, f"opt-{body}")
    assert reply.final and reply.text.endswith("\n" + sms_hint(demo, language))
    assert "PLAINTE" in reply.text or "COMPLAINT" in reply.text


def test_the_message_closing_a_silent_dialogue_says_how_to_complain(demo):
    started = time.time() - 2 * demo.session_times.text_expiry
    text(demo, "COMPLAINT", "silent", now=started)  # an English dialogue, left without a reply
    [state] = take_expired_dialogues(demo.dialog_store, demo.session_times)
    closing = expired_text(state, "fr", demo.session_times, demo.keywords.first_words)
    assert closing.startswith("Relais: our conversation was closed")
    assert closing.endswith("\nComplaint: send COMPLAINT")


def test_an_offer_that_could_not_be_kept_is_not_made(demo):
    from dialogs.state import RedisDialogStore, StoreUnavailable

    class WriteLost(RedisDialogStore):
        """Redis gone between a step's read and its write."""

        def write(self, *args, **kwargs):
            raise StoreUnavailable("ConnectionError")

    before = ["1", main_menu_token("report"), "1", "2"]  # French, report, violence, no danger: the sex question
    ussd(demo, "S1", [])
    ussd(demo, "S1", before)  # then the call drops
    ctx = Context(channel="ussd", session_id="S2", phone=PHONE, default_language="fr",
                  services=demo.community_services())
    first = answer_menu_step(WriteLost(demo.redis, trips=demo.round_trips), ctx, [], USSD_LIMITS, demo.session_times)
    # Offered, "1" (Continue) would be read against the record stored without the offer: as French, on the first
    # screen. Not offered, the first screen is what the caller sees and answers.
    assert first.step == "language"
    assert ussd(demo, "S2", ["1"]).step == "main"
