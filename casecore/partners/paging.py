"""Cursor paging for partners: in a stable order (a time, then the id), each page says where the next begins; and
the filters every list shares (a status, a time window)."""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Select, and_, or_

from casecore.errors import InvalidInput

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: its time and id (the next page starts after it)."""

    at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        text = json.dumps([self.at.astimezone(timezone.utc).isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """A cursor given back by a partner; InvalidInput when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            at, row_id = json.loads(raw)
            if not (isinstance(at, str) and isinstance(row_id, str)):
                raise TypeError("a cursor holds two strings")
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                raise ValueError("no zone")
            return cls(moment.astimezone(timezone.utc), uuid.UUID(row_id))
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # JSON's and UTF-8's are ValueErrors
            raise InvalidInput("not a cursor given by this API") from exc


@dataclass(frozen=True)
class ListFilters:
    """What a partner's list asks for: a status, a time window (since included, until not), where the page starts."""

    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: Cursor | None = None


def page_query(query: Select, filters: ListFilters, *, status: Any, at: Any, row_id: Any, limit: int) -> Select:
    """The query narrowed to the filters (status, at and row_id are its columns), in (at, id) order from the
    cursor on, with one row beyond limit: its presence tells that a next page follows."""
    if filters.status:
        query = query.where(status == filters.status)
    if filters.since:
        query = query.where(at >= filters.since)
    if filters.until:
        query = query.where(at < filters.until)
    if filters.after:
        query = query.where(or_(at > filters.after.at, and_(at == filters.after.at, row_id > filters.after.id)))
    return query.order_by(at, row_id).limit(limit + 1)
