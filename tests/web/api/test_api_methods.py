"""Every answer under /api/v1 is JSON (or empty): OPTIONS is a 204 with the methods a path allows, asked without a
token (Flask's own answer was an empty text/html 200); a method a path does not declare is a 405 problem with the
same Allow; a path that is not the API's is a 404 problem, never the web view's page; Werkzeug's redirect of a
doubled slash comes without its HTML page."""
from __future__ import annotations

import pytest

from app.api.registry import API
from tests.web.api.conftest import bearer

PROBLEM = "application/problem+json"
PUBLIC = {"/openapi.json": {"GET"}, "/docs": {"GET"}}


def _declared() -> dict[str, set[str]]:
    paths = {path: set(methods) for path, methods in PUBLIC.items()}
    for endpoint in API.endpoints:
        paths.setdefault(endpoint.path, set()).add(endpoint.method)
    return paths


DECLARED = _declared()


def _url(path: str) -> str:
    return "/api/v1" + path.replace("{reference}", "QAR3DGX")


def _allow(methods: set[str]) -> str:
    # Werkzeug answers HEAD for every GET, and OPTIONS everywhere.
    return ", ".join(sorted(methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())))


@pytest.mark.parametrize("path", DECLARED)
def test_options_is_a_204_with_the_methods_of_the_path_and_needs_no_token(client, path):
    answer = client.options(_url(path))
    assert answer.status_code == 204
    assert answer.headers["Allow"] == _allow(DECLARED[path])
    assert answer.get_data() == b"" and "Content-Type" not in answer.headers


def test_options_with_a_token_is_the_same_answer(client, token):
    answer = client.options("/api/v1/reports", headers=bearer(token("hotline")))
    assert (answer.status_code, answer.headers["Allow"]) == (204, "GET, HEAD, OPTIONS, POST")


UNDECLARED = [(path, method) for path, methods in DECLARED.items()
              for method in ("PUT", "DELETE", "PATCH", "TRACE", "POST", "GET") if method not in methods]


@pytest.mark.parametrize(("path", "method"), UNDECLARED)
def test_a_method_a_path_does_not_declare_is_a_405_problem_with_allow(client, path, method):
    answer = client.open(_url(path), method=method)
    assert (answer.status_code, answer.content_type) == (405, PROBLEM)
    assert answer.get_json()["type"] == "/api/v1/docs#problem-method-not-allowed"
    assert answer.headers["Allow"] == _allow(DECLARED[path])


@pytest.mark.parametrize("url", ["/api/v1/nothing", "/api/v1", "/api/v1/", "/api/v1/reports/", "/api/v1/reports/A/b",
                                 "/api/v1/openapi.json/", "/api/v1/%00", "/api/v1//nothing"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "OPTIONS"])
def test_a_path_that_is_not_the_apis_is_a_404_problem(client, url, method):
    answer = client.open(url, method=method)
    assert (answer.status_code, answer.content_type) == (404, PROBLEM)
    assert answer.get_json()["type"] == "/api/v1/docs#problem-not-found"


def test_with_a_token_the_answers_are_the_same(client, token):
    hotline = bearer(token("hotline"))
    undeclared = client.delete("/api/v1/reports", headers=hotline)
    assert (undeclared.status_code, undeclared.content_type) == (405, PROBLEM)
    assert undeclared.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    unknown = client.post("/api/v1/nothing", headers=hotline)
    assert (unknown.status_code, unknown.content_type) == (404, PROBLEM)


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
def test_a_doubled_slash_is_redirected_without_a_page(client, method):
    answer = client.open("/api/v1//reports", method=method)
    assert (answer.status_code, answer.headers["Location"]) == (308, "http://localhost/api/v1/reports")
    assert answer.get_data() == b"" and "Content-Type" not in answer.headers


def test_outside_the_api_a_missing_page_is_still_the_web_views(client):
    answer = client.get("/api/v2/reports")
    assert answer.status_code == 404 and answer.content_type.startswith("text/html")
