"""DHIS2's Web API for aggregate data: POST /api/dataValueSets with HTTP Basic, and its import summary, in the
shape DHIS2 2.38 and later wrap it (a WebMessage whose `response` is the ImportSummary) or older ones give it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class ImportSummary:
    """What DHIS2 did with a dataValueSet: its status and counts, and the conflicts it named."""

    status: str
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: tuple[str, ...] = field(default_factory=tuple)


class Dhis2Error(Exception):
    """DHIS2 could not be reached, refused the account, or answered something that is not an import summary."""


def push_data_values(base_url: str, username: str, password: str, body: dict[str, Any],
                     timeout: float = DEFAULT_TIMEOUT) -> ImportSummary:
    """Send a dataValueSet and return DHIS2's import summary; Dhis2Error when there is none."""
    try:
        response = requests.post(f"{base_url.rstrip('/')}/api/dataValueSets", json=body, auth=(username, password),
                                 timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise Dhis2Error(f"DHIS2 at {base_url} did not answer ({exc.__class__.__name__})") from None
    if response.status_code in (401, 403):
        raise Dhis2Error(f"DHIS2 refused the account (HTTP {response.status_code})")
    try:
        answer = response.json()
    except ValueError:
        raise Dhis2Error(f"DHIS2 answered HTTP {response.status_code} with no import summary") from None
    summary = answer.get("response", answer) if isinstance(answer, dict) else {}
    counts = summary.get("importCount") if isinstance(summary, dict) else None
    if not isinstance(counts, dict):
        raise Dhis2Error(f"DHIS2 answered HTTP {response.status_code} with no import summary")
    conflicts = tuple(f"{c.get('object', '')}: {c.get('value', '')}".strip(": ")
                      for c in summary.get("conflicts") or [] if isinstance(c, dict))
    return ImportSummary(str(summary.get("status", "")), *(int(counts.get(k, 0) or 0) for k in
                                                          ("imported", "updated", "ignored", "deleted")), conflicts)
