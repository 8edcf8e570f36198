"""/api/v1/indicators: the organisation's indicators as the CSV's long-format rows, in JSON; a bad period or breakdown
is a 422 naming the parameter."""
from __future__ import annotations

import csv
import io

import pytest
from jsonschema import Draft202012Validator

from app.api.registry import API
from app.indicators.views import CSV_COLUMNS
from casecore.people.organisations import find_organisation
from casecore.periods import local_today
from tests.factories import make_case, make_locations, make_report, make_user
from tests.web.api.conftest import bearer
from tests.web.conftest import PASSWORD, csrf_from

READER = "indicators:read"


@pytest.fixture
def intake(uow, world):
    """Reports of ours received today (some opened into cases, across two regions), one of theirs, and a supervisor
    of ours who downloads the CSV."""
    with uow() as session:
        make_locations(session)
        for n in range(9):
            report = make_report(session, organisation_slug="ours", channel=("ussd", "sms", "whatsapp")[n % 3],
                                 child_sex=("female", "male")[n % 2], location_code=("ML090101", "ML0201")[n % 2])
            if n < 4:
                make_case(session, report)
        make_report(session, organisation_slug="theirs")
        supervisor = make_user(session, find_organisation(session, "ours"), role="supervisor")
        return {"supervisor": supervisor.email}


def _csv_rows(app, email, query):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    answer = client.get(f"/indicators.csv?{query}")
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))


def _as_csv(row, min_cell):
    """A JSON row as the CSV writes it."""
    text = {name: "" if content is None else str(content) for name, content in row.items()}
    text["value"] = f"<{min_cell}" if row["withheld"] else text["value"]
    return [text[name] for name in CSV_COLUMNS]


def _check(body):
    schema = API.resolve({"$ref": "#/components/schemas/Indicators"})
    assert [error.message for error in Draft202012Validator(schema).iter_errors(body)] == []


@pytest.mark.parametrize("query", ["", "from={today}&to={today}", "period={month}"])
def test_the_rows_are_the_csv_exports_rows_for_the_same_period(app, client, token, intake, query):
    today = local_today(app.extensions["relais"].zone)
    query = query.format(today=today.isoformat(), month=today.strftime("%Y-%m"))
    answer = client.get(f"/api/v1/indicators?{query}", headers=bearer(token("dashboard", READER)))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    _check(body)
    header, *rows = _csv_rows(app, intake["supervisor"], query)
    assert tuple(header) == CSV_COLUMNS
    min_cell = app.extensions["relais"].settings.INDICATOR_MIN_CELL
    assert [_as_csv(row, min_cell) for row in body["rows"]] == rows
    total = next(row for row in body["rows"] if row["indicator"] == "reports_received"
                 and all(row[name] is None for name in CSV_COLUMNS[4:-2]))
    assert (total["value"], total["withheld"], total["organisation"]) == (9, False, "ours")
    assert body["period_start"] <= today.isoformat() <= body["period_end"]


def test_a_token_reads_its_own_organisations_figures(client, token, intake):
    theirs = client.get("/api/v1/indicators?by=", headers=bearer(token("their-dashboard", READER, org="theirs")))
    rows = theirs.get_json()["rows"]
    assert {row["organisation"] for row in rows} == {"theirs"}
    received = [row for row in rows if row["indicator"] == "reports_received"]
    # One report: a count under the small-cell threshold is withheld, never shown.
    assert [(row["value"], row["withheld"]) for row in received] == [(None, True)]


def test_by_keeps_the_values_broken_down_by_exactly_those_dimensions(client, token, intake):
    reader = bearer(token("dashboard", READER))
    rows = client.get("/api/v1/indicators?by=region,concern,age_band,sex", headers=reader).get_json()["rows"]
    assert rows and all(row["sex"] and row["age_band"] and row["concern"] and row["region"] for row in rows)
    assert all(row[name] is None for row in rows for name in ("channel", "cercle", "reason", "month"))
    totals = client.get("/api/v1/indicators?by=", headers=reader).get_json()["rows"]
    assert totals and all(row[name] is None for row in totals for name in CSV_COLUMNS[4:-2])
    everything = client.get("/api/v1/indicators", headers=reader).get_json()["rows"]
    assert len(everything) > len(totals) + len(rows)
    by_region = client.get("/api/v1/indicators?by=region", headers=reader).get_json()["rows"]
    assert {row["region"] for row in by_region if row["indicator"] == "reports_received"} == {"ML09", "ML02"}


@pytest.mark.parametrize(("query", "names"), [
    ("period=2026-13", ["period"]), ("period=26-11", ["period"]), ("period=2026-Q5", ["period"]),
    ("from=2026-03-01", ["to"]), ("to=2026-03-01", ["from"]), ("from=2026-03-02&to=2026-03-01", ["from", "to"]),
    ("from=2026-02-30&to=2026-03-01", ["from"]), ("from=01/03/2026&to=2026-03-31", ["from"]),
    ("from=2020-01-01&to=2026-01-01", ["from", "to"]), ("from=1999-01-01&to=1999-02-01", ["from", "to"]),
    ("period=2026-03&from=2026-03-01&to=2026-03-31", ["period"]), ("by=sex,colour", ["by"]), ("by=sex,sex", ["by"]),
    ("group=sex", ["group"]),
])
def test_a_bad_period_or_breakdown_is_a_problem_naming_it(client, token, world, query, names):
    answer = client.get(f"/api/v1/indicators?{query}", headers=bearer(token("dashboard", READER)))
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert sorted(p["name"] for p in answer.get_json()["invalid_params"]) == sorted(names)


def test_without_indicators_read_the_token_is_refused(client, token, world):
    answer = client.get("/api/v1/indicators", headers=bearer(token("sync", "cases:read,reports:read,personal_data")))
    assert answer.status_code == 403 and answer.content_type == "application/problem+json"
    assert client.get("/api/v1/indicators").status_code == 401


def test_the_document_declares_the_parameters_and_the_rows(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/indicators"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["from", "to", "period", "by"]
    assert {"200", "401", "403", "422", "429"} <= set(operation["responses"])
    row = spec["components"]["schemas"]["IndicatorRow"]
    assert set(row["required"]) == set(CSV_COLUMNS) | {"withheld"}
