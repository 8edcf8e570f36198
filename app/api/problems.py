"""Errors as application/problem+json (RFC 9457): a stable type, a title, the status, and the invalid fields."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import Response

from app.web.paths import API_URL_PREFIX

MEDIA_TYPE = "application/problem+json"

# Each type's slug and title; the type URI is the docs page's anchor for it, so a person can look it up.
TITLES = {
    "unauthenticated": "A valid bearer token is needed",
    "forbidden": "The token's scopes do not allow this",
    "not-found": "No such resource, or not one this token may see",
    "method-not-allowed": "This method is not allowed here",
    "invalid-request": "The request is not valid",
    "idempotency-conflict": "This Idempotency-Key was used with a different request",
    "conflict": "The request conflicts with the resource's current state",
    "too-large": "The request body is over 64 kB",
    "unsupported-media-type": "The body must be application/json",
    "rate-limited": "Too many calls with this token",
    "unavailable": "The service cannot answer now; try again",
    "internal-error": "Relais failed to answer this call (it is logged; tell the Relais operators)",
}
STATUSES = {
    "unauthenticated": 401, "forbidden": 403, "not-found": 404, "method-not-allowed": 405, "invalid-request": 422,
    "idempotency-conflict": 409, "conflict": 409, "too-large": 413, "unsupported-media-type": 415, "rate-limited": 429,
    "unavailable": 503, "internal-error": 500,
}


def problem_type(slug: str) -> str:
    """The stable type URI of a problem: its entry in the API's documentation page."""
    return f"{API_URL_PREFIX}/docs#problem-{slug}"


@dataclass
class ApiProblem(Exception):
    """Raised anywhere in an API call: answered as a problem document."""

    slug: str
    detail: str = ""
    invalid_params: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return STATUSES[self.slug]

    def body(self) -> dict:
        body = {"type": problem_type(self.slug), "title": TITLES[self.slug], "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.invalid_params:
            body["invalid_params"] = self.invalid_params
        return body

    def response(self) -> Response:
        return Response(json.dumps(self.body(), ensure_ascii=False), status=self.status, mimetype=MEDIA_TYPE,
                        headers=self.headers)


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "Stable identifier of the kind of problem (a URI reference)."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "invalid_params": {
            "type": "array",
            "items": {"type": "object", "required": ["name", "reason"],
                      "properties": {"name": {"type": "string"}, "reason": {"type": "string"}}},
        },
    },
}
