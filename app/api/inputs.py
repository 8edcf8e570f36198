"""Reading an API call's query, headers and JSON body against the endpoint's declared schemas."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Mapping

from jsonschema import Draft202012Validator, FormatChecker

from app.api.problems import ApiProblem
from app.api.spec import Endpoint, Param, Registry

_FORMATS = FormatChecker(formats=("date",))


# RFC 3339's date-time (section 5.6) and nothing else, in ASCII digits: the full date, T, the time with its seconds
# (a fraction allowed), then Z or an offset (+hh:mm). datetime.fromisoformat alone takes much more: week dates, the
# basic format (20260301T000000), a time without seconds, a NUL or another control character before the offset.
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})")
ZONED_EXAMPLE = "2026-03-01T00:00:00Z"
# A whole number as a query gives it: a sign and at most 9 digits (int() alone takes "--5"'s cousins such as " 5_0",
# and refuses past 4,300 digits with a ValueError of its own).
_WHOLE = re.compile(r"-?[0-9]{1,9}")


def parse_date_time(text: str) -> datetime:
    """An RFC 3339 date-time with its zone (Z or an offset), as partners send times, in UTC; ValueError saying what
    is wrong otherwise."""
    if not _RFC3339.fullmatch(text):
        if _RFC3339.fullmatch(text + "Z"):
            raise ValueError("a date-time needs its zone (Z or an offset)")
        raise ValueError(f"not an RFC 3339 date-time with its zone, such as {ZONED_EXAMPLE}")
    parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))  # a month 13 or an hour 24: ValueError
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC: no database time holds it.
        raise ValueError("out of the years 1 to 9999 once in UTC") from None


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
        # A lone surrogate (\ud800) is JSON but not text any database can store.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiProblem("invalid-request", "the body holds a lone surrogate (\\ud800 to \\udfff): not text") from None
    except RecursionError:
        raise ApiProblem("invalid-request", "the body is nested too deep") from None
    except ValueError as exc:
        # Not UTF-8, not JSON, or a number of more than 4,300 digits (all ValueErrors).
        raise ApiProblem("invalid-request", f"the body is not JSON: {exc}") from None
    validator = Draft202012Validator(registry.resolve(endpoint.body), format_checker=_FORMATS)
    problems = [{"name": _pointer(error.absolute_path) or _missing(error), "reason": _reason(error)}
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
        if not _WHOLE.fullmatch(text):
            return None, "must be a whole number (at most 9 digits)"
        return int(text), None
    if kind == "boolean":
        if raw not in ("true", "false"):
            return None, "must be true or false"
        return raw == "true", None
    return raw, None


def _first_error(schema: dict[str, Any], value: Any) -> str | None:
    error = next(iter(Draft202012Validator(schema, format_checker=_FORMATS).iter_errors(value)), None)
    return None if error is None else _reason(error)


def _reason(error) -> str:
    """jsonschema's message, and for a format what its own check said was wrong (no zone, out of range)."""
    return f"{error.message}: {error.cause}" if error.cause is not None else error.message


def _pointer(path) -> str:
    return "/".join(str(part) for part in path)


def _missing(error) -> str:
    """For a missing required property, its name (jsonschema reports it on the object holding it)."""
    if error.validator == "required" and isinstance(error.message, str):
        return error.message.split("'")[1] if "'" in error.message else "body"
    return "body"
