"""The simulator page: a logged-in user plays USSD and SMS through the webhooks' own code (real SQLite and Redis)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app import create_app
from app.simulator.inputs import allowed_phones
from casecore.audit import AuditEvent
from casecore.messaging.contacts import remember_language
from casecore.messaging.models import InboundMessage, OutboundMessage
from casecore.messaging.outbox import queue_message
from settings import Settings
from tests.conftest import make_settings
from tests.factories import make_locations
from tests.queues import drain
from tests.servers import free_port
from tests.web.conftest import PASSWORD, assert_in_web_catalogues, csrf_from

PHONE = "+22376000100"  # the first of SIMULATOR_NUMBERS by default: the demo family's
SECOND = "+22376000199"  # the second: a demo number with no case
OTHER = "+22376000200"  # the real webhook's caller, so the two sessions never meet; not a simulator test number
REFERENCE = re.compile(r"[2-9A-HJKMNP-TW-Z]{7}")
SESSION = "SIM-0123456789abcdef"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def places(staff, uow):
    """Locations for the report's place menus (the staff fixture's organisation receives the reports)."""
    with uow() as session:
        make_locations(session)
    return staff


@pytest.fixture
def token(client, login, places):
    """Logged in as the (French-speaking) supervisor; the CSRF token of the simulator page."""
    login(places["supervisor"])
    return csrf_from(client.get("/simulator").get_data(as_text=True))


@pytest.fixture
def french_family(uow, token):
    """The simulated number (and the other caller) chose French before: MENU goes straight to the main menu."""
    with uow() as session:
        remember_language(session, PHONE, "fr")
        remember_language(session, OTHER, "fr")
    return token


def ussd_step(client, token, text, session_id=SESSION, phone=PHONE):
    return client.post("/simulator/ussd", data={"csrf_token": token, "phone": phone, "session_id": session_id,
                                                 "text": text})


def webhook_step(client, text, session_id, phone):
    """The form exactly as AT posts it (providers §1)."""
    body = (f"sessionId={session_id}&serviceCode=%2A384%2A1234%23&phoneNumber={quote(phone)}&networkCode=99999"
            f"&text={quote(text, safe='')}")
    return client.post("/webhooks/africastalking/ussd", data=body, content_type=FORM)


def send_sms(client, token, body, phone=PHONE, **extra):
    return client.post("/simulator/sms", data={"csrf_token": token, "phone": phone, "body": body, **extra})


def test_every_simulator_url_requires_a_login(client, places):
    page = client.get("/simulator")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=/simulator")
    token = csrf_from(client.get("/login").get_data(as_text=True))  # past the CSRF check, up to the login check
    for response in (client.post("/simulator/ussd", data={"csrf_token": token, "phone": PHONE}),
                     client.post("/simulator/sms", data={"csrf_token": token, "phone": PHONE, "body": "MENU"}),
                     client.get(f"/simulator/sms/messages?phone={quote(PHONE)}")):
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_any_staff_role_may_use_it_and_the_navigation_links_to_it(client, login, places):
    login(places["caseworker"])
    html = client.get("/simulator").get_data(as_text=True)
    assert '<h1>Simulator</h1>' in html and 'href="/simulator" aria-current="page"' in html
    assert PHONE in html and re.search(r'name="session_id" value="SIM-[0-9a-f]{24}"', html)
    assert re.search(r'<script src="/static/[0-9a-f]{16}/simulator.js" defer></script>', html)


def test_the_page_speaks_the_users_language(client, token):
    html = client.get("/simulator").get_data(as_text=True)
    assert "<h1>Simulateur</h1>" in html and "Appuyez sur Envoyer pour composer le *384*1234#." in html


def test_a_ussd_session_shows_the_same_screens_as_the_webhook(client, token):
    """Every screen of a whole report, answered "1" each time, compared with AT's webhook on another number."""
    answers: list[str] = []
    for _ in range(30):
        text = "*".join(answers)
        simulated = ussd_step(client, token, text)
        real = webhook_step(client, text, "ATUid_compare1", OTHER)
        data = simulated.get_json()
        assert simulated.status_code == real.status_code == 200
        assert data["text"] == text and data["session_id"] == SESSION
        assert REFERENCE.sub("REF", data["body"]) == REFERENCE.sub("REF", real.get_data(as_text=True))
        assert data["screen"] == data["body"][4:] and data["length"] == len(data["body"]) <= 160
        if data["final"]:
            break
        assert data["body"].startswith("CON ")
        answers.append("1")
    assert data["body"].startswith("END ") and REFERENCE.search(data["screen"])
    assert len(answers) > 5  # language, menu, concern and more before the last screen


