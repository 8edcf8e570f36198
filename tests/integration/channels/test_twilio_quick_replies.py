"""WhatsApp quick replies through the fake Twilio (Messages and Content APIs) with the ContentSids in a real Redis."""
from __future__ import annotations

import base64
import json
import re

import pytest
import redis
import requests

from channels.sms import OutboundSms, SendResult, make_sms_backend
from channels.sms.twilio_content import KEY_PREFIX, content_cache_for, content_definition
from channels.twilio_messages import parse_twilio_message
from tests.fakes.twilio import Answer, FakeTwilio
from tests.servers import free_port

ACCOUNT_SID = "AC" + "b2" * 16
AUTH_TOKEN = "secret-token"
PHONE = "+22376701430"
PROMPT = "Êtes-vous en sécurité maintenant ?"
YES_NO = OutboundSms(to=PHONE, body=f"{PROMPT}\n1 Oui\n2 Non\n0 Retour\n00 Menu", channel="whatsapp",
                     options=("Oui", "Non"))
ABOVE_BUTTONS = f"{PROMPT}\n\n0 Retour\n00 Menu"


@pytest.fixture
def fake_twilio():
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def backend(fake, redis_client, **overrides):
    """A backend as the worker builds it: settings as a mapping, plus the Redis content cache."""
    options = {"TWILIO_API_URL": fake.url, "TWILIO_CONTENT_API_URL": fake.url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
               "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_SMS_FROM": "+14155550100",
               "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "PROVIDER_TIMEOUT": 0.5,
               "TWILIO_QUICK_REPLIES": True, "TWILIO_CONTENT_CACHE": content_cache_for(redis_client), **overrides}
    return make_sms_backend("twilio", options)


def cached(redis_client) -> dict[str, str]:
    return {key.decode(): redis_client.get(key).decode() for key in redis_client.scan_iter(f"{KEY_PREFIX}*")}


def assert_plain(request, sms):
    assert request["form"] == {"To": f"whatsapp:{PHONE}", "From": "whatsapp:+14155238886", "Body": sms.body}


def test_a_yes_no_question_creates_one_content_and_sends_it_with_the_question(fake_twilio, redis_client):
    result = backend(fake_twilio, redis_client).send(YES_NO)

    [created] = fake_twilio.content_requests
    assert created["path"] == "/v1/Content" and created["http_status"] == 201
    expected_auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert created["headers"]["Authorization"] == f"Basic {expected_auth}"
    assert created["headers"]["Content-Type"] == "application/json"
    assert created["json"]["types"] == {"twilio/quick-reply": {
        "body": "{{1}}", "actions": [{"title": "Oui", "id": "1"}, {"title": "Non", "id": "2"}]}}
    assert re.fullmatch(r"HX[0-9a-f]{32}", created["sid"])

    [message] = fake_twilio.wait_for(1)
    assert message["form"] == {"To": f"whatsapp:{PHONE}", "From": "whatsapp:+14155238886",
                               "ContentSid": created["sid"],
                               "ContentVariables": json.dumps({"1": ABOVE_BUTTONS}, ensure_ascii=False)}
    assert json.loads(message["form"]["ContentVariables"]) == {"1": ABOVE_BUTTONS}
    assert (message["text"], message["buttons"]) == (ABOVE_BUTTONS, ["Oui", "Non"])
    assert result.status == "sent" and re.fullmatch(r"SM[0-9a-f]{32}", result.provider_message_id)
    [(key, sid)] = cached(redis_client).items()
    assert key.startswith(f"{KEY_PREFIX}{ACCOUNT_SID}:") and sid == created["sid"]


def test_the_same_buttons_again_reuse_the_content_from_another_backend(fake_twilio, redis_client):
    backend(fake_twilio, redis_client).send(YES_NO)
    other_question = OutboundSms(to="+22376701431", body="Voulez-vous continuer ?\n1 Oui\n2 Non", channel="whatsapp",
                                 options=("Oui", "Non"))
    # A new backend per send, as each job builds one: only Redis remembers the content.
    assert backend(fake_twilio, redis_client).send(other_question).status == "sent"

    assert len(fake_twilio.content_requests) == 1
    first, second = fake_twilio.wait_for(2)
    assert second["form"]["ContentSid"] == first["form"]["ContentSid"]
    assert json.loads(second["form"]["ContentVariables"]) == {"1": "Voulez-vous continuer ?"}


