"""Inputs once answered wrongly (a 5xx, an HTML page, no audit line): each gets a problem, a 4xx with a reason."""
from __future__ import annotations

import json

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
