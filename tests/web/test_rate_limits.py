"""Rate limits on the webhooks, with small limits set through settings, on a real Redis (or none at all)."""
from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
import redis
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app import create_app
from app.web import rate_limits
from app.webhooks import limits
from app.webhooks.limits import Rate, parse_rate
from casecore.base import utcnow
from casecore.i18n import gettext_for
from casecore.messaging.contacts import is_opted_out, remember_language
from casecore.messaging.inbox import inbound_awaiting
from casecore.messaging.message_log import LogFilter, message_log
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.people.models import Organisation
from casecore.reports.models import Report
from channels.text import to_ascii
from tests.conftest import make_settings
from tests.factories import make_receiving_service
from tests.queues import drain

FORM = "application/x-www-form-urlencoded"
USSD = "/webhooks/africastalking/ussd"
SMS = "/webhooks/africastalking/sms"
TWILIO = "/webhooks/twilio/messages"
PHONE = "+22376701430"
OTHER = "+22376701431"
AT_TOKEN = "s3cret"
TWILIO_TOKEN = "twilio-token"
PUBLIC = "https://relais.example"
# French, report, violence, danger now, continue, girl, 6-11, first region, first commune, consent, may call, send:
# with the dial, 13 steps.
FULL_PATH_FR = ["1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "1"]
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")
TOO_OFTEN = "You have dialled too often. Please try again later. In an emergency call %(numbers)s."


@pytest.fixture
def make_app(sqlite_url, redis_url):
    """An app with the given settings over a seeded database: `make_app(RATE_LIMIT_PER_SOURCE="2/60")`."""
    apps = []

    def _make(**overrides):
        settings = dict(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
                        PUBLIC_BASE_URL=PUBLIC, EMERGENCY_CONTACTS="116,80333")
        flask_app = create_app(make_settings(**{**settings, **overrides}))
        apps.append(flask_app)
        rt = flask_app.extensions["relais"]
        with rt.unit_of_work() as session:
            if session.scalar(select(Organisation.id).limit(1)) is None:
                make_receiving_service(session)
        return flask_app

    yield _make
    for flask_app in apps:
        flask_app.extensions["relais"].close()


def ussd(client, text: str, session: str, phone: str = PHONE, query: str = "", **environ):
    body = (f"sessionId={session}&serviceCode=%2A384%2A1234%23&phoneNumber={quote(phone)}&networkCode=99999"
            f"&text={quote(text, safe='')}")
    return client.post(USSD + query, data=body, content_type=FORM, environ_base=environ)


def play(client, path: list[str], session: str, phone: str = PHONE) -> list[str]:
    """Every step of a session, from the dial to the whole path, as AT posts them; the screens answered."""
    screens = []
    for n in range(len(path) + 1):
        response = ussd(client, "*".join(path[:n]), session, phone)
        assert response.status_code == 200, response.get_data(as_text=True)
        screens.append(response.get_data(as_text=True))
    return screens


def sms(client, body: str, message_id: str, phone: str = PHONE, query: str = "", **environ):
    form = {"from": phone, "to": "21512", "text": body, "id": message_id, "date": "2026-11-22T06:04:45Z"}
    return client.post(SMS + query, data=urlencode(form), content_type=FORM, environ_base=environ)


def twilio(client, body: str, message_id: str, signature: str | None = None):
    form = {"From": f"whatsapp:{PHONE}", "To": "whatsapp:+14155238886", "Body": body, "MessageSid": message_id}
    if signature is None:
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + TWILIO, form)
    return client.post(TWILIO, data=urlencode(form), content_type=FORM, headers={"X-Twilio-Signature": signature})


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


# -- USSD ------------------------------------------------------------------------------------------------------------

def test_a_whole_session_is_never_cut_and_the_next_new_session_gets_a_polite_end(make_app):
    # One new session per number and fewer source requests than the session has steps: neither cuts it.
    app = make_app(RATE_LIMIT_USSD_SESSIONS_PER_NUMBER="1/3600", RATE_LIMIT_PER_SOURCE="3/3600")
    client = app.test_client()
    screens = play(client, FULL_PATH_FR, "ATUid_whole")
    assert len(screens) == 13 and all(s.startswith("CON ") for s in screens[:-1])
    assert screens[-1].startswith("END ") and REFERENCE.search(screens[-1])
    again = ussd(client, "", "ATUid_second")
    assert again.status_code == 200
    assert again.get_data(as_text=True) == "END " + to_ascii(gettext_for("fr")(TOO_OFTEN) % {"numbers": "116, 80333"})
    # The refused session goes no further, and another number still starts one.
    assert ussd(client, "1", "ATUid_second").get_data(as_text=True).startswith("CON ")  # a step: never checked
    assert ussd(client, "", "ATUid_other", phone=OTHER).get_data(as_text=True).startswith("CON Langue / Language")
    with app.extensions["relais"].unit_of_work() as session:
        assert len(session.scalars(select(Report)).all()) == 1