def test_a_simulated_session_is_audited_once_when_it_starts_with_the_numbers_key(app, client, token, uow, places):
    ussd_step(client, token, "")
    ussd_step(client, token, "1")
    ussd_step(client, token, "", session_id="SIM-another-session-1", phone=SECOND)
    send_sms(client, token, "MENU", session_id="SIM-an-sms-session")
    key = app.extensions["relais"].phone_key
    with uow() as session:
        events = session.execute(select(AuditEvent.user_id, AuditEvent.object_type, AuditEvent.object_id)
                                 .where(AuditEvent.action == "simulator_used")
                                 .order_by(AuditEvent.at)).all()
    assert [tuple(e) for e in events] == [
        (places["supervisor_id"], "ussd_simulation", f"{SESSION}:{key(PHONE)}"),
        (places["supervisor_id"], "ussd_simulation", f"SIM-another-session-1:{key(SECOND)}"),
        (places["supervisor_id"], "sms_simulation", f"SIM-an-sms-session:{key(PHONE)}")]
    assert re.fullmatch(r"[0-9a-f]{32}", key(PHONE)) and key(PHONE) != key(SECOND)
    # The hash, never the number, in any form.
    for _, object_type, object_id in events:
        for number in (PHONE, SECOND):
            assert number[1:] not in object_id and number[-8:] not in object_id and number[-8:] not in object_type


def test_an_sms_menu_gets_the_main_menu_in_the_reply(client, french_family, uow):
    response = send_sms(client, french_family, "MENU", session_id=SESSION)
    assert response.status_code == 200
    data = response.get_json()
    assert data["sent"]["body"] == "MENU" and data["sent"]["direction"] == "sent"
    (reply,) = data["replies"]
    numbered = [line for line in reply["body"].splitlines() if re.match(r"\d+ ", line)]
    assert reply["direction"] == "received" and len(numbered) >= 5  # more than the three languages
    with uow() as session:
        inbound = session.scalars(select(InboundMessage)).one()
        outbound = session.scalars(select(OutboundMessage)).one()
        audited = session.scalars(select(AuditEvent.object_type).where(
            AuditEvent.object_id.startswith(SESSION + ":"))).all()
    assert (inbound.provider, inbound.to_address, inbound.status) == ("simulator", "simulator", "processed")
    assert inbound.provider_message_id.startswith("SIM-")
    assert (outbound.to_phone, outbound.backend, outbound.body) == (PHONE, "simulator", reply["body"])
    assert audited == ["sms_simulation"]


def test_the_replies_go_through_the_simulator_backend_which_sends_nothing(app, client, french_family, uow):
    send_sms(client, french_family, "MENU")
    drain(app.extensions["relais"].queue)
    with uow() as session:
        assert session.scalars(select(OutboundMessage.status)).all() == ["sent"]


def test_the_thread_lists_the_simulators_messages_to_the_number_newest_last(client, token, uow):
    first = send_sms(client, token, "MENU").get_json()
    second = send_sms(client, token, "1").get_json()
    with uow() as session:
        # Written later by someone else (the scheduler ends an abandoned dialogue this way): shown when polled.
        queue_message(session, purpose_key="later", to_phone=PHONE, body="Au revoir", backend="simulator")
        # A real message to the same number stays out of the page.
        queue_message(session, purpose_key="real", to_phone=PHONE, body="Secret", backend="console")
    response = client.get(f"/simulator/sms/messages?phone={quote(PHONE)}")
    messages = response.get_json()["messages"]
    assert [m["direction"] for m in messages] == ["sent", "received", "sent", "received", "received"]
    assert [m["body"] for m in messages][::2] == ["MENU", "1", "Au revoir"]
    assert messages[1] == first["replies"][0] and messages[3] == second["replies"][0]
    times = [m["created_at"] for m in messages]
    assert times == sorted(times)
    # The bubble's time of day is the deployment's (Africa/Bamako keeps UTC: the same hour and minute).
    assert [m["clock"] for m in messages] == [t[11:16] for t in times]
    since = quote(messages[2]["created_at"])
    later = client.get(f"/simulator/sms/messages?phone={quote(PHONE)}&since={since}").get_json()["messages"]
    assert [m["body"] for m in later] == ["1", second["replies"][0]["body"], "Au revoir"]


