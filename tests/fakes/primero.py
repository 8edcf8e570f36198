"""A fake Primero v2 (CPIMS+) API on 127.0.0.1, strict about the contract in ../shared/primero/README.md.

In a test:
    with FakePrimero() as primero:                      # user relais_api / password "secret", stock lookups
        settings = {"PRIMERO_URL": primero.url, "PRIMERO_USERNAME": "relais_api", ...}
        primero.answer_next(Answer.unavailable())       # the next call gets 503 + Retry-After: 60, then normal
        ...
        primero.cases                                   # {id: the stored case's fields}
        primero.violations                              # what a real Primero would have taken badly: must be []

What it holds to (§0-§4, §6): HTTP Basic of a known user, else 401 {"error": ...} with `WWW-Authenticate: Bearer`;
`Content-Type: application/json` on writes (without it Primero creates an empty case: so does this fake, and it
notes a violation); `POST /api/v2/cases` with a lowercase UUID `data.id` answers 204 and no body, without one 200
and the case; the same id again 409; fields are written only with `module_id` (else dropped, a violation); unknown
fields are dropped (a violation), and so are a non-list for a multi-select or subform and a subform row's unknown
keys; select fields take only their lookup's values (closure_reason its fixed options), tick boxes only booleans,
date fields only `YYYY-MM-DD`, text fields only strings that do not look like a date (a textarea any string): else
422 "Invalid Record JSON" with the JSON pointers (a single select's pointer twice, as json_schemer reports its
anyOf; a subform row's `/notes_section/0/note_date`, and `/notes_section/0/unique_id` for a row without a
lowercase UUID). `GET /api/v2/cases/:id` (404 unknown; `?fields=a,b` narrows to those and id), `GET
/api/v2/cases?other_agency_id=...` (exact match, also `id=a,b`, short_id, case_id_display, status, owned_by;
unknown filters ignored), `PATCH /api/v2/cases/:id` (top-level keys replace; subform rows merge on unique_id,
new rows are appended, rows with `"_destroy": true` removed — but a list the case does not have yet is stored as
given, `_destroy` rows and all, as Primero's merge does with nothing to merge into; the answer holds id, enabled,
the changed fields and last_updated_at; `mark_synced`, `mark_synced_url`, `mark_synced_status` are stripped and
set `sync_status` and `synced_at`, and that is an update too), `GET /api/v2/lookups` and `GET /api/v2/locations`
(paged, `per` capped at 1000 for lookups). `last_updated_at` grows strictly with every change of a case, by 1 ms
at least.

Webhooks (§6), with `Instance(webhook_url=..., webhook_key=...)`: every creation and every update (any PATCH, and
the helpers close_case, reopen_case, reassign, update_case that act as a user of Primero's web UI) queues the body
Primero would POST in `fake.pending_webhooks`; `fake.deliver_webhooks()` sends them (or `order=[2, 0, 0]`: those,
out of order or twice) with Primero's headers and no retry, and keeps each outcome in `fake.delivered_webhooks`.
With `webhook_auto=True` a background thread sends each one as soon as it is queued; `fake.wait_for_webhooks(n)`.

Scripted answers replace the next calls' answers: an error status (with Retry-After), a hang (longer than the
client's timeout, after the request was read: the case is created), or a dropped connection after the request was
read (the case is created, no answer).
"""
from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests

from tests.fakes.server import FakeHandler, FakeProvider, ScriptedAnswer

USERNAME = "relais_api"
PASSWORD = "secret"
MODULE = "primeromodule-cp"
HOSTNAME = "primero.test"  # PRIMERO_HOST, as a webhook names it
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
    "lookup-protection-status": ["unaccompanied", "separated"],
    "lookup-family-relationship": [
        "mother", "father", "aunt", "uncle", "grandmother", "grandfather", "brother", "sister", "husband", "wife",
        "partner", "other_family", "other_nonfamily"],
}
# The case form fields an API user of the CP module may write, by type (db/configuration/forms/case/*.rb).
SELECTS = {"sex": "lookup-gender", "risk_level": "lookup-risk-level", "protection_status": "lookup-protection-status"}
CLOSURE_REASONS = ["death_of_child", "formal_closing", "not_seen_during_verification", "repatriated", "transferred",
                   "other"]
