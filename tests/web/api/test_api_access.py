"""Who may call what, for every declared endpoint: each scope opens its endpoints and no other (403), a missing,
malformed, wrong or revoked token is refused (401), organisations never see each other's data, personal data only
with personal_data; every call has its audit line, refused ones too, holding no number nor anything sent; the rate
limits (429 with Retry-After) and the body limit (413)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.api.registry import API
from casecore.base import utcnow
from casecore.partners.models import ApiCall
from casecore.partners.scopes import SCOPES
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_report
from tests.web.api.conftest import ALL_SCOPES, bearer
from tests.web.api.resources import PHONE, WORDS, hold, load_places, request_for, success, url_for

ENDPOINTS = {f"{endpoint.method} {endpoint.path}": endpoint for endpoint in API.endpoints}
GETS = [label for label, endpoint in ENDPOINTS.items() if endpoint.method == "GET"]
# The contract partners build on: the scope each endpoint needs (an endpoint declared with another is a change to
# the contract, to make here on purpose).
CONTRACT = {
    "POST /reports": "reports:write", "GET /reports": "reports:read", "GET /reports/{reference}": "reports:read",
    "GET /cases": "cases:read", "GET /cases/{reference}": "cases:read", "GET /indicators": "indicators:read",
}
WITHOUT_PERSONAL_DATA = ",".join(scope for scope in SCOPES if scope != "personal_data")
PROBLEM = "application/problem+json"


@pytest.fixture
def app(database_url, redis_url, request):
    """As production builds it; a test may lower the limits: @pytest.mark.parametrize("app", [{...}],
    indirect=True)."""
    flask_app = create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url,
                                         **getattr(request, "param", {})))
    yield flask_app
    flask_app.extensions["relais"].close()


@pytest.fixture
def held(uow, world):
    """Reports and a case of each organisation ("ours", "theirs")."""
    with uow() as session:
        load_places(session)
        return {slug: hold(session, slug) for slug in world}


def limited(**settings):
    return pytest.mark.parametrize("app", [settings], indirect=True, ids=["limited"])


def test_the_declared_endpoints_need_the_scopes_of_the_contract():
    declared = {label: endpoint.scope for label, endpoint in ENDPOINTS.items() if label in CONTRACT}
    assert declared == {label: CONTRACT[label] for label in declared}
    assert all(endpoint.scope in SCOPES for endpoint in API.endpoints)


@pytest.mark.parametrize("label", ENDPOINTS)
def test_each_scope_opens_its_endpoints_and_no_other(client, token, held, label):
    endpoint = ENDPOINTS[label]
    answers = {scope: client.open(**request_for(endpoint, held["ours"]),
                                  headers=bearer(token(f"only-{scope.replace(':', '.')}", scope))).status_code
               for scope in SCOPES}
    assert answers == {scope: success(endpoint) if scope == endpoint.scope else 403 for scope in SCOPES}


def test_a_refusal_for_scope_is_a_problem_naming_the_scope(client, token):
    answer = client.post("/api/v1/reports", json=ENDPOINTS["POST /reports"].body_example,
                         headers=bearer(token("reader", "reports:read")))
    assert (answer.status_code, answer.content_type) == (403, PROBLEM)
    assert answer.get_json()["type"] == "/api/v1/docs#problem-forbidden"
    assert "reports:write" in answer.get_json()["detail"]


def _revoked(app, token) -> str:
    revoked = token("old-kiosk")
    result = app.test_cli_runner().invoke(args=["token", "revoke", "old-kiosk"])
    assert result.exit_code == 0, result.output
    return f"Bearer {revoked}"


@pytest.mark.parametrize("label", ENDPOINTS)
def test_no_token_a_malformed_wrong_or_revoked_one_is_refused(app, client, token, held, label):
    good = token("kiosk")
    prefix = good.rsplit("_", 1)[0]
    refused = {
        "none": None, "empty": "Bearer ", "another scheme": "Basic a2lvc2s6c2VjcmV0", "malformed": "Bearer kiosk",
        "wrong secret": f"Bearer {prefix}_{'x' * 43}", "unknown": f"Bearer rls_000000000000_{'x' * 43}",
        "revoked": _revoked(app, token),
    }
    call = request_for(ENDPOINTS[label], held["ours"])
    for why, authorization in refused.items():
        answer = client.open(**call, headers={} if authorization is None else {"Authorization": authorization})
        assert (answer.status_code, answer.content_type) == (401, PROBLEM), why
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="relais"', why
        assert answer.get_json()["type"] == "/api/v1/docs#problem-unauthenticated", why
    assert client.open(**call, headers=bearer(good)).status_code == success(ENDPOINTS[label])


@pytest.mark.parametrize("label", GETS)
def test_an_organisation_never_sees_anothers_data(client, token, held, label):
    endpoint = ENDPOINTS[label]
    theirs = bearer(token("their-dashboard", org="theirs"))
    if "{" in endpoint.path:
        # Their own resource is there; ours, named by its reference, is not found.
        assert client.get(url_for(endpoint, held["theirs"]), headers=theirs).status_code == 200
        answer = client.get(url_for(endpoint, held["ours"]), headers=theirs)
        assert (answer.status_code, answer.content_type) == (404, PROBLEM)
    else:
        answer = client.get(url_for(endpoint, held["theirs"]), headers=theirs)
        assert answer.status_code == 200
    assert not {reference for reference in held["ours"].all() if reference in answer.get_data(as_text=True)}


@pytest.mark.parametrize("label", GETS)
def test_without_personal_data_no_number_nor_words_come_back(client, token, held, label):
    endpoint = ENDPOINTS[label]
    answer = client.get(url_for(endpoint, held["ours"]), headers=bearer(token("dashboard", WITHOUT_PERSONAL_DATA)))
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert PHONE not in text and PHONE[4:] not in text and WORDS not in text


def test_with_personal_data_the_reports_number_and_words_come_back(client, token, held):
    answer = client.get(url_for(ENDPOINTS["GET /reports/{reference}"], held["ours"]),
                        headers=bearer(token("hotline", ALL_SCOPES))).get_json()
    assert (answer["reporter_phone"], answer["description"]) == (PHONE, WORDS)


def test_even_with_personal_data_a_number_comes_back_only_with_the_reporters_consent(client, token, uow, held):
    with uow() as session:
        # Written by another way than the intake, which keeps a number only with consent: the read checks too.
        reference = make_report(session, organisation_slug="ours", reporter_phone=PHONE,
                                consent_to_share=False).reference
    answer = client.get(f"/api/v1/reports/{reference}", headers=bearer(token("hotline", ALL_SCOPES))).get_json()
    assert answer["reporter_phone"] is None and PHONE not in str(answer)


def test_every_call_has_an_audit_line_without_a_number_nor_anything_sent(client, token, held, uow):
    hotline = bearer(token("hotline"))
    key = "kiosk-7f3a9c"
    body = {"concern": "neglect", "danger_now": False, "child_sex": "male", "child_age_band": "12_17",
            "description": "Seul depuis trois jours.", "reporter": {"phone": "+22376000555", "consent_to_share": True}}
    since = (utcnow() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    calls = [
        client.post("/api/v1/reports", json=body, headers={**hotline, "Idempotency-Key": key}),
        client.post("/api/v1/reports", json={**body, "danger_now": True}, headers={**hotline, "Idempotency-Key": key}),
        client.post("/api/v1/reports", json={**body, "concern": "+22376000555"}, headers=hotline),
        client.post("/api/v1/reports", data="concern=neglect", headers=hotline),
        client.post("/api/v1/reports", data=json.dumps({**body, "description": "x" * 70_000}),
                    headers={**hotline, "Content-Type": "application/json"}),
        client.get(f"/api/v1/reports?status=new&since={since}&limit=2", headers=hotline),
        client.get(url_for(ENDPOINTS["GET /reports/{reference}"], held["ours"]), headers=hotline),
        client.get(url_for(ENDPOINTS["GET /reports/{reference}"], held["theirs"]), headers=hotline),
        client.get("/api/v1/reports", headers=bearer(token("writer", "reports:write"))),
    ]
    assert [answer.status_code for answer in calls] == [201, 409, 422, 415, 413, 200, 200, 404, 403]
    with uow() as session:
        lines = session.scalars(select(ApiCall).order_by(ApiCall.at)).all()
        ours = {str(report_id) for report_id in session.scalars(select(Report.id).where(
            Report.organisation.has(slug="ours")))}
        assert [(line.method, line.endpoint, line.status) for line in lines] == [
            ("POST", "/api/v1/reports", 201), ("POST", "/api/v1/reports", 409), ("POST", "/api/v1/reports", 422),
            ("POST", "/api/v1/reports", 415), ("POST", "/api/v1/reports", 413), ("GET", "/api/v1/reports", 200),
            ("GET", "/api/v1/reports/{reference}", 200), ("GET", "/api/v1/reports/{reference}", 404),
            ("GET", "/api/v1/reports", 403)]
        assert [len(line.object_ids) for line in lines] == [1, 0, 0, 0, 0, 2, 1, 0, 0]
        assert {object_id for line in lines for object_id in line.object_ids} <= ours
        written = " ".join(f"{line.method} {line.endpoint} {line.status} {line.object_ids}" for line in lines)
    sent = [key, "+22376000555", "76000555", "Seul depuis", "neglect", since, "status=new",
            *held["ours"].all(), *held["theirs"].all()]
    assert [value for value in sent if value in written] == []


@limited(RATE_LIMIT_API_PER_TOKEN="3/60")
def test_a_token_past_its_rate_is_refused_until_its_window_ends(client, token):
    busy, other = bearer(token("busy")), bearer(token("other"))
    assert [client.get("/api/v1/reports", headers=busy).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/reports", headers=busy)
    assert (refused.status_code, refused.content_type) == (429, PROBLEM)
    assert refused.get_json()["type"] == "/api/v1/docs#problem-rate-limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/reports", headers=other).status_code == 200


@limited(RATE_LIMIT_API_AUTH_FAILURES_PER_SOURCE="3/600")
def test_an_address_guessing_tokens_is_locked_out(client, token):
    good = bearer(token("kiosk"))
    wrong = bearer(good["Authorization"].removeprefix("Bearer ")[:-4] + "xxxx")
    assert [client.get("/api/v1/reports", headers=wrong).status_code for _ in range(3)] == [401, 401, 401]
    locked = client.get("/api/v1/reports", headers=good)
    assert (locked.status_code, locked.content_type) == (429, PROBLEM)
    assert 0 < int(locked.headers["Retry-After"]) <= 600
    elsewhere = client.get("/api/v1/reports", headers=good, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 200


def test_a_body_over_64_kb_is_refused_and_one_under_is_read(client, token):
    writer = {**bearer(token("writer")), "Content-Type": "application/json"}
    over = client.post("/api/v1/reports", data=json.dumps({"description": "x" * (64 * 1024)}), headers=writer)
    assert (over.status_code, over.content_type) == (413, PROBLEM)
    assert over.get_json()["type"] == "/api/v1/docs#problem-too-large"
    under = client.post("/api/v1/reports", data=json.dumps({"description": "x" * (60 * 1024)}), headers=writer)
    assert under.status_code == 422