@pytest.mark.parametrize("language", ["fr", "en", "bm"])
def test_the_polite_end_is_in_the_numbers_language_and_fits_a_screen(make_app, language):
    app = make_app(RATE_LIMIT_USSD_SESSIONS_PER_NUMBER="1/3600")
    with app.extensions["relais"].unit_of_work() as session:
        remember_language(session, PHONE, language)
    client = app.test_client()
    assert ussd(client, "", "ATUid_1").get_data(as_text=True).startswith("CON ")
    refused = ussd(client, "", "ATUid_2").get_data(as_text=True)
    assert refused == "END " + to_ascii(gettext_for(language)(TOO_OFTEN) % {"numbers": "116, 80333"})
    assert len(refused) <= 160 and refused.isascii()


def test_without_emergency_contacts_the_polite_end_only_says_try_later(make_app):
    app = make_app(RATE_LIMIT_USSD_SESSIONS_PER_NUMBER="1/3600", EMERGENCY_CONTACTS="")
    client = app.test_client()
    ussd(client, "", "ATUid_1")
    refused = ussd(client, "", "ATUid_2").get_data(as_text=True)
    assert refused == "END " + to_ascii(gettext_for("fr")("You have dialled too often. Please try again later."))


def test_over_the_source_limit_new_sessions_get_429_but_started_ones_go_on(make_app):
    app = make_app(RATE_LIMIT_PER_SOURCE="2/3600")
    client = app.test_client()
    assert ussd(client, "", "ATUid_a").status_code == 200
    assert ussd(client, "", "ATUid_b", phone=OTHER).status_code == 200
    refused = ussd(client, "", "ATUid_c", phone="+22376701432")
    assert refused.status_code == 429 and refused.mimetype == "text/plain"
    assert 3590 <= retry_after(refused) <= 3600
    assert refused.get_data(as_text=True) == f"END Too many requests from this address; retry in " \
                                              f"{retry_after(refused)} seconds"
    # Session a was started before: every one of its steps is answered.
    for n in range(1, len(FULL_PATH_FR) + 1):
        step = ussd(client, "*".join(FULL_PATH_FR[:n]), "ATUid_a")
        assert step.status_code == 200 and step.get_data(as_text=True)[:4] in ("CON ", "END ")
    # Another address is counted on its own.
    assert ussd(client, "", "ATUid_d", REMOTE_ADDR="10.0.0.7").status_code == 200


def test_steps_of_a_started_session_add_no_redis_command(make_app):
    app = make_app(RATE_LIMIT_PER_SOURCE="1/3600", RATE_LIMIT_USSD_SESSIONS_PER_NUMBER="1/3600")
    client = app.test_client()
    stats = redis.Redis.from_url(app.extensions["relais"].settings.REDIS_URL)

    def counted() -> int:
        return stats.info("commandstats").get("cmdstat_incr", {}).get("calls", 0)

    ussd(client, "", "ATUid_steps")
    before = counted()
    for n in range(1, 6):
        ussd(client, "*".join(FULL_PATH_FR[:n]), "ATUid_steps")
    assert counted() == before
    stats.close()


# -- SMS and WhatsApp ------------------------------------------------------------------------------------------------

def test_a_flood_is_stored_whole_answered_200_and_only_the_first_messages_are_handled(make_app):
    app = make_app(RATE_LIMIT_MESSAGES_PER_NUMBER="3/3600")
    rt = app.extensions["relais"]
    client = app.test_client()
    for n in range(7):
        response = sms(client, f"Bonjour {n}", f"flood-{n}")
        assert response.status_code == 200 and response.get_data(as_text=True) == "OK"
    assert sms(client, "Bonjour", "other-1", phone=OTHER).status_code == 200  # another number: its own count
    drain(rt.queue)
    with rt.unit_of_work() as session:
        rows = session.scalars(select(InboundMessage).where(InboundMessage.phone == PHONE)
                               .order_by(InboundMessage.provider_message_id)).all()
        statuses = {row.provider_message_id: row.status for row in rows}
        assert [row.body for row in rows] == [f"Bonjour {n}" for n in range(7)]  # nothing received is lost
        replies = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == PHONE)).all()
        other = session.scalars(select(InboundMessage).where(InboundMessage.phone == OTHER)).one()
        later = utcnow() + timedelta(days=1)
        swept = set(inbound_awaiting(session, later))
        logged = message_log(session, LogFilter(direction="in", status="limited")).rows
    assert sorted(statuses.values()) == ["limited"] * 4 + ["processed"] * 3
    assert len(replies) == 3 and other.status == "processed"
    # The scheduler never picks a limited message up; the administrator's log shows them.
    assert not swept & {row.id for row in rows}
    assert len(logged) == 4 and {row.phone_masked for row in logged} == {"+223******30"}


