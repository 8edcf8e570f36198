"""The API's endpoints, declared once: the same declaration routes the call, validates it, and writes the OpenAPI
document (/api/v1/openapi.json), so the document cannot drift from the code that serves it."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from app.api.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from app.api.problems import PROBLEM_SCHEMA, STATUSES, TITLES, problem_type

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
_PATH_PARAM = re.compile(r"\{([a-z_]+)\}")
# A schema piece the endpoint modules share: text that may be null.
NULLABLE_TEXT = {"type": ["string", "null"]}


@dataclass(frozen=True)
class Param:
    """A query parameter or a request header: its JSON schema (applied after reading the text), and why."""

    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False
    # A comma-separated list in one parameter (by=sex,age_band): read as an array of its schema's items.
    comma_list: bool = False


@dataclass(frozen=True)
class Endpoint:
    """One operation: method and path (OpenAPI template), the scope it needs, its inputs and its answers."""

    method: str
    path: str
    operation_id: str
    summary: str
    scope: str
    view: Callable[..., Any]
    description: str = ""
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    body_example: dict[str, Any] | None = None
    # status -> (description, schema of the JSON body or None)
    responses: dict[int, tuple[str, dict[str, Any] | None]] = field(default_factory=dict)
    # Problems this operation can answer with, beyond those every authenticated call can (401, 403, 429).
    problems: tuple[str, ...] = ()

    @property
    def flask_rule(self) -> str:
        """The path as a Flask rule: /reports/{reference} -> /reports/<reference>."""
        return _PATH_PARAM.sub(r"<\1>", self.path)


# Every authenticated call can meet these.
# Every endpoint may answer these; invalid-request too, for a query parameter it does not declare.
COMMON_PROBLEMS = ("unauthenticated", "forbidden", "invalid-request", "rate-limited", "unavailable")


class Registry:
    """The endpoints and the named schemas of one API version."""

    def __init__(self, title: str, version: str, description: str):
        self.title, self.version, self.description = title, version, description
        self.endpoints: list[Endpoint] = []
        self.schemas: dict[str, dict[str, Any]] = {"Problem": PROBLEM_SCHEMA}

    def schema(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        """Name a schema for the document's components; returns a reference to it."""
        self.schemas[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A schema with every reference to a named schema replaced by the schema itself (for validation)."""
        if isinstance(schema, dict):
            ref = schema.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                return self.resolve(self.schemas[ref.rsplit("/", 1)[1]])
            return {key: self.resolve(value) for key, value in schema.items()}
        if isinstance(schema, list):
            return [self.resolve(item) for item in schema]
        return schema

    def endpoint(self, method: str, path: str, **declared) -> Callable[[Callable], Callable]:
        """Declare the decorated view as the operation at method and path."""
        def register(view: Callable) -> Callable:
            self.endpoints.append(Endpoint(method=method, path=path, view=view, **declared))
            return view
        return register

    def openapi(self, server_url: str) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every declared endpoint."""
        paths: dict[str, dict[str, Any]] = {}
        for endpoint in self.endpoints:
            paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = self._operation(endpoint)
        problems = {f"Problem-{slug}": {"description": TITLES[slug],
                                        "content": {PROBLEM_MEDIA_TYPE: {"schema": _ref("Problem")}}}
                    for slug in TITLES}
        return {
            "openapi": OPENAPI_VERSION,
            "info": {"title": self.title, "version": self.version, "description": self.description},
            "servers": [{"url": server_url}],
            "security": [{"bearer": []}],
            "paths": paths,
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                               "description": "A token from `flask --app app token create`."}},
                "schemas": copy.deepcopy(self.schemas),
                "responses": problems,
            },
        }

    def _operation(self, endpoint: Endpoint) -> dict[str, Any]:
        parameters = [{"name": name, "in": "path", "required": True, "schema": schema}
                      for name, schema in endpoint.path_params.items()]
        for where, params in (("query", endpoint.query), ("header", endpoint.headers)):
            for param in params:
                schema = param.schema
                described = {"name": param.name, "in": where, "required": param.required,
                             "description": param.description}
                if param.comma_list:
                    described.update(schema=schema, style="form", explode=False)
                else:
                    described["schema"] = schema
                parameters.append(described)
        responses: dict[str, Any] = {}
        for status, (description, schema) in sorted(endpoint.responses.items()):
            answer: dict[str, Any] = {"description": description}
            if schema is not None:
                answer["content"] = {JSON: {"schema": schema}}
            responses[str(status)] = answer
        for slug in (*endpoint.problems, *COMMON_PROBLEMS):
            responses.setdefault(str(STATUSES[slug]), {"$ref": f"#/components/responses/Problem-{slug}"})
        operation: dict[str, Any] = {
            "operationId": endpoint.operation_id,
            "summary": endpoint.summary,
            "description": (endpoint.description + f"\n\nScope: `{endpoint.scope}`.").strip(),
            "parameters": parameters,
            "responses": responses,
        }
        if endpoint.body is not None:
            media: dict[str, Any] = {"schema": endpoint.body}
            if endpoint.body_example is not None:
                media["example"] = endpoint.body_example
            operation["requestBody"] = {"required": True, "content": {JSON: media}}
        return operation


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def problem_types() -> dict[str, str]:
    """Each problem's type URI and title, for the documentation page."""
    return {problem_type(slug): title for slug, title in TITLES.items()}
