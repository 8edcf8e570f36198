"""Redis stops while messages and a USSD session arrive: every webhook still answers as its provider expects and
stores what came; when Redis is back the sweep hands it all to the workers, and each message is answered once."""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from casecore.base import utcnow
from casecore.messaging.outbox import queue_message
from casecore.reports.models import Report
from tests.factories import make_locations, make_organisation, make_user
from tests.faults.conftest import (
    FORM,
    fault_settings,
    inbox,
    outbound,
    outbox,
    post_at_sms,
    post_twilio_message,
    sweep_and_work,
)
from tests.queues import queued
from workers.queueing import enqueue_send
from workers.scheduler import OUTBOX_SWEEP_AFTER_SECONDS

SUPERVISOR = "+22376000001"
EARLY_PERSON, EARLY_REPLY_TO = "+22376400009", "+22376400010"
AT_PEOPLE = ["+22376400001", "+22376400002", "+22376400003"]
WHATSAPP_PEOPLE = ["+22376500001", "+22376500002"]
TWILIO_SMS_PERSON = "+22376600001"
USSD_PERSON = "+22376700001"
# French, report, violence, danger now, past the emergency numbers, girl, 6-11, first region, first commune,
# consent, may call, send.
USSD_PATH = ["1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "1"]
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")


def ussd_step(client, inputs):
    form = {"sessionId": "ATUid_redis_down", "serviceCode": "*384*1234#", "phoneNumber": USSD_PERSON,
            "networkCode": "99999", "text": "*".join(inputs)}
    return client.post("/webhooks/africastalking/ussd", data=form, content_type=FORM)


def test_with_redis_down_nothing_received_is_lost_and_each_is_answered_once(
        database_url, own_redis, fake_twilio, fake_at, client_for, make_runtime):
    seed = make_runtime(fault_settings(database_url, own_redis.url, fake_twilio, fake_at,
                                       SMS_BACKEND="africastalking"))
    with seed.unit_of_work() as session:
        make_locations(session)
        make_user(session, make_organisation(session), role="supervisor", phone=SUPERVISOR)
    client = client_for(seed)
    rt = client.application.extensions["relais"]

    # Before the outage: a message stored and its job enqueued, and a reply whose send job waits in Redis; the
    # outage takes both jobs with it (Redis comes back empty).
    assert post_at_sms(client, EARLY_PERSON, "Bonjour", "ATXid_before").status_code == 200
    with rt.unit_of_work() as session:
        early_reply = queue_message(session, purpose_key="before-the-outage", to_phone=EARLY_REPLY_TO,
                                    body="Votre agent vous repondra.", backend="africastalking").id
    assert enqueue_send(rt.queue, early_reply) and queued(rt.queue) == 2

    own_redis.stop_for_now()
    for n, phone in enumerate(AT_PEOPLE):
        answer = post_at_sms(client, phone, "Bonjour", f"ATXid_in_{n}")
        assert (answer.status_code, answer.get_data(as_text=True)) == (200, "OK")
    # AT delivers the first one again (its answer was slow): stored once.
    assert post_at_sms(client, AT_PEOPLE[0], "Bonjour", "ATXid_in_0").status_code == 200
    for n, phone in enumerate(WHATSAPP_PEOPLE):
        answer = post_twilio_message(client, phone, "Bonjour", f"SMin{n:032d}")
        assert (answer.status_code, answer.mimetype) == (200, "text/xml")
        assert answer.get_data(as_text=True).endswith("<Response></Response>")
    answer = post_twilio_message(client, TWILIO_SMS_PERSON, "Bonjour", "SMsms" + "0" * 29, channel="sms")
    assert answer.status_code == 200
    screens = []
    for n in range(len(USSD_PATH) + 1):
        answer = ussd_step(client, USSD_PATH[:n])
        assert answer.status_code == 200
        screens.append(answer.get_data(as_text=True))
    assert all(screen.startswith("CON ") for screen in screens[:-1]), screens
    assert screens[-1].startswith("END ") and REFERENCE.search(screens[-1]), screens[-1]

    received = inbox(rt)
    assert len(received) == 1 + len(AT_PEOPLE) + len(WHATSAPP_PEOPLE) + 1
    assert {row.status for row in received} == {"received"}
    with rt.unit_of_work() as session:
        report = session.scalars(select(Report)).one()
        assert report.reference == REFERENCE.search(screens[-1]).group() and report.alerted_at is None
    assert fake_at.requests == [] and fake_twilio.requests == []  # nothing could be handed to a worker

    own_redis.start_again()  # empty: every job enqueued before the outage is gone too
    assert queued(rt.queue) == 0
    later = utcnow() + timedelta(seconds=rt.settings.ALERT_SWEEP_AFTER_SECONDS + 60)
    sweep_and_work(rt, later)  # what waited in the inbox, and the report's alert
    assert {row.status for row in inbox(rt)} == {"processed"}
    assert outbound(rt, early_reply).status == "queued"  # a send is swept once surely not in a live job's hands
    sweep_and_work(rt, later + timedelta(seconds=OUTBOX_SWEEP_AFTER_SECONDS))
    answered = (Counter(r["form"]["to"] for r in fake_at.requests),
                Counter(r["form"]["To"].removeprefix("whatsapp:") for r in fake_twilio.requests))
    assert answered == (Counter([EARLY_PERSON, EARLY_REPLY_TO, *AT_PEOPLE, SUPERVISOR]),
                        Counter(WHATSAPP_PEOPLE + [TWILIO_SMS_PERSON]))
    assert {row.status for row in outbox(rt)} == {"sent"}

    # The sweep and the workers run again (another scheduler, a later tick): nobody hears from us twice.
    sweep_and_work(rt, later + timedelta(minutes=20))
    sweep_and_work(rt, later + timedelta(hours=1))
    assert (Counter(r["form"]["to"] for r in fake_at.requests),
            Counter(r["form"]["To"].removeprefix("whatsapp:") for r in fake_twilio.requests)) == answered
    with rt.unit_of_work() as session:
        assert session.scalars(select(Report)).one().alerted_at is not None
