"""Inputs once answered wrongly (a 5xx, an HTML page, no audit line): each gets a problem, a 4xx with a reason."""
from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy import select

from casecore.partners.models import ApiCall
from tests.web.api.conftest import bearer

BODY = {"concern": "physical_abuse", "danger_now": False, "child_sex": "female", "child_age_band": "6_11"}


@pytest.mark.parametrize("code", ["ML\u000001", "\u0000", "ML01\u202e"])
def test_a_place_code_with_a_control_character_is_not_a_place(client, token, code):
    # PostgreSQL cannot hold a NUL in a query parameter: the lookup itself failed (503).
    answer = client.post("/api/v1/reports", json={**BODY, "location_code": code}, headers=bearer(token("kiosk")))
    assert answer.status_code == 422, answer.get_json()
    assert [p["name"] for p in answer.get_json()["invalid_params"]] == ["location_code"]


@pytest.mark.parametrize("reference", ["%00", "QAR%003DG", "%E2%80%AE"])
def test_a_reference_with_a_control_character_is_not_found(client, token, reference):
    answer = client.get(f"/api/v1/reports/{reference}", headers=bearer(token("dashboard")))
    assert answer.status_code == 404, answer.get_json()
    assert answer.content_type == "application/problem+json"


def test_a_reference_is_found_as_people_write_it(client, token):
    hotline = bearer(token("hotline"))
    reference = client.post("/api/v1/reports", json=BODY, headers=hotline).get_json()["reference"]
    for written in (reference, reference.lower(), f"{reference[:3]}-{reference[3:]}",
                    f" {reference[:3]} {reference[3:]}"):
        assert client.get(f"/api/v1/reports/{written}", headers=hotline).status_code == 200, written


@pytest.mark.parametrize("size", [64 * 1024 + 1, 200_000])
def test_a_body_over_64_kb_is_a_problem_and_has_its_audit_line(client, token, uow, size):
    # The app's own 413 page answered first (Flask tries handlers by code before the blueprint's for
    # HTTPException), and the view never wrote the call's line.
    writer = {**bearer(token("writer")), "Content-Type": "application/json"}
    body = json.dumps({"description": "x" * size})
    answer = client.post("/api/v1/reports", data=body, headers=writer)
    assert (answer.status_code, answer.content_type) == (413, "application/problem+json")
    assert answer.get_json()["type"] == "/api/v1/docs#problem-too-large"
    with uow() as session:
        assert [(c.endpoint, c.status) for c in session.scalars(select(ApiCall))] == [("/api/v1/reports", 413)]


LISTS = ["/api/v1/reports", "/api/v1/cases"]
# Each once answered 200 as if it were a time, or 503 (an overflow taken for the database's failure).
NOT_TIMES = [
    "2026-03-01T00:00:00\u0000Z", "2026-03-01T00:00:00Z\u0000", "\u0000", "2026-03-01T00:00:00\u0001Z",
    "2026-03-01T00:00:00\u001fZ", "2026-03-01T00:00:00Z\n", "2026-03-01\tT00:00:00Z", "2026-03-01T00:00:00\u202eZ",
    "2026-03-01T00:00:00", "2026-03-01", "2026-03-01T00:00Z",
    "99999-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    "2026-13-01T00:00:00Z", "2026-03-01T00:00:00+24:00",
    "2026-W09-7T00:00:00Z", "20260301T000000Z", "2026-03-01T00:00:00+0100", "2026-03-01T00:00:00,5Z",
    "\uff12\uff10\uff12\uff16-03-01T00:00:00Z",
]


# Each value as since on one list and as until on the other: both parameters and both lists read times alike.
@pytest.mark.parametrize(("url", "name"), [("/api/v1/reports", "since"), ("/api/v1/cases", "until")])
@pytest.mark.parametrize("value", NOT_TIMES)
def test_a_time_that_is_not_rfc_3339_with_its_zone_and_in_range_is_a_problem_naming_it(client, token, url, name,
                                                                                       value):
    answer = client.get(url, query_string={name: value}, headers=bearer(token("sync")))
    assert (answer.status_code, answer.content_type) == (422, "application/problem+json"), answer.get_data()
    assert [p["name"] for p in answer.get_json()["invalid_params"]] == [name]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("value", ["2026-03-01T00:00:00", "0001-01-01T00:00:00+01:00"])
