"""Logging in and out, CSRF, the login requirement and the `next` parameter."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, Flask

from app import auth, triage
from app.auth.views import safe_next
from casecore.people.models import User
from tests.web.conftest import PASSWORD, csrf_from


def test_login_page_is_public_has_a_csrf_token_and_speaks_the_default_language(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert csrf_from(html)
    assert '<html lang="fr">' in html
    assert "Mot de passe" in html


def test_correct_login_goes_to_the_triage_queue(client, staff, login):
    response = login(staff["supervisor"])
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/triage"
    assert client.get("/triage").status_code == 200


def test_email_is_matched_without_regard_to_case_or_spaces(client, staff, login):
    assert login(f"  {staff['supervisor'].upper()} ").status_code == 302


@pytest.mark.parametrize("email, password", [("known", "wrong password"), ("nobody@example.org", PASSWORD)])
def test_wrong_login_shows_a_form_error_and_logs_nobody_in(client, staff, login, email, password):
    response = login(staff["supervisor"] if email == "known" else email, password)
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/triage").status_code == 302


def test_empty_form_shows_a_form_error(client, login):
    response = login("", "")
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"email": staff["supervisor"], "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/triage").status_code == 302


def test_login_with_a_forged_csrf_token_is_refused(client, staff):
    client.get("/login")
    data = {"email": staff["supervisor"], "password": PASSWORD, "csrf_token": "forged"}
    assert client.post("/login", data=data).status_code == 400


@pytest.mark.parametrize("path", ["/", "/triage", "/reports/7d0b3d6e-7c39-4f5e-9b2f-111111111111"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"


def test_the_redirect_to_login_remembers_the_page(client):
    response = client.get("/triage?page=2")
    assert parse_qs(urlsplit(response.location).query)["next"] == ["/triage?page=2"]


def test_static_files_need_no_login(client):
    response = client.get("/static/relais.css")
    assert response.status_code == 200
    response.close()


def test_login_returns_to_a_local_next_page(client, staff, login):
    response = login(staff["supervisor"], next="/triage?x=1")
    assert response.location.endswith("/triage?x=1")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
     "http:/evil.example", "javascript:alert(1)", "triage"],
)
def test_next_never_leaves_the_site(client, staff, login, target):
    response = login(staff["supervisor"], next=target)
    assert response.status_code == 302
    assert response.location in ("/triage", "http://localhost/triage")


@pytest.mark.parametrize(
    "target, expected",
    [("/reports/abc", "/reports/abc"), ("/triage?a=b", "/triage?a=b"), ("//x", None), ("/\\x", None),
     ("https://x/", None), ("/a\nb", None), ("", None), (None, None)],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_logout_needs_csrf_and_then_logs_out(client, staff, login):
    login(staff["supervisor"])
    assert client.post("/logout").status_code == 400
    token = csrf_from(client.get("/triage").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert urlsplit(response.location).path == "/login"
    assert client.get("/triage").status_code == 302


def test_logout_by_get_is_not_possible(client, staff, login):
    login(staff["supervisor"])
    assert client.get("/logout").status_code == 405
    assert client.get("/triage").status_code == 200


def test_session_holds_the_user_id_as_a_string(client, staff, login):
    login(staff["supervisor"])
    with client.session_transaction() as session:
        assert session["_user_id"] == str(staff["supervisor_id"])


def test_a_deactivated_account_loses_its_session(client, staff, login, uow):
    login(staff["supervisor"])
    with uow() as session:
        session.get(User, staff["supervisor_id"]).is_active = False
    assert client.get("/triage").status_code == 302


def test_a_deactivated_account_cannot_log_in(client, staff, login, uow):
    with uow() as session:
        session.get(User, staff["supervisor_id"]).is_active = False
    assert "incorrect" in login(staff["supervisor"]).get_data(as_text=True)


def test_pages_are_not_cached_or_framed(client, staff, login):
    login(staff["supervisor"])
    response = client.get("/triage")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "base-uri 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development: no HSTS


def test_https_deployments_tell_browsers_to_keep_to_https(sqlite_url, redis_url):
    from app import create_app
    from tests.conftest import make_settings
    secure = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SESSION_COOKIE_SECURE=True))
    try:
        for path in ("/login", "/webhooks/africastalking/sms"):
            response = secure.test_client().get(path, base_url="https://relais.test")
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", path
        # A USSD step, answered without Flask's request handling (app.web.dispatch's raw routes).
        response = secure.test_client().post("/webhooks/africastalking/ussd", base_url="https://relais.test",
                                             data={"sessionId": "ATUid_hsts", "phoneNumber": "+22376701430",
                                                   "text": ""})
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    finally:
        secure.extensions["relais"].close()


def test_session_cookie_is_httponly_and_samesite_lax(client, staff, login):
    response = login(staff["supervisor"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_webhooks_blueprint_needs_neither_login_nor_csrf_whatever_the_registration_order(runtime):
    bare = Flask("app")
    bare.config.update(SECRET_KEY="test")
    bare.extensions["relais"] = runtime
    auth.init_app(bare)  # before the webhooks exist, as when create_app changes its order
    triage.init_app(bare)
    hooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")
    hooks.add_url_rule("/ping", "ping", lambda: "pong", methods=["POST"])
    bare.register_blueprint(hooks)
    bare.add_url_rule("/private", "private", lambda: "secret", methods=["POST"])
    client = bare.test_client()
    assert client.post("/webhooks/ping", data={"x": "1"}).get_data(as_text=True) == "pong"
    refused = client.post("/private", data={"x": "1"})  # no session, no token: to the login, never through
    assert refused.status_code == 302 and urlsplit(refused.location).path == "/login"
    assert "secret" not in refused.get_data(as_text=True)


def test_the_real_webhooks_are_reachable_without_login_or_csrf(app, client):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("webhooks.") and "POST" in r.methods]
    assert rules, "the webhooks blueprint registers no POST endpoint"
    for rule in rules:
        if rule.arguments:
            continue
        response = client.post(rule.rule, data={})
        assert response.status_code != 302, rule.rule
        assert "Le formulaire n'a pas pu" not in response.get_data(as_text=True), rule.rule


def test_a_form_sent_after_the_browser_dropped_an_idle_session_goes_to_the_login(client, staff):
    # No session cookie left, so no CSRF token in it either: the login, which says the session closed, not a 400.
    response = client.post("/reports/7d0b3d6e-7c39-4f5e-9b2f-111111111111/not-eligible",
                           data={"csrf_token": "from-the-old-page", "reason": "adult"})
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert 'id="login-form"' in html


def test_a_stale_form_of_a_live_session_is_refused_on_a_page_that_keeps_what_was_typed(client, staff, login):
    login(staff["supervisor"])
    response = client.post("/reports/7d0b3d6e-7c39-4f5e-9b2f-111111111111/not-eligible",
                           data={"csrf_token": "forged", "reason": "adult"})
    assert response.status_code == 400 and "data-keeps-drafts" in response.get_data(as_text=True)
