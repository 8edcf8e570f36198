"""The API against its own OpenAPI document (schemathesis): for every operation the document declares, generated
input, valid and invalid, never gets a 5xx, and every answer has a status, a media type, headers and a body the
document declares; invalid input is refused (4xx); the example of each request body is accepted as it is.

Generic over the document: an endpoint declared on the registry (app/api/*.py) is tested here without a line more.
Repeatable: a fixed seed and derandomized generation; a few fuzzed examples per operation beside schemathesis'
coverage cases (boundaries and each way to break each input), so the file stays fast."""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks as openapi_checks

from app import create_app
from app.api.registry import API
from app.web.paths import API_URL_PREFIX
from casecore.partners.scopes import PERSONAL_DATA
from casecore.partners.tokens import create_token, parse_scopes
from tests.conftest import make_settings
from tests.factories import make_organisation
from tests.web.api.conftest import ALL_SCOPES, bearer
from tests.web.api.resources import PHONE, WORDS, collection, hold, load_places

# The document as the app serves it at /api/v1/openapi.json (test_the_document_tested_is_the_one_served holds it).
SERVER = f"http://localhost{API_URL_PREFIX}"
DOCUMENT = API.openapi(SERVER)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
SCHEMA.config.seed = 21
# Fuzzing draws max_examples per operation and generation mode; coverage cases come on top.
SCHEMA.config.generation.update(max_examples=12, deterministic=True, database="none")

CHECKS = [
    core_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    # Invalid input gets a 4xx. Not its converse (positive_data_acceptance): a schema-valid place code or cursor
    # that names nothing is rightly a 422.
    openapi_checks.negative_data_rejection,
]
WITHOUT_PERSONAL_DATA = ",".join(scope for scope in ALL_SCOPES.split(",") if scope != PERSONAL_DATA)


@pytest.fixture
def app(database_url, redis_url):
    """The app without rate limits: thousands of calls with one token, and many made on purpose without it or
    with a broken one (test_api_access.py holds the limits)."""
    flask_app = create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url,
                                         RATE_LIMIT_API_PER_TOKEN="off",
                                         RATE_LIMIT_API_AUTH_FAILURES_PER_SOURCE="off"))
    yield flask_app
    flask_app.extensions["relais"].close()


@pytest.fixture
def known(app) -> dict[str, str]:
    """What there is to read: the demo's places (the examples name them), reports of the organisation with a
    number and words (what a token without personal_data must not get), one opened into a case. Returns a reference
    per collection (/reports, /cases): generated paths sometimes name them, so a resource's own answer is checked."""
    with app.extensions["relais"].unit_of_work() as session:
        make_organisation(session, slug="ours")
        load_places(session)
        return hold(session, "ours").references


def caller(app, scopes: str) -> dict[str, str]:
    with app.extensions["relais"].unit_of_work() as session:
        return bearer(create_token(session, "partner", "ours", parse_scopes(scopes)))


class KnownReferences:
    """Every other positive case of an operation on one resource names one that exists, instead of a random one
    that never does (a 404 alone would leave the resource's own schema unchecked)."""

    def __init__(self, known: dict[str, str]):
        self.known, self.turn = known, 0

    def apply(self, case) -> None:
        params = case.path_parameters or {}
        if "reference" not in params or collection(case.operation.path) not in self.known or case.meta is None \
                or case.meta.generation.mode.is_negative:
            return
        self.turn += 1
        if self.turn % 2:
            params["reference"] = self.known[collection(case.operation.path)]


@pytest.fixture
def references(known) -> KnownReferences:
    return KnownReferences(known)


@pytest.fixture
def partner(app, known, scopes) -> dict[str, str]:
    """The headers of a token with these scopes."""
    return caller(app, scopes)


@SCHEMA.parametrize()
@pytest.mark.parametrize("scopes", [ALL_SCOPES, WITHOUT_PERSONAL_DATA], ids=["every-scope", "no-personal-data"])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_answer_is_one_the_document_declares(case, app, scopes, partner, references):
    # The fixtures are made once per operation, not per generated case: the reports posted add up, as in use.
    references.apply(case)
    answer = case.call_and_validate(app=app, headers=partner, checks=CHECKS)
    if PERSONAL_DATA not in scopes:
        assert PHONE not in answer.text and WORDS not in answer.text


def _operations_with_a_body_example() -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, methods in DOCUMENT["paths"].items()
            for method, operation in methods.items() if "requestBody" in operation]


@pytest.mark.parametrize(("method", "path", "operation"), _operations_with_a_body_example(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_each_request_bodys_example_is_accepted_as_it_is(app, client, known, method, path, operation):
    media = operation["requestBody"]["content"]["application/json"]
    assert "example" in media, f"{method} {path}: a request body needs an example in the document"
    url = API_URL_PREFIX + path.replace("{reference}", known.get(collection(path), "none"))
    answer = client.open(url, method=method, json=media["example"], headers=caller(app, ALL_SCOPES))
    documented = min(int(status) for status in operation["responses"] if status.startswith("2"))
    assert answer.status_code == documented, answer.get_json()


def test_the_document_tested_is_the_one_served(client):
    assert client.get("/api/v1/openapi.json").get_json() == DOCUMENT
    assert DOCUMENT["paths"], "no operation declared: nothing would be tested"