def test_the_reason_says_what_is_wrong_with_the_time(client, token, url, value):
    answer = client.get(url, query_string={"since": value}, headers=bearer(token("sync")))
    [problem] = answer.get_json()["invalid_params"]
    assert ("zone" if value.endswith(":00:00") else "years 1 to 9999") in problem["reason"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("value", ["2026-03-01T00:00:00Z", "2026-03-01t00:00:00.123456789z",
                                   "2026-03-01T02:00:00+02:00", "2026-02-28T19:00:00-05:00", "0001-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59.999999Z"])
def test_an_rfc_3339_time_is_taken_on_both_databases(client, token, url, value):
    for name in ("since", "until"):
        answer = client.get(url, query_string={name: value}, headers=bearer(token(f"sync-{name}")))
        assert answer.status_code == 200, answer.get_json()


@pytest.mark.parametrize("url", LISTS)
def test_a_cursor_with_a_time_out_of_range_is_a_problem_naming_it(client, token, url):
    cursor = base64.urlsafe_b64encode(json.dumps(["0001-01-01T00:00:00+01:00", str(uuid.uuid4())]).encode())
    answer = client.get(url, query_string={"cursor": cursor.decode().rstrip("=")}, headers=bearer(token("sync")))
    assert (answer.status_code, answer.content_type) == (422, "application/problem+json"), answer.get_data()
    assert [p["name"] for p in answer.get_json()["invalid_params"]] == ["cursor"]


def encoded(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("cursor", [
    encoded(["2026-01-01T00:00:00+00:00", 5]), encoded(["2026-01-01T00:00:00+00:00", [1]]),
    encoded([5, str(uuid.UUID(int=1))]), encoded({"at": 1, "id": 2}), encoded("["), "%%%", "W" * 5000,
    base64.urlsafe_b64encode(b"[" * 20_000).decode(),
])
def test_a_cursor_tampered_with_is_a_problem_naming_it(client, token, url, cursor):
    answer = client.get(url, query_string={"cursor": cursor}, headers=bearer(token("sync")))
    assert (answer.status_code, answer.content_type) == (422, "application/problem+json"), answer.get_data()
    assert [p["name"] for p in answer.get_json()["invalid_params"]] == ["cursor"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("limit", ["--5", "-", "5_0", "٥", "1" * 5000, "0x10", "1e2", "+-1"])
def test_a_limit_that_is_not_a_whole_number_is_a_problem_naming_it(client, token, url, limit):
    answer = client.get(url, query_string={"limit": limit}, headers=bearer(token("sync")))
    assert (answer.status_code, answer.content_type) == (422, "application/problem+json"), answer.get_data()
    assert [p["name"] for p in answer.get_json()["invalid_params"]] == ["limit"]


@pytest.mark.parametrize("body", [
    b"[" * 20_000 + b"]" * 20_000,
    b'{"concern": ' + b"1" * 5000 + b"}",
    json.dumps({**BODY, "location_code": "ML\ud800"}).encode(),
    json.dumps({**BODY, "description": "a\udfffb"}).encode(),
])
def test_a_body_json_cannot_hold_as_text_is_a_problem_and_has_its_audit_line(client, token, uow, body):
    answer = client.post("/api/v1/reports", data=body, content_type="application/json",
                         headers=bearer(token("kiosk")))
    assert (answer.status_code, answer.content_type) == (422, "application/problem+json"), answer.get_data()
    with uow() as session:
        assert session.scalars(select(ApiCall.status)).all() == [422]


def test_an_unknown_query_parameter_is_a_documented_problem_on_every_endpoint(client, token):
    hotline = bearer(token("hotline"))
    reference = client.post("/api/v1/reports", json=BODY, headers=hotline).get_json()["reference"]
    answer = client.get(f"/api/v1/reports/{reference}", query_string={"foo": "1"}, headers=hotline)
    assert answer.status_code == 422 and answer.get_json()["invalid_params"] == [
        {"name": "foo", "reason": "not a parameter of this endpoint"}]
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" in operation["responses"], (method, path)