def test_replies_a_number_that_opted_out_will_never_get_are_not_shown(client, french_family):
    stop = send_sms(client, french_family, "STOP").get_json()
    assert len(stop["replies"]) == 1  # the confirmation reaches an opted-out number
    after = send_sms(client, french_family, "MENU").get_json()
    assert after["sent"]["body"] == "MENU" and after["replies"] == []
    thread = client.get(f"/simulator/sms/messages?phone={quote(PHONE)}").get_json()["messages"]
    assert [m["body"] for m in thread] == ["STOP", stop["replies"][0]["body"], "MENU"]


def test_the_sms_thread_is_drawn_on_the_page(client, token):
    send_sms(client, token, "MENU")
    html = client.get(f"/simulator?channel=sms&phone={quote(PHONE)}&since=2000-01-01T00:00:00Z").get_data(
        as_text=True)
    assert html.count('class="bubble sent"') == 1 and html.count('class="bubble received"') == 1
    assert 'action="/simulator/sms"' in html


@pytest.mark.parametrize("url, form", [
    ("/simulator/ussd", {"phone": PHONE, "session_id": SESSION, "text": ""}),
    ("/simulator/sms", {"phone": PHONE, "body": "MENU"}),
])
def test_a_post_without_the_csrf_token_is_refused(client, token, uow, url, form):
    assert client.post(url, data=form).status_code == 400
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 400
    with uow() as session:
        assert session.scalars(select(InboundMessage)).all() == []
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "simulator_used")).all() == []


@pytest.mark.parametrize("url, form, reason", [
    ("/simulator/ussd", {"session_id": SESSION, "text": ""}, "numéro de téléphone manque"),
    ("/simulator/ussd", {"phone": "", "session_id": SESSION, "text": ""}, "numéro de téléphone manque"),
    ("/simulator/ussd", {"phone": "12", "session_id": SESSION, "text": ""}, "pas un numéro de téléphone valide"),
    ("/simulator/ussd", {"phone": "+" + "2" * 40, "session_id": SESSION, "text": ""}, "trop long"),
    ("/simulator/ussd", {"phone": PHONE, "text": ""}, "identifiant de session manque"),
    ("/simulator/ussd", {"phone": PHONE, "session_id": "ATUid_real", "text": ""}, "SIM-"),
    ("/simulator/ussd", {"phone": PHONE, "session_id": "SIM-" + "a" * 28, "text": ""}, "8 à 27 lettres"),
    ("/simulator/ussd", {"phone": PHONE, "session_id": SESSION}, "texte USSD manque"),
    ("/simulator/ussd", {"phone": PHONE, "session_id": SESSION, "text": "1" * 1001}, "1000 caractères"),
    ("/simulator/ussd", {"phone": PHONE, "session_id": SESSION, "text": "*".join(["1"] * 101)}, "100 réponses"),
    ("/simulator/sms", {"body": "MENU"}, "numéro de téléphone manque"),
    ("/simulator/sms", {"phone": PHONE}, "message est vide"),
    ("/simulator/sms", {"phone": PHONE, "body": " \t\x00 "}, "message est vide"),
    ("/simulator/sms", {"phone": PHONE, "body": "x" * 1601}, "1600 caractères"),
    ("/simulator/sms", {"phone": PHONE, "body": "MENU", "session_id": "not-a-session"}, "SIM-"),
])
def test_bad_input_gets_a_400_with_a_reason(client, token, uow, url, form, reason):
    response = client.post(url, data={"csrf_token": token, **form})
    assert response.status_code == 400
    assert reason in response.get_json()["error"]
    with uow() as session:
        assert session.scalars(select(InboundMessage)).all() == []


