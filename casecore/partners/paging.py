"""Cursor paging for partners: in a stable order (a time, then the id), each page says where the next begins."""
from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

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
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                raise ValueError("no zone")
            return cls(moment.astimezone(timezone.utc), uuid.UUID(row_id))
        except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput("not a cursor given by this API") from exc