def test_other_buttons_get_their_own_content(fake_twilio, redis_client):
    backend(fake_twilio, redis_client).send(YES_NO)
    english = OutboundSms(to=PHONE, body="Are you safe now?\n1 Yes\n2 No", channel="whatsapp", options=("Yes", "No"))
    backend(fake_twilio, redis_client).send(english)

    assert [r["json"]["types"]["twilio/quick-reply"]["actions"][0]["title"]
            for r in fake_twilio.content_requests] == ["Oui", "Yes"]
    first, second = fake_twilio.wait_for(2)
    assert first["form"]["ContentSid"] != second["form"]["ContentSid"]
    assert len(cached(redis_client)) == 2


FOUR = OutboundSms(to=PHONE, body=f"{PROMPT}\n1 A\n2 B\n3 C\n4 D", channel="whatsapp", options=("A", "B", "C", "D"))
LONG_LABEL = OutboundSms(to=PHONE, body=f"{PROMPT}\n1 Oui, et je suis seule ici\n2 Non", channel="whatsapp",
                         options=("Oui, et je suis seule ici", "Non"))
BY_SMS = OutboundSms(to=PHONE, body=YES_NO.body, channel="sms", options=("Oui", "Non"))


@pytest.mark.parametrize("sms, overrides", [
    (FOUR, {}),
    (LONG_LABEL, {}),
    (BY_SMS, {}),
    (YES_NO, {"TWILIO_QUICK_REPLIES": False}),
    (YES_NO, {"TWILIO_QUICK_REPLIES": "false"}),
    (YES_NO, {"TWILIO_CONTENT_CACHE": None}),
], ids=["four-options", "long-label", "sms-channel", "disabled", "disabled-as-text", "no-cache"])
def test_what_cannot_be_quick_replies_goes_as_the_plain_numbered_body(fake_twilio, redis_client, sms, overrides):
    result = backend(fake_twilio, redis_client, **overrides).send(sms)

    [message] = fake_twilio.wait_for(1)
    if sms.channel == "sms":
        assert message["form"] == {"To": PHONE, "From": "+14155550100", "Body": sms.body}
    else:
        assert_plain(message, sms)
    assert result.status == "sent"
    assert fake_twilio.content_requests == [] and cached(redis_client) == {}


@pytest.mark.parametrize("answer", [
    Answer.server_error(), Answer.error(400, 20001, "Invalid types"), Answer.garbage(), Answer.hang(3),
], ids=["500", "400", "garbage", "timeout"])
def test_a_content_twilio_does_not_create_leaves_the_plain_body_still_sent(fake_twilio, redis_client, answer,
                                                                           caplog):
    fake_twilio.answer_next_content(answer)
    result = backend(fake_twilio, redis_client).send(YES_NO)

    [message] = fake_twilio.wait_for(1)
    assert_plain(message, YES_NO)
    assert result.status == "sent"
    assert cached(redis_client) == {}
    assert "content not created" in caplog.text
    # The trouble was passing: the next send creates the content and uses it.
    backend(fake_twilio, redis_client).send(YES_NO)
    assert "ContentSid" in fake_twilio.wait_for(2)[1]["form"] and len(fake_twilio.content_requests) == 2


def test_a_cached_content_twilio_no_longer_knows_is_replaced_by_plain_text_then_created_again(fake_twilio,
                                                                                             redis_client):
    backend(fake_twilio, redis_client).send(YES_NO)
    [old_sid] = cached(redis_client).values()
    fake_twilio.reset()  # the content is gone at Twilio (deleted, or another account's)

    result = backend(fake_twilio, redis_client).send(YES_NO)
    refused, plain = fake_twilio.wait_for(2)
    assert refused["form"]["ContentSid"] == old_sid and refused["http_status"] == 400
    assert_plain(plain, YES_NO)
    assert result.status == "sent" and result.provider_message_id
    assert cached(redis_client) == {}

    backend(fake_twilio, redis_client).send(YES_NO)
    [created] = fake_twilio.content_requests
    assert fake_twilio.wait_for(3)[2]["form"]["ContentSid"] == created["sid"] != old_sid