OPTION_SELECTS = {"closure_reason": CLOSURE_REASONS}  # selects with options in the form, not a lookup
MULTI_SELECTS = {"protection_concerns": "lookup-protection-concerns"}
RADIOS = {"urgent_protection_concern": "lookup-yes-no"}
# Only the fields ../shared/primero/README.md names; an instance's forms hold more, which a test adds when it needs.
TICK_BOXES = {"consent_for_services", "disclosure_other_orgs", "estimated"}
DATES = {"registration_date", "date_of_birth", "date_closure"}
NUMBERS = {"age"}
TEXTS = {"name", "other_agency_id", "other_agency_name", "location_current", "owned_by", "case_id_display",
         "name_first", "name_middle", "name_last", "name_nickname", "name_other"}
TEXTAREAS = {"address_current"}
# Subforms: each row's fields by kind (a lookup's id for a select of it, "options:a,b" for a select of the form's own
# options, "location" for a Location select: not enum-checked); every row also has unique_id (a lowercase UUID) and
# _destroy (a boolean). db/configuration/forms/case/{notes,family_details,services,tracing}.rb.
SUBFORMS: dict[str, dict[str, str]] = {
    "notes_section": {"note_date": "date", "note_subject": "text", "note_text": "textarea"},
    "family_details_section": {"relation": "lookup-family-relationship", "relation_name": "text",
                               "relation_is_caregiver": "tick", "relation_telephone": "text"},
    "services_section": {"service_type": "lookup-service-type", "service_implemented_day_time": "datetime",
                         "service_referral_notes": "textarea"},
    "tracing_actions_section": {"date_tracing": "date", "location_tracing": "location", "address_tracing": "textarea",
                                "tracing_action_description": "text",
                                "tracing_outcome": "options:pending,successful,unsuccessful,yes"},
}
# Written by Primero itself, or always permitted (§2).
ALWAYS = {"id", "status", "state", "record_state", "module_id", "created_at", "owned_by"}
# Permitted with sync_external, which the API user is assumed to have (§6); stripped from the stored case.
SYNC = {"mark_synced": "bool", "mark_synced_url": "string", "mark_synced_status": "string"}
# Stock locations: a country and two regions with their cercles.
STOCK_LOCATIONS = [
    {"code": "ML", "admin_level": 0, "name": "Mali"},
    {"code": "ML01", "admin_level": 1, "name": "Mali::Kayes"},
    {"code": "ML0101", "admin_level": 2, "name": "Mali::Kayes::Kayes"},
    {"code": "ML02", "admin_level": 1, "name": "Mali::Koulikoro"},
]
# What Faraday sends besides the body (app/services/api_connector/connection.rb, Gemfile.lock's Faraday).
WEBHOOK_HEADERS = {"Content-Type": "application/json", "cache-control": "no-cache", "User-Agent": "Faraday v2.14.3"}


@dataclass(frozen=True)
class Answer(ScriptedAnswer):
    """One scripted answer: an error status (with a Retry-After), a delay, or a connection dropped."""

    http_status: int = 0  # 0: answer as Primero would
    retry_after: str | None = None
    delay: float = 0.0
    raw_body: str | None = None
    drop: bool = False

    @classmethod
    def unavailable(cls) -> Answer:
        """503 while an administrator loads configuration (§0), Retry-After: 60."""
        return cls(http_status=503, retry_after="60")

    @classmethod
    def server_error(cls) -> Answer:
        """500, any other exception (§0)."""
        return cls(http_status=500)

    @classmethod
    def throttled(cls) -> Answer:
        """429 from Rack::Attack (§1): text/plain `Retry later`."""
        return cls(http_status=429, raw_body="Retry later\n")

    @classmethod
    def forbidden(cls) -> Answer:
        """403: the role may not do this (§2)."""
        return cls(http_status=403)

    @classmethod
    def dropped(cls) -> Answer:
        """Read the request and act on it, then close the connection without answering."""
        return cls(drop=True)


@dataclass
class Instance:
    """What a Primero instance is configured with: users, lookups, locations, a webhook."""

    users: dict[str, str] = field(default_factory=lambda: {USERNAME: PASSWORD})
    lookups: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in STOCK_LOOKUPS.items()})
    locations: list[dict[str, Any]] = field(default_factory=lambda: [dict(x) for x in STOCK_LOCATIONS])
    user_names: set[str] = field(default_factory=lambda: {USERNAME, "cp_worker", "cp_supervisor"})
    # Text fields an instance's forms add to the ones the contract names (a deployment's own fields).
    texts: set[str] = field(default_factory=set)
    # The webhook an admin registered for case.create and case.update (auth_type api_key); None: no webhook.
    webhook_url: str | None = None
    webhook_key: str = ""
    webhook_auto: bool = False  # send each webhook as soon as it is queued, from a background thread