@pytest.mark.parametrize("query, reason", [
    ("", "numéro de téléphone manque"),
    ("?phone=abc", "pas un numéro de téléphone valide"),
    (f"?phone={quote(PHONE)}&since=yesterday", "ISO 8601"),
])
def test_bad_thread_queries_get_a_400_with_a_reason(client, token, query, reason):
    response = client.get("/simulator/sms/messages" + query)
    assert response.status_code == 400 and reason in response.get_json()["error"]


def test_a_body_of_exactly_1600_characters_is_played(client, token):
    assert send_sms(client, token, "x" * 1600).status_code == 200


def test_national_numbers_are_read_in_the_default_region(client, token):
    data = ussd_step(client, token, "", phone="76000100").get_json()
    assert data["body"].startswith("CON ")
    assert client.get("/simulator/sms/messages?phone=76000100").get_json()["phone"] == PHONE


def test_the_page_offers_the_test_numbers_as_a_select_the_first_chosen(client, token):
    html = client.get("/simulator").get_data(as_text=True)
    assert 'type="tel"' not in html  # no number can be typed
    assert selectable_numbers(html) == [(PHONE, True), (SECOND, False)]
    assert f'name="phone" value="{PHONE}"' in html  # what Send posts
    chosen = client.get(f"/simulator?channel=sms&phone={quote(SECOND)}").get_data(as_text=True)
    assert selectable_numbers(chosen) == [(PHONE, False), (SECOND, True)]
    assert f'name="phone" value="{SECOND}"' in chosen
    assert "SIMULATOR_NUMBERS" in html and "vraies données pour ces numéros" in html
    assert "les alertes sont envoyées au personnel" in html and "Formateurs" in html


def test_the_select_lists_the_configured_numbers_in_order_once_each(places, sqlite_url, redis_url):
    configured = "76000150, +22376000100 ,not-a-number,,+22376000150"
    with simulator_app(sqlite_url, redis_url, configured) as app:
        client, token = logged_in(app, places["supervisor"])
        html = client.get("/simulator").get_data(as_text=True)
        assert selectable_numbers(html) == [("+22376000150", True), (PHONE, False)]
        assert ussd_step(client, token, "", phone="+22376000150").status_code == 200
        refused = ussd_step(client, token, "", phone=SECOND)  # a default number no longer listed
        assert refused.status_code == 400 and "SIMULATOR_NUMBERS" in refused.get_json()["error"]


NOT_A_TEST_NUMBER = "demandez à un administrateur de l'ajouter à SIMULATOR_NUMBERS"


@pytest.mark.parametrize("phone", [OTHER, "76000200", "+1 202 555 0143", "+22376000101"])
def test_a_number_outside_the_list_is_refused_everywhere_and_nothing_is_played(client, token, uow, phone):
    responses = {
        "ussd": ussd_step(client, token, "", phone=phone),
        "sms": send_sms(client, token, "STOP", phone=phone),
        "thread": client.get(f"/simulator/sms/messages?phone={quote(phone)}"),
    }
    for name, response in responses.items():
        assert response.status_code == 400, name
        assert NOT_A_TEST_NUMBER in response.get_json()["error"], name
    with uow() as session:
        assert session.scalars(select(InboundMessage)).all() == []
        assert session.scalars(select(OutboundMessage)).all() == []
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "simulator_used")).all() == []


def test_a_number_outside_the_list_is_refused_on_the_page_and_the_plain_forms(client, token, uow):
    page = client.get(f"/simulator?phone={quote(OTHER)}")
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and NOT_A_TEST_NUMBER in unescape(html)
    assert OTHER not in html and selectable_numbers(html)[0] == (PHONE, True)
    form = {"csrf_token": token, "reply_as": "page", "phone": OTHER, "session_id": SESSION}
    for url, extra in (("/simulator/ussd", {"answer": "*384*1234#"}), ("/simulator/sms", {"body": "STOP"})):
        refused = client.post(url, data={**form, **extra})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and NOT_A_TEST_NUMBER in unescape(html)
        # The page drawn again posts a test number next time, never the refused one.
        assert OTHER not in html and f'name="phone" value="{PHONE}"' in html
    with uow() as session:
        assert session.scalars(select(InboundMessage)).all() == []
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "simulator_used")).all() == []


