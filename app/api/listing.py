"""What the list endpoints (/reports, /cases) share: their query parameters and page schema, the filters and
cursor read from a call, and the link to the next page."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable
from urllib.parse import urlencode

from flask import request

from app.api.calls import Call
from app.api.inputs import parse_date_time
from app.api.problems import ApiProblem
from app.api.registry import API
from app.api.spec import NULLABLE_TEXT, Param
from casecore.errors import InvalidInput
from casecore.partners.paging import DEFAULT_LIMIT, MAX_LIMIT, Cursor, ListFilters


def list_params(noun: str, statuses: Iterable[str], moment: str) -> tuple[Param, ...]:
    """The query of a list of noun: a status among statuses, a window on the time that orders it (moment says what
    happened then: Received, Opened), limit and cursor."""
    return (
        Param("status", {"type": "string", "enum": list(statuses)}, f"Only {noun} in this status."),
        Param("since", {"type": "string", "format": "date-time"}, f"{moment} at or after this time (RFC 3339, zoned)."),
        Param("until", {"type": "string", "format": "date-time"}, f"{moment} before this time (RFC 3339, zoned)."),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
              f"At most this many (1 to {MAX_LIMIT})."),
        Param("cursor", {"type": "string", "minLength": 1, "maxLength": 200}, "From a page's next link."),
    )


def page_schema(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """A named schema for a page of items, with the link to the next one."""
    return API.schema(name, {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next": {**NULLABLE_TEXT, "description": "The next page's URL (the same filters), or null on the last."},
        },
    })


def list_filters(call: Call) -> tuple[ListFilters, int]:
    """The filters of a list call (already checked against its parameters) and its limit; a cursor that is not
    one of ours is a 422 naming it."""
    query = call.query
    try:
        after = Cursor.decode(query["cursor"]) if "cursor" in query else None
    except InvalidInput as exc:
        raise ApiProblem("invalid-request", str(exc), [{"name": "cursor", "reason": str(exc)}]) from None
    return ListFilters(status=query.get("status"), since=_moment(query.get("since")),
                       until=_moment(query.get("until")), after=after), query.get("limit", DEFAULT_LIMIT)


def next_link(cursor: Cursor) -> str:
    """This request's URL (its filters kept) with the cursor of the page after it."""
    args = {name: value for name, value in request.args.items() if name != "cursor"}
    args["cursor"] = cursor.encode()
    return f"{request.base_url}?{urlencode(args)}"


def _moment(text: str | None) -> datetime | None:
    return None if text is None else parse_date_time(text)
