"""Inputs the property tests (test_api_properties.py) found answered with a 5xx: each gets a 4xx with a reason."""
from __future__ import annotations

import pytest

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
