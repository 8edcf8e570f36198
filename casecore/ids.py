"""Record ids as they arrive from URLs, jobs and forms: text that must be a UUID."""
from __future__ import annotations

import uuid

from casecore.errors import NotFound


def parse_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    """value as a UUID; NotFound naming what was looked for when it is not one (it cannot exist)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} {value!r} does not exist") from None
