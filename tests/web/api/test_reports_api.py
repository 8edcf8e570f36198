"""A partner posts a report, which reaches the triage queue, and reads it back under need-to-know."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from casecore.partners.models import ApiCall, ApiToken
from casecore.reports.models import Report
from tests.web.api.conftest import bearer

BODY = {"concern": "physical_abuse", "danger_now": True, "child_sex": "female", "child_age_band": "6_11",
        "description": "Frappée chaque soir.", "reporter": {"phone": "+22376000123", "consent_to_share": True,
                                                             "may_contact": True}}


def test_a_posted_report_is_stored_for_the_tokens_organisation_and_read_back(client, token, uow):
    hotline = token("hotline")
    posted = client.post("/api/v1/reports", json=BODY, headers=bearer(hotline))
    assert posted.status_code == 201, posted.get_json()
    created = posted.get_json()
    assert created["urgent"] is True and created["status"] == "new"
    assert posted.headers["Location"] == f"/api/v1/reports/{created['reference']}"

    read = client.get(posted.headers["Location"], headers=bearer(hotline)).get_json()
    assert (read["channel"], read["partner"], read["concern"]) == ("api", "hotline", "physical_abuse")
    assert read["reporter_phone"] == "+22376000123" and read["description"] == "Frappée chaque soir."
    with uow() as session:
        report = session.scalar(select(Report).where(Report.reference == created["reference"]))
        assert report.organisation.slug == "ours"
        calls = session.scalars(select(ApiCall).order_by(ApiCall.at)).all()
        assert [(c.method, c.endpoint, c.status, c.object_ids) for c in calls] == [
            ("POST", "/api/v1/reports", 201, [str(report.id)]),
            ("GET", "/api/v1/reports/{reference}", 200, [str(report.id)])]


def test_without_personal_data_the_number_and_words_are_left_out(client, token):
    reference = client.post("/api/v1/reports", json=BODY, headers=bearer(token("writer"))).get_json()["reference"]
    read = client.get(f"/api/v1/reports/{reference}", headers=bearer(token("dashboard", "reports:read"))).get_json()
    assert "reporter_phone" not in read and "description" not in read
    assert read["concern"] == "physical_abuse"


def test_the_same_idempotency_key_gives_the_first_report_and_another_body_is_refused(client, token):
    headers = {**bearer(token("kiosk")), "Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/reports", json=BODY, headers=headers)
    again = client.post("/api/v1/reports", json=dict(reversed(list(BODY.items()))), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["reference"] == first.get_json()["reference"]
    other = client.post("/api/v1/reports", json={**BODY, "danger_now": False}, headers=headers)
    assert other.status_code == 409
    assert other.content_type == "application/problem+json"
    assert other.get_json()["type"] == "/api/v1/docs#problem-idempotency-conflict"


def test_no_token_a_wrong_one_or_a_missing_scope_is_refused(client, token):
    assert client.get("/api/v1/reports").status_code == 401
    assert client.get("/api/v1/reports", headers=bearer("rls_000000000000_" + "x" * 43)).status_code == 401
    refused = client.post("/api/v1/reports", json=BODY, headers=bearer(token("reader", "reports:read")))
    assert refused.status_code == 403
    assert refused.get_json()["title"]


def test_another_organisations_report_is_not_found(client, token):
    reference = client.post("/api/v1/reports", json=BODY, headers=bearer(token("ours-hotline"))).get_json()["reference"]
    theirs = bearer(token("their-dashboard", org="theirs"))
    assert client.get(f"/api/v1/reports/{reference}", headers=theirs).status_code == 404
    assert client.get("/api/v1/reports", headers=theirs).get_json() == {"items": [], "next": None}


def test_invalid_bodies_get_a_problem_naming_the_field(client, token):
    writer = bearer(token("writer"))
    answer = client.post("/api/v1/reports", json={**BODY, "concern": "nothing"}, headers=writer)
    assert answer.status_code == 422
    assert [p["name"] for p in answer.get_json()["invalid_params"]] == ["concern"]
    assert client.post("/api/v1/reports", data="not json", headers={**writer, "Content-Type": "application/json"}
                       ).status_code == 422
    assert client.post("/api/v1/reports", data="a=b", headers=writer).status_code == 415
    assert client.post("/api/v1/reports", data="x" * 70_000, headers={**writer, "Content-Type": "application/json"}
                       ).status_code == 413
    assert client.post("/api/v1/reports", json={**BODY, "location_code": "NOWHERE"}, headers=writer
                       ).status_code == 422


def test_pages_follow_each_other_to_the_end(client, token):
    writer = bearer(token("writer"))
    references = [client.post("/api/v1/reports", json=BODY, headers=writer).get_json()["reference"]
                  for _ in range(5)]
    seen, url = [], "/api/v1/reports?limit=2"
    while url:
        page = client.get(url, headers=writer).get_json()
        seen += [item["reference"] for item in page["items"]]
        url = page["next"]
    assert sorted(seen) == sorted(references) and len(seen) == 5


def test_the_openapi_document_and_its_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert {"/reports", "/reports/{reference}"} <= set(spec["paths"])
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/api/v1/nothing-here").content_type == "application/problem+json"


def test_a_tokens_last_use_is_written_at_most_once_a_minute(client, token, uow):
    hotline = token("hotline")

    def last_used():
        with uow() as session:
            return session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "hotline"))

    assert last_used() is None
    assert client.get("/api/v1/reports", headers=bearer(hotline)).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/api/v1/reports", headers=bearer(hotline)).status_code == 200
    assert last_used() == first
    with uow() as session:
        session.execute(update(ApiToken).where(ApiToken.name == "hotline")
                        .values(last_used_at=first - timedelta(seconds=61)))
    assert client.get("/api/v1/reports", headers=bearer(hotline)).status_code == 200
    assert last_used() > first


TRACING = {"kind": "tracing", "concern": "separated", "danger_now": False, "child_sex": "male",
           "child_age_band": "0_5", "last_seen": "yesterday", "relationship": "neighbour"}


def test_a_missing_child_is_reported_as_the_tracing_conversation_asks_and_is_urgent(client, token):
    hotline = bearer(token("hotline"))
    posted = client.post("/api/v1/reports", json=TRACING, headers=hotline)
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["urgent"] is True
    read = client.get(posted.headers["Location"], headers=hotline).get_json()
    assert (read["kind"], read["last_seen"], read["relationship"]) == ("tracing", "yesterday", "neighbour")


@pytest.mark.parametrize("change, field", [
    ({"concern": "neglect"}, "concern"),
    ({"last_seen": None}, "last_seen"),
    ({"relationship": None}, "relationship"),
    ({"last_seen": "__gone__"}, "last_seen"),
])
def test_a_missing_child_without_what_the_conversation_asks_is_refused_naming_it(client, token, change, field):
    body = {key: value for key, value in {**TRACING, **change}.items() if value != "__gone__"}
    answer = client.post("/api/v1/reports", json=body, headers=bearer(token("hotline")))
    assert answer.status_code == 422, answer.get_json()
    assert field in [problem["name"] for problem in answer.get_json()["invalid_params"]]


@pytest.mark.parametrize("extra", [{"last_seen": "today"}, {"relationship": "parent"}])
def test_a_child_at_risk_has_no_tracing_answers(client, token, extra):
    answer = client.post("/api/v1/reports", json={**BODY, **extra}, headers=bearer(token("hotline")))
    assert answer.status_code == 422, answer.get_json()
    assert list(extra) == [problem["name"] for problem in answer.get_json()["invalid_params"]]


def test_a_default_sent_or_left_out_is_the_same_report_for_its_idempotency_key(client, token):
    hotline = {**bearer(token("hotline")), "Idempotency-Key": "call-42"}
    first = client.post("/api/v1/reports", json=BODY, headers=hotline)
    again = client.post("/api/v1/reports", json={**BODY, "kind": "child_at_risk", "language": "fr",
                                                  "reporter": {**BODY["reporter"], "may_contact": True}},
                        headers=hotline)
    assert (first.status_code, again.status_code) == (201, 201), again.get_json()
    assert again.get_json()["reference"] == first.get_json()["reference"]
    changed = client.post("/api/v1/reports", json={**BODY, "language": "en"}, headers=hotline)
    assert changed.status_code == 409
