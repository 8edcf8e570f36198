"""A fake Primero v2 (CPIMS+) API on 127.0.0.1, strict about the contract in ../shared/primero/README.md.

In a test:
    with FakePrimero() as primero:                      # user relais_api / password "secret", stock lookups
        settings = {"PRIMERO_URL": primero.url, "PRIMERO_USERNAME": "relais_api", ...}
        primero.answer_next(Answer.unavailable())       # the next call gets 503 + Retry-After: 60, then normal
        ...
        primero.cases                                   # {id: the stored case's fields}
        primero.violations                              # what a real Primero would have taken badly: must be []

What it holds to (§0-§4): HTTP Basic of a known user, else 401 {"error": ...} with `WWW-Authenticate: Bearer`;
`Content-Type: application/json` on writes (without it Primero creates an empty case: so does this fake, and it
notes a violation); `POST /api/v2/cases` with a lowercase UUID `data.id` answers 204 and no body, without one 200
and the case; the same id again 409; fields are written only with `module_id` (else dropped, a violation); unknown
fields are dropped (a violation); select fields take only their lookup's values, tick boxes only booleans, date
fields only `YYYY-MM-DD`, text fields only strings that do not look like a date: else 422 "Invalid Record JSON"
with the JSON pointers (a single select's pointer twice, as json_schemer reports its anyOf). `GET /api/v2/cases/:id`
(404 unknown), `GET /api/v2/cases?other_agency_id=...` (exact match; unknown filters ignored), `PATCH
/api/v2/cases/:id` (top-level keys replace), `GET /api/v2/lookups` and `GET /api/v2/locations` (paged, `per` capped
at 1000 for lookups). Scripted answers replace the next calls' answers: an error status (with Retry-After), a hang
(longer than the client's timeout, after the request was read: the case is created), or a dropped connection
after the request was read (the case is created, no answer).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.server import FakeHandler, FakeProvider, ScriptedAnswer

USERNAME = "relais_api"
PASSWORD = "secret"
MODULE = "primeromodule-cp"
_UUID = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_DATE_TIME = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
_CASE = re.compile(r"\A/api/v2/cases/(?P<id>[^/?]+)\Z")

# Stock Primero's seed lookups (§4); a deployment renames values, so a test may pass its own.
STOCK_LOOKUPS: dict[str, list[str]] = {
    "lookup-gender": ["male", "female"],
    "lookup-risk-level": ["high", "medium", "low"],
    "lookup-yes-no": ["true", "false"],
    "lookup-protection-concerns": [
        "sexually_exploited", "gbv_survivor", "trafficked_smuggled", "statelessness", "arrested_detained", "migrant",
        "disabled", "serious_health_issue", "refugee", "caafag", "street_child", "child_mother",
        "physically_or_mentally_abused", "living_with_vulnerable_person", "worst_forms_of_child_labor",
        "child_headed_household", "mentally_distressed", "other"],
    "lookup-service-type": [
        "safehouse_service", "health_medical_service", "psychosocial_service", "police_other_service",
        "legal_assistance_service", "livelihoods_service", "child_protection_service", "family_mediation_service",
        "family_seunification_service", "education_service", "nfi_clothes_shoes_service", "water_sanitation_service",
        "registration_service", "food_service", "other_service"],
}
# The case form fields an API user of the CP module may write, by type (db/configuration/forms/case/*.rb).
SELECTS = {"sex": "lookup-gender", "risk_level": "lookup-risk-level"}
MULTI_SELECTS = {"protection_concerns": "lookup-protection-concerns"}
RADIOS = {"urgent_protection_concern": "lookup-yes-no"}
# Only the fields ../shared/primero/README.md names; an instance's forms hold more, which a test adds when it needs.
TICK_BOXES = {"consent_for_services", "disclosure_other_orgs"}
DATES = {"registration_date", "date_of_birth"}
NUMBERS = {"age"}
TEXTS = {"name", "other_agency_id", "location_current", "owned_by", "case_id_display"}
# Written by Primero itself, or always permitted (§2).
ALWAYS = {"id", "status", "state", "record_state", "module_id", "created_at", "owned_by"}
# Stock locations: a country and two regions with their cercles.
STOCK_LOCATIONS = [
    {"code": "ML", "admin_level": 0, "name": "Mali"},
    {"code": "ML01", "admin_level": 1, "name": "Mali::Kayes"},
    {"code": "ML0101", "admin_level": 2, "name": "Mali::Kayes::Kayes"},
    {"code": "ML02", "admin_level": 1, "name": "Mali::Koulikoro"},
]


@dataclass(frozen=True)
class Answer(ScriptedAnswer):
    """One scripted answer: an error status (with a Retry-After), a delay, or a connection dropped."""

    http_status: int = 0  # 0: answer as Primero would
    retry_after: str | None = None
    delay: float = 0.0
    raw_body: str | None = None
    drop: bool = False

    @classmethod
    def unavailable(cls) -> "Answer":
        """503 while an administrator loads configuration (§0), Retry-After: 60."""
        return cls(http_status=503, retry_after="60")

    @classmethod
    def server_error(cls) -> "Answer":
        """500, any other exception (§0)."""
        return cls(http_status=500)

    @classmethod
    def throttled(cls) -> "Answer":
        """429 from Rack::Attack (§1): text/plain `Retry later`."""
        return cls(http_status=429, raw_body="Retry later\n")

    @classmethod
    def forbidden(cls) -> "Answer":
        """403: the role may not do this (§2)."""
        return cls(http_status=403)

    @classmethod
    def dropped(cls) -> "Answer":
        """Read the request and act on it, then close the connection without answering."""
        return cls(drop=True)


@dataclass
class Instance:
    """What a Primero instance is configured with: users, lookups, locations."""

    users: dict[str, str] = field(default_factory=lambda: {USERNAME: PASSWORD})
    lookups: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in STOCK_LOOKUPS.items()})
    locations: list[dict[str, Any]] = field(default_factory=lambda: [dict(x) for x in STOCK_LOCATIONS])
    user_names: set[str] = field(default_factory=lambda: {USERNAME, "cp_worker", "cp_supervisor"})
    # Text fields an instance's forms add to the ones the contract names (a deployment's own fields).
    texts: set[str] = field(default_factory=set)


class FakePrimero(FakeProvider):
    """Primero's API v2 for cases, lookups and locations; cases kept in memory."""

    answer_class = Answer
    name = "Primero"
    short_name = "Primero"

    def __init__(self, instance: Instance | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.instance = instance or Instance()
        self.cases: dict[str, dict[str, Any]] = {}
        self.violations: list[str] = []

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.cases.clear()
            self.violations.clear()

    def add_case(self, **fields: Any) -> str:
        """A case created in Primero by someone else (its id)."""
        case_id = str(uuid.uuid4())
        self.cases[case_id] = _new_case(case_id, fields, self.instance.user_names, USERNAME)
        return case_id

    def violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _new_case(case_id: str, fields: dict[str, Any], user_names: set[str], api_user: str) -> dict[str, Any]:
    unique_identifier = str(uuid.uuid4())
    short_id = unique_identifier[-7:]
    case = {"id": case_id, "enabled": True, "status": "open", "record_state": True, "workflow": "new",
            "registration_date": datetime.now(timezone.utc).date().isoformat(), "unique_identifier": unique_identifier,
            "short_id": short_id, "case_id": unique_identifier, "case_id_display": short_id,
            "created_at": _now(), "last_updated_at": _now(), "owned_by": api_user}
    case.update(fields)
    if case.get("owned_by") not in user_names:
        case["owned_by"] = None  # an unknown user name reverts owned_by to nil on create (§2)
    return case


class PrimeroHandler(FakeHandler):
    """Answers Primero's API v2 paths; control endpoints as every fake."""

    fake: FakePrimero
    listings = {"/_fake/requests": "requests", "/_fake/cases": "cases", "/_fake/violations": "violations"}

    def do_GET(self) -> None:
        if self.path.startswith("/_fake/"):
            return super().do_GET()
        self._api("GET", "")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        if self.path.startswith("/_fake/"):
            return self._control(raw)
        self._api("POST", raw)

    def do_PATCH(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        self._api("PATCH", raw)

    # -- the API ---------------------------------------------------------------------------------------------
    def _api(self, method: str, raw: str) -> None:
        path, _, query = self.path.partition("?")
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        user = self._user()
        self.fake._record({"method": method, "path": path, "params": params, "user": user,
                           "content_type": self.headers.get("Content-Type", ""), "body": raw})
        answer = self.fake._take_answer()
        if user is None:
            return self._unauthorised()
        if answer.http_status:
            return self._scripted(answer)
        if answer.drop or answer.delay:
            self._route(method, path, params, raw)  # Primero acts, but the answer never comes (in time)
            if answer.drop:
                self.close_connection = True
                return
            return self._reply(answer, *self._last)
        self._send(*self._route(method, path, params, raw))

    def _route(self, method: str, path: str, params: dict[str, str], raw: str) -> tuple[int, str, str]:
        if method == "POST" and path == "/api/v2/cases":
            result = self._create(raw, path)
        elif method == "GET" and path == "/api/v2/cases":
            result = self._list(params)
        elif (match := _CASE.match(path)) and method == "GET":
            result = self._show(match["id"], path)
        elif match and method == "PATCH":
            result = self._update(match["id"], raw, path)
        elif method == "GET" and path == "/api/v2/lookups":
            result = self._lookups(params)
        elif method == "GET" and path == "/api/v2/locations":
            result = self._locations(params)
        else:
            result = _error(404, path, "Not Found")
        self._last = result
        return result

    def _body(self, raw: str) -> dict[str, Any]:
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            self.fake.violation(f"{self.command} {self.path} without Content-Type: application/json")
            return {}
        try:
            body = json.loads(raw or "{}")
        except ValueError:
            return {}
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    def _create(self, raw: str, path: str) -> tuple[int, str, str]:
        data = self._body(raw)
        client_id = data.get("id")
        if client_id is not None and not (isinstance(client_id, str) and _UUID.match(client_id)):
            return _invalid(path, ["/id"])
        pointers = self._validate(data)
        if pointers:
            return _invalid(path, pointers)
        fields = self._permitted(data)
        case_id = client_id or str(uuid.uuid4())
        with self.fake._lock:
            if case_id in self.fake.cases:
                return _json(409, {"errors": [{"status": 409, "resource": path,
                                               "message": "Conflict: A record with this id already exists"}]})
            case = _new_case(case_id, fields, self.fake.instance.user_names, self.fake_user)
            self.fake.cases[case_id] = case
        if client_id:
            return 204, "", "application/json"
        return _json(200, {"data": case})

    def _show(self, case_id: str, path: str) -> tuple[int, str, str]:
        case = self.fake.cases.get(case_id)
        if case is None:
            return _error(404, path, "Not Found", f"Couldn't find Child with 'id'={case_id}")
        return _json(200, {"data": case})

    def _list(self, params: dict[str, str]) -> tuple[int, str, str]:
        rows = list(self.fake.cases.values())
        for name in ("other_agency_id", "short_id", "case_id_display", "status", "owned_by"):
            if name in params:
                wanted = set(params[name].split(","))
                rows = [row for row in rows if str(row.get(name)) in wanted]
        page, per = int(params.get("page", 1)), min(int(params.get("per", 20)), 1000)
        chunk = rows[(page - 1) * per: page * per]
        return _json(200, {"data": chunk, "metadata": {"total": len(rows), "per": per, "page": page}})

    def _update(self, case_id: str, raw: str, path: str) -> tuple[int, str, str]:
        case = self.fake.cases.get(case_id)
        if case is None:
            return _error(404, path, "Not Found", f"Couldn't find Child with 'id'={case_id}")
        data = self._body(raw)
        pointers = self._validate(data)
        if pointers:
            return _invalid(path, pointers)
        fields = self._permitted({**data, "module_id": case.get("module_id")})
        fields.pop("id", None)
        changed = {k: v for k, v in fields.items() if case.get(k) != v}
        case.update(changed)
        case["last_updated_at"] = _now()
        return _json(200, {"data": {"id": case_id, "enabled": True, **changed,
                                    "last_updated_at": case["last_updated_at"]}})

    def _lookups(self, params: dict[str, str]) -> tuple[int, str, str]:
        rows = [{"id": n, "unique_id": unique_id, "name": {"en": unique_id.removeprefix("lookup-"), "fr": ""},
                 "locked": False, "values": [{"id": value, "display_text": {"en": value, "fr": ""}}
                                             for value in values]}
                for n, (unique_id, values) in enumerate(self.fake.instance.lookups.items(), 1)]
        page, per = int(params.get("page", 1)), min(int(params.get("per", 20)), 1000)
        return _json(200, {"data": rows[(page - 1) * per: page * per],
                           "metadata": {"total": len(rows), "per": per, "page": page}})

    def _locations(self, params: dict[str, str]) -> tuple[int, str, str]:
        rows = [{"id": n, "code": row["code"], "type": "region", "disabled": False, "admin_level": row["admin_level"],
                 "name": {"en": row["name"]}} for n, row in enumerate(self.fake.instance.locations, 1)]
        page, per = int(params.get("page", 1)), int(params.get("per", 100))
        return _json(200, {"data": rows[(page - 1) * per: page * per],
                           "metadata": {"total": len(rows), "per": per, "page": page}})

    # -- the contract's rules --------------------------------------------------------------------------------
    def _validate(self, data: dict[str, Any]) -> list[str]:
        """JSON pointers of the values Primero's schema refuses (§2); empty when the record is valid."""
        lookups = self.fake.instance.lookups
        pointers: list[str] = []
        for name, value in data.items():
            if value is None:
                continue
            if name in SELECTS and value not in lookups[SELECTS[name]]:
                pointers += [f"/{name}", f"/{name}"]
            elif name in RADIOS and value not in (True, False, *lookups[RADIOS[name]]):
                pointers += [f"/{name}", f"/{name}"]
            elif name in MULTI_SELECTS:
                if not isinstance(value, list):
                    continue  # the wrong shape is dropped, not refused
                pointers += [f"/{name}/{i}" for i, v in enumerate(value) if v not in lookups[MULTI_SELECTS[name]]]
            elif name in TICK_BOXES and not isinstance(value, bool):
                pointers.append(f"/{name}")
            elif name in DATES and not (isinstance(value, str) and _DATE.match(value)):
                pointers.append(f"/{name}")
            elif name == "created_at" and not (isinstance(value, str) and _DATE_TIME.match(value)):
                pointers.append(f"/{name}")
            elif name in NUMBERS and not (isinstance(value, int) and not isinstance(value, bool)):
                pointers.append(f"/{name}")
            elif name in TEXTS | self.fake.instance.texts and (
                    not isinstance(value, str) or _DATE.match(value) or _DATE_TIME.match(value)):
                pointers.append(f"/{name}")
            elif name == "module_id" and value != MODULE:
                pointers.append(f"/{name}")
        return pointers

    def _permitted(self, data: dict[str, Any]) -> dict[str, Any]:
        """What Primero keeps: the form fields only with module_id, the always-permitted ones; the rest dropped."""
        form_fields = (set(SELECTS) | set(MULTI_SELECTS) | set(RADIOS) | TICK_BOXES | DATES | NUMBERS | TEXTS
                       | self.fake.instance.texts)
        kept = {}
        for name, value in data.items():
            if name in ALWAYS:
                kept[name] = value
            elif name in form_fields and data.get("module_id"):
                if name in MULTI_SELECTS and not isinstance(value, list):
                    self.fake.violation(f"{name}: a multi-select needs a list (dropped)")
                    continue
                kept[name] = value
            elif name in form_fields:
                self.fake.violation(f"{name} sent without module_id (dropped)")
            else:
                self.fake.violation(f"{name} is not a field of the case form (dropped)")
        return kept

    # -- authentication and scripted failures ----------------------------------------------------------------
    @property
    def fake_user(self) -> str:
        return self._user() or ""

    def _user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return name if self.fake.instance.users.get(name) == password else None

    def _unauthorised(self) -> None:
        message = ("Invalid User name or password." if self.headers.get("Authorization")
                   else "You need to sign in or sign up before continuing.")
        data = json.dumps({"error": message}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("WWW-Authenticate", 'Bearer realm="Primero" charset="UTF8"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _scripted(self, answer: Answer) -> None:
        path = urlsplit(self.path).path
        if answer.raw_body is not None:
            body, content_type = answer.raw_body, "text/plain"
        else:
            message = {403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable"}.get(
                answer.http_status, "Error")
            detail = f"Retry-After: {answer.retry_after}" if answer.retry_after else None
            body, content_type = _error(answer.http_status, path, message, detail)[1:]
        data = body.encode()
        self.send_response(answer.http_status)
        self.send_header("Content-Type", content_type)
        if answer.retry_after:
            self.send_header("Retry-After", answer.retry_after)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _json(status: int, body: dict[str, Any]) -> tuple[int, str, str]:
    return status, json.dumps(body), "application/json"


def _error(status: int, resource: str, message: str, detail: Any = None) -> tuple[int, str, str]:
    entry: dict[str, Any] = {"status": status, "resource": resource, "message": message}
    if detail:
        entry["detail"] = detail
    return _json(status, {"errors": [entry]})


def _invalid(resource: str, pointers: list[str]) -> tuple[int, str, str]:
    return _json(422, {"errors": [{"status": 422, "resource": resource, "detail": pointers,
                                   "message": "Invalid Record JSON"}]})


FakePrimero.handler_class = PrimeroHandler