@pytest.mark.parametrize("configured", ["", "off", " OFF ", " , ", "not-a-number"])
def test_without_test_numbers_the_simulator_is_switched_off(places, sqlite_url, redis_url, configured):
    with simulator_app(sqlite_url, redis_url, configured) as app:
        client, token = logged_in(app, places["supervisor"])
        page = client.get("/simulator")
        html = page.get_data(as_text=True)
        assert page.status_code == 403 and "Le simulateur est désactivé" in unescape(html)
        assert "<select" not in html and 'id="sim-keys"' not in html
        assert client.get("/simulator?channel=sms").status_code == 403
        for response in (ussd_step(client, token, ""), send_sms(client, token, "STOP"),
                         client.get(f"/simulator/sms/messages?phone={quote(PHONE)}")):
            assert response.status_code == 403 and "SIMULATOR_NUMBERS" in response.get_json()["error"]
        plain = client.post("/simulator/sms", data={"csrf_token": token, "reply_as": "page", "phone": PHONE,
                                                    "body": "STOP"})
        assert plain.status_code == 403 and "Le simulateur est désactivé" in unescape(plain.get_data(as_text=True))
        with app.extensions["relais"].unit_of_work() as session:
            assert session.scalars(select(InboundMessage)).all() == []
            assert session.scalars(select(AuditEvent).where(AuditEvent.action == "simulator_used")).all() == []


def test_switched_off_the_simulator_still_asks_for_a_login_first(places, sqlite_url, redis_url):
    with simulator_app(sqlite_url, redis_url, "off") as app:
        response = app.test_client().get("/simulator")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_setting_is_read_as_a_list_of_e164_numbers():
    assert allowed_phones("+22376000100,+22376000199", "ML") == (PHONE, SECOND)
    assert allowed_phones(" 76000199 ,+22376000100, +223 76 00 01 99", "ML") == (SECOND, PHONE)
    assert allowed_phones("+2237600010x,12", "ML") == ()
    assert allowed_phones("off", "ML") == () and allowed_phones("", "ML") == ()
    assert Settings().SIMULATOR_NUMBERS == f"{PHONE},{SECOND}"
    assert Settings.from_env({"SIMULATOR_NUMBERS": "off"}).SIMULATOR_NUMBERS == "off"


def selectable_numbers(html: str) -> list[tuple[str, bool]]:
    """The simulated phone's select: each number offered and whether it is chosen."""
    match = re.search(r'<select id="sim-phone" name="phone"[^>]*>(.*?)</select>', html, re.S)
    assert match, "no number select in the page"
    return [(value, bool(selected)) for value, selected in
            re.findall(r'<option value="([^"]*)"( selected)?>', match.group(1))]


@contextmanager
def simulator_app(sqlite_url, redis_url, numbers):
    """The app with SIMULATOR_NUMBERS set to numbers."""
    app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SIMULATOR_NUMBERS=numbers))
    try:
        yield app
    finally:
        app.extensions["relais"].close()