def test_a_stop_over_the_limit_is_still_handled(make_app):
    app = make_app(RATE_LIMIT_MESSAGES_PER_NUMBER="1/3600")
    rt = app.extensions["relais"]
    client = app.test_client()
    sms(client, "Bonjour", "m-1")
    sms(client, "Encore", "m-2")
    sms(client, "STOP", "m-3")
    drain(rt.queue)
    with rt.unit_of_work() as session:
        statuses = dict(session.execute(select(InboundMessage.provider_message_id, InboundMessage.status)).all())
        assert is_opted_out(session, PHONE)
    assert statuses == {"m-1": "processed", "m-2": "limited", "m-3": "processed"}


def test_over_the_source_limit_every_webhook_answers_429_with_a_reason(make_app):
    # AT's webhooks without AT_WEBHOOK_TOKEN: anyone may post, so each address is limited.
    app = make_app(RATE_LIMIT_PER_SOURCE="2/600")
    client = app.test_client()
    assert sms(client, "a", "s-1").status_code == 200
    assert sms(client, "b", "s-2").status_code == 200
    for refused in (sms(client, "c", "s-3"),
                    client.post("/webhooks/africastalking/delivery", data="id=x&status=Success", content_type=FORM)):
        assert refused.status_code == 429 and 590 <= retry_after(refused) <= 600
        assert refused.get_data(as_text=True).startswith("Too many requests from this address; retry in ")
    assert sms(client, "e", "s-5", REMOTE_ADDR="10.0.0.9").status_code == 200
    # Twilio's signed requests are the provider's own traffic from a few addresses: never capped per address.
    for n in range(4):
        assert twilio(client, f"t{n}", f"SM-s-t{n}").status_code == 200
    with app.extensions["relais"].unit_of_work() as session:
        assert sorted(session.scalars(select(InboundMessage.body))) == ["a", "b", "e", "t0", "t1", "t2", "t3"]


def test_with_the_at_token_set_the_provider_is_not_capped_per_address(make_app):
    app = make_app(RATE_LIMIT_PER_SOURCE="1/600", AT_WEBHOOK_TOKEN=AT_TOKEN)
    client = app.test_client()
    for n in range(3):
        assert sms(client, "x", f"tok-{n}", query=f"?token={AT_TOKEN}").status_code == 200
    for n in range(3):
        assert ussd(client, "", f"ATUid_tok{n}", query=f"?token={AT_TOKEN}").status_code == 200


