"""Primero's API v2 (../shared/primero/README.md) as plain calls: create a case under an id we choose, read it back,
find cases by the Relais reference, and read the instance's lookups and locations.

Every call authenticates with HTTP Basic (§1: no session, no CSRF) and sends JSON with its Content-Type (§0:
without it Primero creates an empty case). Creating never raises: it answers what Primero did, in the terms the
hand-off needs to decide what comes next (CreateOutcome). Reads raise PrimeroUnavailable when Primero cannot answer
now and PrimeroRefused when it never will (401, 403).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from channels.http import never_sent, retry_after

log = logging.getLogger(__name__)

API = "/api/v2"
# Lookups and cases come 1,000 at most a page (§3, §4); locations have no cap, but pages keep answers small.
PAGE_SIZE = 1000
DEFAULT_TIMEOUT = 20.0

CREATED = "created"  # 200 or 204: the case exists now, under the id we gave
ALREADY_THERE = "already_there"  # 409: a case with that id was created before (by an earlier try)
INVALID = "invalid"  # 422: a value the instance refuses; sending it again changes nothing
NOT_AUTHORISED = "not_authorised"  # 401 or 403: the account or its role; configuration, not data
TRY_LATER = "try_later"  # surely not created: no connection, 429, 5xx, 503 while configuration loads
UNKNOWN = "unknown"  # may have been created: a timeout or a connection lost after the request went out


@dataclass(frozen=True)
class CreateOutcome:
    """What came of creating a case: one of the kinds above, with what explains it (never the child's data)."""

    kind: str
    reason: str = ""
    # 422: the JSON pointers (or attribute names) Primero named, each once, in its order.
    fields: tuple[str, ...] = ()
    retry_after: float | None = None
    case: dict[str, Any] = field(default_factory=dict)


class PrimeroUnavailable(Exception):
    """Primero did not answer a read now (no connection, timeout, 429, 5xx, 503): try again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PrimeroInvalid(Exception):
    """Primero refused a value (422): the JSON pointers or attribute names it gave."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        super().__init__("Primero refused: " + (", ".join(fields) or "the record"))
        self.fields = fields


class PrimeroRefused(Exception):
    """Primero refused the account (401) or the role (403): nothing will work until the configuration changes.
    status: the HTTP status (a 403 on one case may only mean the case left the account's scope)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Lookup:
    """An instance's list of values: the ids a select field takes, the disabled ones apart."""

    unique_id: str
    values: frozenset[str]
    disabled: frozenset[str] = frozenset()


class PrimeroClient:
    """One Primero instance, as one API user."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = (username, password)
        self.timeout = timeout
        self.http = session or requests.Session()

    # -- writes ----------------------------------------------------------------------------------------------
    def create_case(self, case_id: uuid.UUID, fields: dict[str, Any]) -> CreateOutcome:
        """Create the case under case_id (a repeat is ALREADY_THERE, never a second case)."""
        body = {"data": {**fields, "id": str(case_id).lower()}}
        try:
            response = self.http.post(self._url("/cases"), json=body, auth=self.auth, timeout=self.timeout,
                                      headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            if never_sent(exc):
                return CreateOutcome(TRY_LATER, f"no connection ({exc.__class__.__name__})")
            if isinstance(exc, requests.Timeout):
                return CreateOutcome(UNKNOWN, "no answer in time")
            return CreateOutcome(UNKNOWN, f"connection lost ({exc.__class__.__name__})")
        status = response.status_code
        if status in (200, 201, 204):
            try:
                case = _data(response) if status != 204 else {}
            except PrimeroUnavailable:
                case = {}  # created all the same: the case is read back by its id when needed
            return CreateOutcome(CREATED, case=case or {})
        if status == 409:
            return CreateOutcome(ALREADY_THERE, "a case with this id exists")
        if status == 422:
            fields_named = _invalid_fields(response)
            return CreateOutcome(INVALID, "Primero refused: " + (", ".join(fields_named) or "the record"),
                                 fields=fields_named)
        if status in (401, 403):
            return CreateOutcome(NOT_AUTHORISED, _refusal(response))
        if status == 429 or status >= 500:
            return CreateOutcome(TRY_LATER, f"HTTP {status}", retry_after=retry_after(response.headers))
        # Any other answer (a 404 from a wrong base URL, a proxy's 400) is a configuration to fix, not data.
        return CreateOutcome(NOT_AUTHORISED, f"unexpected HTTP {status} from {self.base_url}")

    def update_case(self, case_id: uuid.UUID | str, fields: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH the case (top-level keys replace; subform rows merge by unique_id, §3): what changed, or None when
        Primero has no such case. Raises PrimeroUnavailable / PrimeroRefused, and PrimeroInvalid on a 422."""
        try:
            response = self.http.patch(self._url(f"/cases/{str(case_id).lower()}"), json={"data": fields},
                                       auth=self.auth, timeout=self.timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise PrimeroUnavailable(f"no answer ({exc.__class__.__name__})") from None
        if response.status_code == 404:
            return None
        if response.status_code == 422:
            raise PrimeroInvalid(_invalid_fields(response))
        return _data(self._check(response))

    # -- reads -----------------------------------------------------------------------------------------------
    def get_case(self, case_id: uuid.UUID | str) -> dict[str, Any] | None:
        """The case's readable fields, or None when Primero has no case with that id."""
        response = self._get(f"/cases/{str(case_id).lower()}", {})
        if response.status_code == 404:
            return None
        return _data(self._check(response))

    def cases_with_reference(self, reference: str) -> list[dict[str, Any]]:
        """The cases whose other_agency_id is this Relais reference (an exact match, §3)."""
        response = self._check(self._get("/cases", {"other_agency_id": reference, "per": PAGE_SIZE}))
        rows = _data(response)
        # An unknown filter is ignored silently (§3): keep only what really matches.
        return [row for row in rows if row.get("other_agency_id") == reference]

    def cases_by_ids(self, case_ids: list[uuid.UUID | str]) -> list[dict[str, Any]]:
        """The cases with these ids that Primero holds and the account may read (IdFilter, §3); at most PAGE_SIZE."""
        wanted = {str(case_id).lower() for case_id in case_ids}
        if not wanted:
            return []
        response = self._check(self._get("/cases", {"id": ",".join(sorted(wanted)), "per": PAGE_SIZE}))
        # An ignored filter answers the whole list: keep only the cases asked for.
        return [row for row in _data(response) or [] if str(row.get("id", "")).lower() in wanted]

    def lookups(self) -> dict[str, Lookup]:
        """Every lookup of the instance, by unique_id."""
        found: dict[str, Lookup] = {}
        for row in self._pages("/lookups"):
            values = row.get("values") or []
            found[row["unique_id"]] = Lookup(
                row["unique_id"], frozenset(v["id"] for v in values if not v.get("disabled")),
                frozenset(v["id"] for v in values if v.get("disabled")))
        return found

    def location_codes(self) -> set[str]:
        """The codes of the instance's enabled locations."""
        return {row["code"] for row in self._pages("/locations") if not row.get("disabled")}

    # -- plumbing --------------------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base_url}{API}{path}"

    def _get(self, path: str, params: dict[str, Any]) -> requests.Response:
        try:
            return self.http.get(self._url(path), params=params, auth=self.auth, timeout=self.timeout,
                                 headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise PrimeroUnavailable(f"no answer ({exc.__class__.__name__})") from None

    def _check(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status in (401, 403):
            raise PrimeroRefused(_refusal(response), status)
        if status == 429 or status >= 500:
            raise PrimeroUnavailable(f"HTTP {status}", retry_after(response.headers))
        if status != 200:
            raise PrimeroRefused(f"unexpected HTTP {status} from {self.base_url}")
        return response

    def _pages(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self._check(self._get(path, {"page": page, "per": PAGE_SIZE}))
            body = response.json()
            chunk = body.get("data") or []
            rows += chunk
            total = (body.get("metadata") or {}).get("total", len(rows))
            if not chunk or len(rows) >= total:
                return rows
            page += 1


def _data(response: requests.Response) -> Any:
    try:
        return response.json().get("data")
    except (ValueError, AttributeError):
        raise PrimeroUnavailable("an answer that is not Primero's JSON") from None


def _invalid_fields(response: requests.Response) -> tuple[str, ...]:
    """The fields a 422 names: json_schemer's pointers (a select's twice) or a model error's attribute, each once."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return ()
    named: list[str] = []
    for error in errors:
        detail = error.get("detail")
        for item in detail if isinstance(detail, list) else [detail] if detail else []:
            if str(item) not in named:
                named.append(str(item))
    return tuple(named)


def _refusal(response: requests.Response) -> str:
    """Why Primero refused the account or the role, as it says it (401's shape is not the other errors', §1)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    message = body.get("error") if isinstance(body, dict) else None
    if not message and isinstance(body, dict) and body.get("errors"):
        message = body["errors"][0].get("message")
    return f"HTTP {response.status_code}: {message or 'refused'}"