def test_variables_twilio_refuses_send_plain_text_and_keep_the_content(fake_twilio, redis_client):
    backend(fake_twilio, redis_client).send(YES_NO)
    before = cached(redis_client)
    fake_twilio.answer_next(Answer.error(400, 21656, "The ContentVariables Parameter is invalid."))

    result = backend(fake_twilio, redis_client).send(YES_NO)
    _, refused, plain = fake_twilio.wait_for(3)
    assert "ContentSid" in refused["form"] and refused["http_status"] == 400
    assert_plain(plain, YES_NO)
    assert result.status == "sent"
    assert cached(redis_client) == before and len(fake_twilio.content_requests) == 1


@pytest.mark.parametrize("answer, expected", [
    (Answer.throttled(), SendResult("retry", None, "HTTP 429")),
    (Answer.opted_out(), SendResult("failed", None, "opted_out")),
    (Answer.outside_window(), SendResult("failed", None, "outside_whatsapp_window")),
    (Answer.error(400, 63018, "Rate limit exceeded for Channel"), SendResult("retry", None, "rate_limited")),
])
def test_trouble_that_is_not_about_the_content_is_not_sent_again_as_text(fake_twilio, redis_client, answer,
                                                                       expected):
    fake_twilio.answer_next(answer)
    assert backend(fake_twilio, redis_client).send(YES_NO) == expected
    [message] = fake_twilio.wait_for(1)
    assert "ContentSid" in message["form"]
    assert len(cached(redis_client)) == 1  # the content is fine: kept for the retry


@pytest.mark.parametrize("with_payload", [True, False], ids=["payload", "title-only"])
def test_a_tap_on_a_sent_button_comes_back_as_its_option_number(fake_twilio, redis_client, with_payload):
    backend(fake_twilio, redis_client).send(YES_NO)
    [message] = fake_twilio.wait_for(1)
    actions = fake_twilio.contents[message["form"]["ContentSid"]]["types"]["twilio/quick-reply"]["actions"]
    tapped = actions[1]  # "Non", as the phone shows it
    # The inbound webhook as Twilio posts a tap: the title always, the button's id as payload except from older
    # clients; either way the answer is the option number.
    form = {"From": f"whatsapp:{PHONE}", "To": "whatsapp:+14155238886", "MessageSid": "SM" + "c3" * 16,
            "Body": tapped["title"], "ButtonText": tapped["title"]}
    if with_payload:
        form["ButtonPayload"] = tapped["id"]
    asked = []
    inbound = parse_twilio_message(form, buttons_sent=lambda phone: asked.append(phone) or YES_NO.options)
    assert inbound.body == "2" and asked == ([] if with_payload else [PHONE])


def test_redis_down_sends_plain_text(fake_twilio):
    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    result = backend(fake_twilio, dead).send(YES_NO)
    assert_plain(fake_twilio.wait_for(1)[0], YES_NO)
    assert result.status == "sent" and fake_twilio.content_requests == []


def test_the_fake_content_api_refuses_what_twilio_refuses(fake_twilio):
    url, auth = f"{fake_twilio.url}/v1/Content", (ACCOUNT_SID, AUTH_TOKEN)
    too_long = content_definition(("Oui, et je suis seule ici", "Non"))
    assert requests.post(url, json=too_long, auth=auth, timeout=2).status_code == 400
    assert requests.post(url, json={"types": {}}, auth=auth, timeout=2).status_code == 400
    assert requests.post(url, json=content_definition(("Oui",)), auth=(ACCOUNT_SID, "wrong"),
                         timeout=2).status_code == 401
    assert requests.post(url, json=content_definition(("Oui",)), auth=auth, timeout=2).status_code == 201


def test_nothing_about_the_message_is_logged(fake_twilio, redis_client, caplog):
    caplog.set_level("DEBUG")
    fake_twilio.answer_next_content(Answer.server_error())
    for _ in range(2):
        backend(fake_twilio, redis_client).send(YES_NO)
    fake_twilio.reset()
    backend(fake_twilio, redis_client).send(YES_NO)
    assert "76701430" not in caplog.text and "sécurité" not in caplog.text and "Oui" not in caplog.text
    assert AUTH_TOKEN not in caplog.text
