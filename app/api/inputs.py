"""Reading an API call's query, headers and JSON body against the endpoint's declared schemas."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from jsonschema import Draft202012Validator, FormatChecker

from app.api.problems import ApiProblem
from app.api.spec import Endpoint, Param, Registry

_FORMATS = FormatChecker(formats=("date",))


def parse_date_time(text: str) -> datetime:
    """An RFC 3339 date-time with its zone (Z or an offset), as partners send times; ValueError otherwise."""
    if "T" not in text.upper() or not text.isascii():
        raise ValueError("not a date-time")
    parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a date-time needs its zone (Z or an offset)")
    return parsed


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or parse_date_time(value) is not None



def read_query(endpoint: Endpoint, args: Mapping[str, str]) -> dict[str, Any]:
    """The declared query parameters, typed and checked; an unknown or invalid one is a 422 naming it."""
    declared = {param.name: param for param in endpoint.query}
    problems = [{"name": name, "reason": "not a parameter of this endpoint"} for name in args if name not in declared]
    values: dict[str, Any] = {}
    for name, param in declared.items():
        raw = args.get(name)
        if raw is None:
            if param.required:
                problems.append({"name": name, "reason": "required"})
            continue
        value, reason = _typed(param, raw)
        if reason is None:
            reason = _first_error(param.schema, value)
        if reason is not None:
            problems.append({"name": name, "reason": reason})
        else:
            values[name] = value
    if problems:
        raise ApiProblem("invalid-request", "some query parameters are not valid", problems)
    return values


def read_headers(endpoint: Endpoint, headers: Mapping[str, str]) -> dict[str, Any]:
    """The declared request headers, checked like query parameters."""
    values, problems = {}, []
    for param in endpoint.headers:
        raw = headers.get(param.name)
        if raw is None:
            if param.required:
                problems.append({"name": param.name, "reason": "required"})
            continue
        reason = _first_error(param.schema, raw)
        if reason is not None:
            problems.append({"name": param.name, "reason": reason})
        else:
            values[param.name] = raw
    if problems:
        raise ApiProblem("invalid-request", "some headers are not valid", problems)
    return values


def read_body(endpoint: Endpoint, registry: Registry, mimetype: str, data: bytes) -> Any:
    """The JSON body, checked against the endpoint's schema; 415 for another media type, 422 when invalid."""
    if mimetype != "application/json":
        raise ApiProblem("unsupported-media-type", f"send the body as application/json, not {mimetype or 'nothing'}")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiProblem("invalid-request", f"the body is not JSON: {exc}") from None
    validator = Draft202012Validator(registry.resolve(endpoint.body), format_checker=_FORMATS)
    problems = [{"name": _pointer(error.absolute_path) or _missing(error), "reason": error.message}
                for error in sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))]
    if problems:
        raise ApiProblem("invalid-request", "the body does not match the schema", problems)
    return body


def _typed(param: Param, raw: str) -> tuple[Any, str | None]:
    """The text of a parameter as its schema's type (an integer, a boolean, a list of items)."""
    if param.comma_list:
        return [item.strip() for item in raw.split(",") if item.strip()], None
    kind = param.schema.get("type")
    if kind == "integer":
        text = raw.strip()
        if not (text.lstrip("-").isdigit() and text.isascii()):
            return None, "must be a whole number"
        return int(text), None
    if kind == "boolean":
        if raw not in ("true", "false"):
            return None, "must be true or false"
        return raw == "true", None
    return raw, None


def _first_error(schema: dict[str, Any], value: Any) -> str | None:
    error = next(iter(Draft202012Validator(schema, format_checker=_FORMATS).iter_errors(value)), None)
    return None if error is None else error.message


def _pointer(path) -> str:
    return "/".join(str(part) for part in path)


def _missing(error) -> str:
    """For a missing required property, its name (jsonschema reports it on the object holding it)."""
    if error.validator == "required" and isinstance(error.message, str):
        return error.message.split("'")[1] if "'" in error.message else "body"
    return "body"