@pytest.mark.parametrize("proxies, separate", [(0, False), (1, True)])
def test_x_forwarded_for_is_trusted_only_behind_a_configured_proxy(make_app, proxies, separate):
    app = make_app(RATE_LIMIT_PER_SOURCE="1/600", TRUSTED_PROXY_COUNT=proxies)
    client = app.test_client()
    assert client.post(SMS, data="from=%2B22376701430&id=p-1&text=a", content_type=FORM,
                       headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
    second = client.post(SMS, data="from=%2B22376701430&id=p-2&text=b", content_type=FORM,
                         headers={"X-Forwarded-For": "198.51.100.2"})
    assert second.status_code == (200 if separate else 429)


@pytest.mark.parametrize("proxies, separate", [(0, False), (1, True)])
def test_ussd_steps_read_the_address_x_forwarded_for_gives_only_behind_a_configured_proxy(make_app, proxies,
                                                                                          separate):
    # USSD steps skip Flask's request handling (app.web.dispatch's raw routes): ProxyFix must still apply first.
    app = make_app(RATE_LIMIT_PER_SOURCE="1/600", TRUSTED_PROXY_COUNT=proxies)
    client = app.test_client()
    assert ussd(client, "", "ATUid_fwd1", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    second = ussd(client, "", "ATUid_fwd2", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert second.status_code == (200 if separate else 429)


# -- failed authentications ------------------------------------------------------------------------------------------

def test_failed_checks_lock_the_source_out_even_with_a_good_token(make_app):
    app = make_app(AT_WEBHOOK_TOKEN=AT_TOKEN, RATE_LIMIT_AUTH_FAILURES_PER_SOURCE="3/600")
    client = app.test_client()
    started = ussd(client, "", "ATUid_before", query=f"?token={AT_TOKEN}")
    assert started.status_code == 200
    assert sms(client, "x", "f-1", query="?token=guess1").status_code == 403
    assert ussd(client, "", "ATUid_guess", query="?token=guess2").status_code == 403
    assert twilio(client, "x", "SM-f-3", signature="bad").status_code == 403
    locked = sms(client, "x", "f-4", query=f"?token={AT_TOKEN}")
    assert locked.status_code == 429 and 590 <= retry_after(locked) <= 600
    assert locked.get_data(as_text=True).startswith("Too many failed authentications from this address")
    assert twilio(client, "x", "SM-f-5").status_code == 429
    new_session = ussd(client, "", "ATUid_after", query=f"?token={AT_TOKEN}")
    assert new_session.status_code == 429 and new_session.get_data(as_text=True).startswith("END Too many failed")
    # A session started before is cut too (the source is suspect, whatever its token); another address is not.
    cut = ussd(client, "1", "ATUid_before", query=f"?token={AT_TOKEN}")
    assert cut.status_code == 429 and cut.get_data(as_text=True).startswith("END Too many failed")
    # A wrong guess gets the same answer as the right token: the lock tells nothing about the token.
    assert ussd(client, "1", "ATUid_before", query="?token=guess9").status_code == 429
    assert sms(client, "x", "f-6", query=f"?token={AT_TOKEN}", REMOTE_ADDR="10.0.0.8").status_code == 200
    assert ussd(client, "1", "ATUid_other", query=f"?token={AT_TOKEN}", REMOTE_ADDR="10.0.0.8").status_code == 200


def test_the_lockout_ends_with_its_window(make_app):
    app = make_app(AT_WEBHOOK_TOKEN=AT_TOKEN, RATE_LIMIT_AUTH_FAILURES_PER_SOURCE="1/1")
    client = app.test_client()
    assert sms(client, "x", "w-1", query="?token=no").status_code == 403
    assert sms(client, "x", "w-2", query=f"?token={AT_TOKEN}").status_code == 429
    time.sleep(1.1)
    assert sms(client, "x", "w-3", query=f"?token={AT_TOKEN}").status_code == 200


# -- Redis down, settings --------------------------------------------------------------------------------------------

def test_with_redis_down_every_limit_is_open_and_said_once(make_app, caplog, monkeypatch):
    monkeypatch.setattr(rate_limits, "_last_warning", float("-inf"))  # as in a process that has not warned yet
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", RATE_LIMIT_USSD_SESSIONS_PER_NUMBER="1/3600",
                   RATE_LIMIT_PER_SOURCE="1/3600", RATE_LIMIT_MESSAGES_PER_NUMBER="1/3600",
                   RATE_LIMIT_AUTH_FAILURES_PER_SOURCE="1/3600", AT_WEBHOOK_TOKEN=AT_TOKEN)
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        for n in range(3):
            assert ussd(client, "", f"ATUid_down{n}", query=f"?token={AT_TOKEN}").get_data(
                as_text=True).startswith("CON ")
        assert sms(client, "x", "d-0", query="?token=wrong").status_code == 403
        for n in range(1, 4):
            assert sms(client, f"m{n}", f"d-{n}", query=f"?token={AT_TOKEN}").status_code == 200
    with app.extensions["relais"].unit_of_work() as session:
        assert sorted(session.scalars(select(InboundMessage.status))) == ["received"] * 3  # the sweep answers them
    warnings = [r.getMessage() for r in caplog.records if r.name == "app.web.rate_limits"]
    assert warnings == ["rate limits not applied: Redis unavailable (ConnectionError)"]
    assert all("2237670" not in w for w in caplog.messages)


@pytest.mark.parametrize("raw, rate", [
    ("20/3600", Rate(20, 3600)), (" 5/60 ", Rate(5, 60)), ("0", None), ("off", None), ("OFF", None), ("", None),
    ("0/60", None),
])
def test_rates_are_read_from_settings(raw, rate):
    assert parse_rate(raw, "RATE_LIMIT_PER_SOURCE") == rate


@pytest.mark.parametrize("raw", ["20", "20/0", "-1/60", "a/b", "20/60s", "1.5/60", "²/60"])
def test_a_malformed_rate_stops_the_app_at_start_up_naming_the_setting(sqlite_url, redis_url, raw):
    with pytest.raises(ValueError, match="RATE_LIMIT_MESSAGES_PER_NUMBER"):
        create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, RATE_LIMIT_MESSAGES_PER_NUMBER=raw))