class FakePrimero(FakeProvider):
    """Primero's API v2 for cases, lookups and locations; cases kept in memory; webhooks queued, sent on demand."""

    answer_class = Answer
    name = "Primero"
    short_name = "Primero"

    def __init__(self, instance: Instance | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.instance = instance or Instance()
        self.cases: dict[str, dict[str, Any]] = {}
        self.violations: list[str] = []
        self.pending_webhooks: list[dict[str, Any]] = []  # bodies queued, not sent yet
        self.delivered_webhooks: list[dict[str, Any]] = []  # {"body", "status"}: status 0 when it did not connect
        self._courier: threading.Thread | None = None

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.cases.clear()
            self.violations.clear()
            self.pending_webhooks.clear()
            self.delivered_webhooks.clear()

    def stop(self) -> None:
        """Stop listening and the webhook thread; a webhook being sent is left to finish on its own."""
        super().stop()
        with self._lock:
            self._lock.notify_all()
        if self._courier is not None:
            self._courier.join(timeout=1.0)  # a receiver that hangs must not hold up stop()

    def add_case(self, **fields: Any) -> str:
        """A case created in Primero by someone else (its id)."""
        case_id = str(uuid.uuid4())
        with self._lock:
            self.cases[case_id] = _new_case(case_id, fields, self.instance.user_names, USERNAME)
            self._queue_webhook(case_id)
        return case_id

    def violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    # -- a user of Primero's web UI --------------------------------------------------------------------------
    def close_case(self, case_id: str, reason: str = "formal_closing") -> None:
        """Close the case, as a case worker does: status closed, closure_reason, date_closure today."""
        if reason not in CLOSURE_REASONS:
            raise ValueError(f"{reason!r} is not a closure_reason option")
        # Primero's workflow follows the status (app/models/concerns/workflow.rb).
        self.update_case(case_id, status="closed", closure_reason=reason, date_closure=_today(), workflow="closed")

    def reopen_case(self, case_id: str) -> None:
        """Reopen a closed case: status open, case_status_reopened."""
        self.update_case(case_id, status="open", case_status_reopened=True, workflow="reopened")

    def reassign(self, case_id: str, user_name: str) -> None:
        """Give the case to another user of the instance: owned_by, and assigned_user_names holding them."""
        if user_name not in self.instance.user_names:
            raise ValueError(f"{user_name!r} is not a user of the instance")
        with self._lock:
            assigned = list(self.cases[case_id].get("assigned_user_names") or [])
            self.update_case(case_id, owned_by=user_name,
                             assigned_user_names=assigned if user_name in assigned else [*assigned, user_name])

    def update_case(self, case_id: str, **fields: Any) -> None:
        """Change fields of a case (KeyError for an unknown one), with the merge rules of a PATCH: an update."""
        with self._lock:
            self._change(case_id, fields)

    # -- webhooks --------------------------------------------------------------------------------------------
    def snapshot(self, case_id: str) -> dict[str, Any]:
        """The body a webhook for this case would carry now (§6): its fields but id, named by record_id."""
        with self._lock:
            case = copy.deepcopy(self.cases[case_id])
        fields = {k: v for k, v in case.items() if k not in ("id", "last_updated_at")}
        return {"data": {"record_id": case_id, "record_type": "case", "hostname": HOSTNAME, **fields,
                         "last_updated_at": case["last_updated_at"]}}

    def deliver_webhooks(self, order: list[int] | None = None) -> list[int]:
        """POST the pending webhooks (all, then forgotten; or those at the indexes given, kept): their statuses."""
        with self._lock:
            bodies = list(self.pending_webhooks) if order is None else [self.pending_webhooks[i] for i in order]
            if order is None:
                self.pending_webhooks.clear()
        return [self._post_webhook(body) for body in bodies]

    def wait_for_webhooks(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until at least count webhooks were sent and return them; AssertionError after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.delivered_webhooks) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} webhook(s) from the fake Primero, "
                                         f"{len(self.delivered_webhooks)} sent")
                self._lock.wait(left)
            return list(self.delivered_webhooks)

    # -- used by the handler and the helpers (with the lock held) --------------------------------------------
    def _change(self, case_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Merge fields into the case, bump last_updated_at, queue case.update: the fields that changed."""
        case = self.cases[case_id]
        changed = _merged(case, fields)
        case.update(changed)
        case["last_updated_at"] = _later(case.get("last_updated_at"))
        self._queue_webhook(case_id)  # after_update fires on every save, changed or not (§6)
        return changed

    def _queue_webhook(self, case_id: str) -> None:
        if not self.instance.webhook_url:
            return
        self.pending_webhooks.append(self.snapshot(case_id))
        self._lock.notify_all()
        if self.instance.webhook_auto and self._courier is None and not self._stopping.is_set():
            self._courier = threading.Thread(target=self._send_queued, name="fake-primero-webhooks", daemon=True)
            self._courier.start()

    # -- sending ---------------------------------------------------------------------------------------------
    def _send_queued(self) -> None:
        """The webhook_auto thread: send each queued body in order, never with the lock held (the receiver may
        call back)."""
        while True:
            with self._lock:
                while not self.pending_webhooks and not self._stopping.is_set():
                    self._lock.wait(0.1)
                if self._stopping.is_set():
                    return
                body = self.pending_webhooks.pop(0)
            self._post_webhook(body)

    def _post_webhook(self, body: dict[str, Any]) -> int:
        """POST one webhook as WebhookConnector does: its status, 0 when it did not connect (logged, no retry)."""
        headers = {**WEBHOOK_HEADERS, "x-api-key": self.instance.webhook_key}
        try:
            status = requests.post(self.instance.webhook_url or "", data=json.dumps(body).encode(), headers=headers,
                                   timeout=10).status_code
        except requests.RequestException:
            status = 0
        with self._lock:
            self.delivered_webhooks.append({"body": body, "status": status})
            self._lock.notify_all()
        return status


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _now() -> str:
    return _stamp(datetime.now(UTC))


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _later(previous: str | None) -> str:
    """Now, or 1 ms after previous when the clock has not passed it: a case's changes are ordered by this."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    try:
        before = datetime.fromisoformat(str(previous))
    except ValueError:
        return _stamp(now)
    return _stamp(max(now, before.replace(tzinfo=before.tzinfo or UTC) + timedelta(milliseconds=1)))


def _new_case(case_id: str, fields: dict[str, Any], user_names: set[str], api_user: str) -> dict[str, Any]:
    unique_identifier = str(uuid.uuid4())
    short_id = unique_identifier[-7:]
    case = {"id": case_id, "enabled": True, "status": "open", "record_state": True, "workflow": "new",
            "registration_date": _today(), "unique_identifier": unique_identifier,
            "short_id": short_id, "case_id": unique_identifier, "case_id_display": short_id,
            "created_at": _now(), "last_updated_at": _now(), "owned_by": api_user}
    case.update(_merged({}, fields))
    if case.get("owned_by") not in user_names:
        case["owned_by"] = None  # an unknown user name reverts owned_by to nil on create (§2)
    return case


def _merged(case: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value changes when merged into the case (§3): top-level keys replace, subforms merge."""
    changed = {}
    for name, value in fields.items():
        if name in SUBFORMS and isinstance(value, list) and isinstance(case.get(name), list):
            value = _merged_rows(case[name], value)
        if case.get(name) != value:
            changed[name] = value
    return changed


def _merged_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """app/services/record_merge_data_hash_service.rb: a row given with the unique_id of a stored one replaces the
    keys it has, another is appended, and the rows with a true _destroy are then removed."""
    given = {row.get("unique_id"): row for row in reversed(new)}  # the first row given wins, as Ruby's find
    known = {row.get("unique_id") for row in old}
    rows = [{**row, **given[row["unique_id"]]} if row.get("unique_id") in given else dict(row) for row in old]
    rows += [dict(row) for row in new if row.get("unique_id") not in known]
    return [row for row in rows if not row.get("_destroy")]


def _is_text(value: Any) -> bool:
    """A string the JSON parser keeps a string: one that looks like a date becomes a Date, refused (§0)."""
    return isinstance(value, str) and not _DATE.match(value) and not _DATE_TIME.match(value)


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and bool(_DATE.match(value))


# What a subform row's value may be, by the kind of its field; None is fine for each but unique_id and _destroy.
_ROW_CHECKS = {"date": _is_date, "text": _is_text, "textarea": lambda value: isinstance(value, str),
               "tick": lambda value: isinstance(value, bool), "location": lambda value: isinstance(value, str),
               "datetime": lambda value: isinstance(value, str) and bool(_DATE_TIME.match(value))}


class PrimeroHandler(FakeHandler):
    """Answers Primero's API v2 paths; control endpoints as every fake."""

    fake: FakePrimero
    listings: ClassVar[dict[str, str]] = {"/_fake/requests": "requests", "/_fake/cases": "cases",
                                          "/_fake/violations": "violations", "/_fake/webhooks": "pending_webhooks"}

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
            result = self._show(match["id"], path, params)
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
        sync = {name: fields.pop(name) for name in SYNC if name in fields}
        case_id = client_id or str(uuid.uuid4())
        with self.fake._lock:
            if case_id in self.fake.cases:
                return _json(409, {"errors": [{"status": 409, "resource": path,
                                               "message": "Conflict: A record with this id already exists"}]})
            case = _new_case(case_id, {**fields, **_synced(sync)}, self.fake.instance.user_names, self.fake_user)
            self.fake.cases[case_id] = case
            self.fake._queue_webhook(case_id)
            answer = json.dumps({"data": case})
        if client_id:
            return 204, "", "application/json"
        return 200, answer, "application/json"

    def _show(self, case_id: str, path: str, params: dict[str, str]) -> tuple[int, str, str]:
        with self.fake._lock:
            case = self.fake.cases.get(case_id)
            if case is None:
                return _error(404, path, "Not Found", f"Couldn't find Child with 'id'={case_id}")
            if params.get("fields"):  # app/services/field_selection_service.rb: those fields and id
                wanted = set(params["fields"].split(","))
                case = {k: v for k, v in case.items() if k in wanted or k == "id"}
            return _json(200, {"data": case})

    def _list(self, params: dict[str, str]) -> tuple[int, str, str]:
        with self.fake._lock:
            rows = list(self.fake.cases.values())
            for name in ("id", "other_agency_id", "short_id", "case_id_display", "status", "owned_by"):
                if name in params:
                    wanted = set(params[name].split(","))
                    rows = [row for row in rows if str(row.get(name)) in wanted]
            page, per = int(params.get("page", 1)), min(int(params.get("per", 20)), 1000)
            chunk = rows[(page - 1) * per: page * per]
            return _json(200, {"data": chunk, "metadata": {"total": len(rows), "per": per, "page": page}})

    def _update(self, case_id: str, raw: str, path: str) -> tuple[int, str, str]:
        if case_id not in self.fake.cases:
            return _error(404, path, "Not Found", f"Couldn't find Child with 'id'={case_id}")
        data = self._body(raw)
        pointers = self._validate(data)
        if pointers:
            return _invalid(path, pointers)
        with self.fake._lock:
            fields = self._permitted({**data, "module_id": self.fake.cases[case_id].get("module_id")})
            fields.pop("id", None)
            sync = {name: fields.pop(name) for name in SYNC if name in fields}
            changed = self.fake._change(case_id, {**fields, **_synced(sync)})
            for name in ("sync_status", "synced_at"):
                changed.pop(name, None)  # audit entries, not the record's data: not among its changed fields
            return _json(200, {"data": {"id": case_id, "enabled": True, **changed,
                                        "last_updated_at": self.fake.cases[case_id]["last_updated_at"]}})

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
        pointers: list[str] = []
        for name, value in data.items():
            if value is not None or name in SYNC:  # SYNC_FIELDS_SCHEMA has no null
                pointers += self._refused(name, value)
        return pointers

    def _refused(self, name: str, value: Any) -> list[str]:
        """The pointers json_schemer yields for one field's value: none when it is valid."""
        lookups = self.fake.instance.lookups
        if name in SELECTS:
            return [] if value in lookups[SELECTS[name]] else [f"/{name}", f"/{name}"]
        if name in OPTION_SELECTS:
            return [] if value in OPTION_SELECTS[name] else [f"/{name}", f"/{name}"]
        if name in RADIOS:
            return [] if value in (True, False, *lookups[RADIOS[name]]) else [f"/{name}", f"/{name}"]
        if name in MULTI_SELECTS:
            if not isinstance(value, list):
                return []  # the wrong shape is dropped, not refused
            return [f"/{name}/{i}" for i, v in enumerate(value) if v not in lookups[MULTI_SELECTS[name]]]
        if name in SUBFORMS:
            return self._refused_rows(name, value) if isinstance(value, list) else []  # dropped, not refused
        if name in TICK_BOXES or SYNC.get(name) == "bool":
            valid = isinstance(value, bool)
        elif name in DATES:
            valid = _is_date(value)
        elif name == "created_at":
            valid = isinstance(value, str) and bool(_DATE_TIME.match(value))
        elif name in NUMBERS:
            valid = isinstance(value, int) and not isinstance(value, bool)
        elif name in TEXTS | self.fake.instance.texts or SYNC.get(name) == "string":
            valid = _is_text(value)
        elif name in TEXTAREAS:
            valid = isinstance(value, str)
        elif name == "module_id":
            valid = value == MODULE
        else:
            valid = True  # not a field this fake checks: _permitted drops it or keeps it
        return [] if valid else [f"/{name}"]

    def _refused_rows(self, name: str, rows: list[Any]) -> list[str]:
        """The pointers of a subform's rows: a unique_id that is not a lowercase UUID, a value of the wrong kind."""
        pointers = []
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                continue  # not an object: dropped, not refused
            if not (isinstance(row.get("unique_id"), str) and _UUID.match(row["unique_id"])):
                pointers.append(f"/{name}/{i}/unique_id")
            if "_destroy" in row and not isinstance(row["_destroy"], bool):
                pointers.append(f"/{name}/{i}/_destroy")
            for key, kind in SUBFORMS[name].items():
                if row.get(key) is not None and not self._row_value_ok(kind, row[key]):
                    # A select's anyOf names its pointer once per branch, as at the top level.
                    selects = kind.startswith(("lookup-", "options:"))
                    pointers += [f"/{name}/{i}/{key}"] * (2 if selects else 1)
        return pointers

    def _row_value_ok(self, kind: str, value: Any) -> bool:
        if kind.startswith("lookup-"):
            return value in self.fake.instance.lookups.get(kind, [])
        if kind.startswith("options:"):
            return value in kind.removeprefix("options:").split(",")
        return _ROW_CHECKS[kind](value)

    def _permitted(self, data: dict[str, Any]) -> dict[str, Any]:
        """What Primero keeps: the form fields only with module_id, the always-permitted ones; the rest dropped."""
        form_fields = (set(SELECTS) | set(OPTION_SELECTS) | set(MULTI_SELECTS) | set(RADIOS) | TICK_BOXES | DATES
                       | NUMBERS | TEXTS | TEXTAREAS | set(SUBFORMS) | self.fake.instance.texts)
        kept = {}
        for name, value in data.items():
            if name in ALWAYS or name in SYNC:
                kept[name] = value
            elif name in form_fields and data.get("module_id"):
                if (name in MULTI_SELECTS or name in SUBFORMS) and not isinstance(value, list):
                    self.fake.violation(f"{name}: a {'subform' if name in SUBFORMS else 'multi-select'} needs a "
                                        "list (dropped)")
                    continue
                kept[name] = self._permitted_rows(name, value) if name in SUBFORMS else value
            elif name in form_fields:
                self.fake.violation(f"{name} sent without module_id (dropped)")
            else:
                self.fake.violation(f"{name} is not a field of the case form (dropped)")
        return kept

    def _permitted_rows(self, name: str, rows: list[Any]) -> list[dict[str, Any]]:
        """A subform's rows as Rails' permit keeps them: objects only, of the subform's keys only."""
        keys = {"unique_id", "_destroy", *SUBFORMS[name]}
        kept = []
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                self.fake.violation(f"{name}/{i}: a subform row needs an object (dropped)")
                continue
            for key in row.keys() - keys:
                self.fake.violation(f"{name}/{i}/{key} is not a field of the subform (dropped)")
            kept.append({k: v for k, v in row.items() if k in keys})
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


def _synced(sync: dict[str, Any]) -> dict[str, Any]:
    """What mark_synced leaves on the case (§6): the status given and when, shown as sync_status and synced_at."""
    if sync.get("mark_synced") is not True:
        return {}
    return {"sync_status": sync.get("mark_synced_status"), "synced_at": _now()}


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