def logged_in(app, email):
    """A client of app logged in as email, and a CSRF token for its posts."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client, csrf_from(client.get("/triage").get_data(as_text=True))  # the logout form's token


def shown_screen(html: str) -> str:
    """The USSD screen as the page draws it."""
    match = re.search(r'<pre id="sim-screen"[^>]*>(.*?)</pre>', html, re.S)
    assert match, "no USSD screen in the page"
    return unescape(match.group(1))


def test_without_a_script_the_plain_forms_play_too(client, french_family):
    page = {"csrf_token": french_family, "reply_as": "page", "phone": PHONE, "session_id": SESSION}
    for form, text in (({"answer": "*384*1234#"}, ""), ({"dialled": "1", "text": "", "answer": "1"}, "1"),
                       ({"dialled": "1", "text": "1", "answer": "2"}, "1*2")):
        html = client.post("/simulator/ussd", data={**page, **form}).get_data(as_text=True)
        real = webhook_step(client, text, "ATUid_plain", OTHER).get_data(as_text=True)
        assert f'<span id="sim-status">CON · {len(real)}/160</span>' in html
        assert shown_screen(html) == real[4:]
        assert 'name="dialled" value="1"' in html and f'name="text" value="{text}"' in html
    hung_up = client.post("/simulator/ussd", data={**page, "dialled": "1", "text": "1", "cancel": "1"})
    assert shown_screen(hung_up.get_data(as_text=True)) == "Vous avez raccroché."

    sent = client.post("/simulator/sms", data={**page, "body": "MENU", "since": "2000-01-01T00:00:00+00:00"})
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/simulator?channel=sms")
    thread = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert thread.count('class="bubble sent"') == 1 and thread.count('class="bubble received"') == 1

    refused = client.post("/simulator/sms", data={**page, "body": ""})
    assert refused.status_code == 400 and "Le message est vide." in refused.get_data(as_text=True)


def test_an_sms_is_kept_and_the_reason_given_when_redis_is_down(sqlite_url, places):
    app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    try:
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"email": places["supervisor"], "password": "correct horse battery",
                                    "csrf_token": token})
        token = csrf_from(client.get("/simulator").get_data(as_text=True))
        response = send_sms(client, token, "MENU")
        assert response.status_code == 503 and "la réponse viendra plus tard" in response.get_json()["error"]
        with app.extensions["relais"].unit_of_work() as session:
            assert session.scalars(select(InboundMessage.status)).all() == ["received"]
        # USSD goes on as the webhook does without Redis.
        ussd = ussd_step(client, token, "")
        real = webhook_step(client, "", "ATUid_noredis", PHONE)
        assert ussd.status_code == real.status_code == 200
        assert ussd.get_json()["body"] == real.get_data(as_text=True)
    finally:
        app.extensions["relais"].close()


def test_every_simulator_string_is_in_both_web_catalogues_and_translated_in_french():
    used = assert_in_web_catalogues([("app/simulator/**.py", "python"), ("app/templates/simulator/**.html", "jinja2"),
                                     ("app/templates/base.html", "jinja2")])
    assert len(used) > 30


# -- who may play, as whom, and what it showed (issue 17) ----------------------------------------------------------

def test_staff_of_another_organisation_may_not_play_the_intake_organisations_numbers(client, login, places, uow):
    from tests.factories import make_organisation, make_user
    with uow() as session:
        other = make_user(session, make_organisation(session), role="supervisor", language="fr")
        email = other.email
    login(email)
    page = client.get("/simulator")
    assert page.status_code == 403 and "seul son personnel peut l&#39;utiliser" in page.get_data(as_text=True)
    assert client.get(f"/simulator/sms/messages?phone={quote(PHONE)}").status_code == 403


def test_a_test_number_a_real_family_has_used_is_never_played(client, token, uow):
    with uow() as session:
        # A family wrote from this number through the provider: it is theirs now, not a test number.
        session.add(InboundMessage(provider="africastalking", provider_message_id="ATXid_real", channel="sms",
                                   phone=SECOND, to_address="12345", body="Aidez-moi", status="received"))
    refused = send_sms(client, token, "MENU", phone=SECOND)
    assert refused.status_code == 400 and "vraie famille" in refused.get_json()["error"]
    assert client.get(f"/simulator/sms/messages?phone={quote(SECOND)}").status_code == 400
    assert ussd_step(client, token, "", phone=SECOND).status_code == 400
    assert send_sms(client, token, "MENU").status_code == 200  # the other test number plays on


def test_what_the_simulated_phone_showed_is_audited_once_per_session(client, token, uow):
    send_sms(client, token, "MENU", session_id="SIM-" + "a" * 24)
    client.get(f"/simulator?channel=sms&phone={quote(PHONE)}&session=SIM-{'a' * 24}")
    for _ in range(3):  # the page's polling
        client.get(f"/simulator/sms/messages?phone={quote(PHONE)}&session=SIM-{'a' * 24}")
    with uow() as session:
        viewed = session.scalars(select(AuditEvent.object_id).where(
            AuditEvent.action == "simulator.thread_viewed")).all()
    assert len(viewed) == 1 and PHONE not in viewed[0] and viewed[0].startswith(f"SIM-{'a' * 24}:")