def test_off_switches_a_limit_off(make_app):
    app = make_app(RATE_LIMIT_PER_SOURCE="off", RATE_LIMIT_USSD_SESSIONS_PER_NUMBER="0")
    client = app.test_client()
    assert all(ussd(client, "", f"ATUid_off{n}").status_code == 200 for n in range(25))


def test_redis_keys_hold_no_phone_number(make_app):
    app = make_app()
    client = app.test_client()
    ussd(client, "", "ATUid_keys")
    sms(client, "hello", "k-1")
    keys = redis.Redis.from_url(app.extensions["relais"].settings.REDIS_URL).keys("relais:limit:*")
    assert keys and not [k for k in keys if b"76701430" in k]


def test_each_process_rereads_the_locked_out_sources_every_few_seconds_and_forgets_ended_locks(redis_url):
    client = redis.Redis.from_url(redis_url)
    now = [100.0]
    locked = limits.LockedSources(lambda: client, refresh_seconds=5, clock=lambda: now[0])
    assert locked.get() == frozenset()
    client.zadd(limits.LOCKED_SOURCES, {"192.0.2.7": time.time() + 600, "192.0.2.8": time.time() - 1})
    assert locked.get() == frozenset(), "read a moment ago: a step pays no round trip"
    now[0] += 5
    assert locked.get() == {"192.0.2.7"} and client.zscore(limits.LOCKED_SOURCES, "192.0.2.8") is None
    down = limits.LockedSources(lambda: redis.Redis.from_url("redis://127.0.0.1:1/0"), refresh_seconds=0)
    assert down.get() == frozenset()  # left open while Redis is down, as every limit


def test_the_locked_out_list_says_how_long_each_lock_lasts_and_takes_this_process_s_own_locks_at_once(redis_url):
    client = redis.Redis.from_url(redis_url)
    now = [100.0]
    locked = limits.LockedSources(lambda: client, refresh_seconds=5, clock=lambda: now[0])
    client.zadd(limits.LOCKED_SOURCES, {"192.0.2.7": time.time() + 600})
    assert 599 <= locked.seconds_left("192.0.2.7") <= 601
    assert locked.seconds_left("192.0.2.9") is None
    locked.add("192.0.2.9", time.time() + 30)  # locked here: known before the next reread
    assert 29 <= locked.seconds_left("192.0.2.9") <= 31


# -- inbound messages on raw routes (app.web.dispatch): the same checks as the views they bypass --------------------

def test_a_twilio_message_signed_for_the_url_it_came_in_on_is_taken_without_a_public_base_url(make_app):
    app = make_app(PUBLIC_BASE_URL="")
    client = app.test_client()
    form = {"From": f"whatsapp:{PHONE}", "To": "whatsapp:+14155238886", "Body": "menu", "MessageSid": "SM-url-1"}
    url = "https://relais.test" + TWILIO + "?site=ml"
    good = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    answer = client.post(TWILIO + "?site=ml", base_url="https://relais.test", data=urlencode(form),
                         content_type=FORM, headers={"X-Twilio-Signature": good})
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    forged = client.post(TWILIO + "?site=other", base_url="https://relais.test", data=urlencode(form),
                         content_type=FORM, headers={"X-Twilio-Signature": good})
    assert forged.status_code == 403


def test_an_sms_sent_in_chunks_is_left_to_the_view_and_stored_like_any_other(make_app):
    from werkzeug.test import EnvironBuilder

    app = make_app()
    form = {"from": PHONE, "to": "21512", "text": "bonjour", "id": "chunked-1", "date": "2026-11-22T06:04:45Z"}
    environ = EnvironBuilder(path=SMS, method="POST", data=urlencode(form), content_type=FORM).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    status = []
    body = b"".join(app(environ, lambda line, headers: status.append(line)))
    assert (status, body) == (["200 OK"], b"OK")
    assert sms(app.test_client(), "bonjour", "chunked-1").get_data() == b"OK"  # the same id again: stored once


def test_a_lock_that_ended_since_the_last_reread_refuses_nothing(redis_url):
    client = redis.Redis.from_url(redis_url)
    locked = limits.LockedSources(lambda: client, refresh_seconds=3600)
    locked.add("192.0.2.10", time.time() - 1)  # listed, but over
    assert locked.seconds_left("192.0.2.10") is None
