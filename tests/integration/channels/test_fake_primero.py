"""The fake Primero itself: case form fields and notes rows, PATCH merging, mark synced, filters, webhooks, the
helpers that act in Primero's web UI, and last_updated_at ordering (../shared/primero/README.md §2, §3, §6)."""
from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import pytest
import requests

from tests.fakes.primero import MODULE, PASSWORD, USERNAME, FakePrimero, Instance
from tests.servers import free_port

AUTH = (USERNAME, PASSWORD)
KEY = "s3cr3t"


class Receiver:
    """A webhook endpoint on 127.0.0.1: keeps each POST's headers and body, runs on_post, then answers status."""

    def __init__(self, status: int = 200, on_post: Callable[[dict[str, Any]], None] | None = None,
                 delay: float = 0.0) -> None:
        self.status, self.on_post, self.delay = status, on_post, delay
        self.received: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []  # what on_post raised: a test asserts there is none
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args) -> None:
                pass  # the test looks at received

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                receiver._keep({"headers": dict(self.headers), "body": body})
                try:
                    if receiver.on_post is not None:
                        receiver.on_post(body)
                except Exception as error:  # noqa: BLE001 - kept for the test to see
                    receiver.errors.append(error)
                receiver._stopping.wait(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/primero/hook"

    def _keep(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(entry)
            self._lock.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until count webhooks arrived; AssertionError after timeout seconds."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} webhook(s), got {len(self.received)}")
            return list(self.received)

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as hook:
        yield hook


@pytest.fixture
def hooked(receiver):
    """A fake Primero whose admin registered the receiver as webhook; webhooks sent when the test says."""
    with FakePrimero(instance=Instance(webhook_url=receiver.url, webhook_key=KEY)) as fake:
        yield fake
    assert fake.violations == []


def create(primero: FakePrimero, **fields: Any) -> str:
    """POST a CP case with a client-chosen id: the id."""
    case_id = str(uuid.uuid4())
    answer = requests.post(f"{primero.url}/api/v2/cases", json={"data": {"id": case_id, "module_id": MODULE,
                                                                          **fields}}, auth=AUTH, timeout=5)
    assert answer.status_code == 204, answer.text
    return case_id


def post(primero: FakePrimero, data: dict[str, Any]) -> requests.Response:
    return requests.post(f"{primero.url}/api/v2/cases", json={"data": data}, auth=AUTH, timeout=5)


def patch(primero: FakePrimero, case_id: str, data: dict[str, Any]) -> requests.Response:
    return requests.patch(f"{primero.url}/api/v2/cases/{case_id}", json={"data": data}, auth=AUTH, timeout=5)


def get(primero: FakePrimero, path: str, **params: str) -> requests.Response:
    return requests.get(f"{primero.url}{path}", params=params, auth=AUTH, timeout=5)


def note(**fields: Any) -> dict[str, Any]:
    return {"unique_id": str(uuid.uuid4()), "note_date": "2026-08-19", "note_subject": "Visit",
            "note_text": "Seen at home", **fields}


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- 1. case form fields ---------------------------------------------------------------------------------------
def test_closure_fields_other_agency_name_and_notes_are_kept(primero):
    row = note(note_text="2026-08-19", _destroy=False)  # a textarea may look like a date
    case_id = create(primero, other_agency_name="Relais", closure_reason="transferred", date_closure="2026-08-19",
                     notes_section=[row])
    stored = primero.cases[case_id]
    assert (stored["other_agency_name"], stored["closure_reason"], stored["date_closure"]) == (
        "Relais", "transferred", "2026-08-19")
    assert stored["notes_section"] == [row]
    assert get(primero, f"/api/v2/cases/{case_id}").json()["data"]["notes_section"] == [row]


@pytest.mark.parametrize(("fields", "pointers"), [
    ({"closure_reason": "closed"}, ["/closure_reason", "/closure_reason"]),
    ({"date_closure": "19/08/2026"}, ["/date_closure"]),
    ({"date_closure": "2026-08-19T10:00:00Z"}, ["/date_closure"]),
    ({"other_agency_name": "2026-08-19"}, ["/other_agency_name"]),
    ({"other_agency_name": 7}, ["/other_agency_name"]),
])
def test_a_wrong_closure_or_agency_value_is_invalid(primero, fields, pointers):
    answer = post(primero, {"module_id": MODULE, **fields})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"status": 422, "resource": "/api/v2/cases", "detail": pointers,
                                        "message": "Invalid Record JSON"}]
    assert primero.cases == {}


@pytest.mark.parametrize(("row", "pointer"), [
    ({"note_date": "2026-08-19T10:00:00Z"}, "note_date"),
    ({"note_date": "19.08.2026"}, "note_date"),
    ({"note_subject": "2026-08-19"}, "note_subject"),
    ({"note_subject": 3}, "note_subject"),
    ({"note_text": ["a"]}, "note_text"),
    ({"_destroy": "true"}, "_destroy"),
    ({"unique_id": "8D0B6A1E-0C3F-4C55-9F0A-2B1D3E4F5A6B"}, "unique_id"),
    ({"unique_id": "note-1"}, "unique_id"),
    ({"unique_id": None}, "unique_id"),
])
def test_a_wrong_note_row_value_is_invalid_with_its_pointer(primero, row, pointer):
    answer = post(primero, {"module_id": MODULE, "notes_section": [note(), note(**row)]})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["detail"] == [f"/notes_section/1/{pointer}"]
    assert primero.cases == {}


def test_a_note_row_without_unique_id_is_invalid(primero):
    row = note()
    del row["unique_id"]
    answer = post(primero, {"module_id": MODULE, "notes_section": [row]})
    assert answer.status_code == 422 and answer.json()["errors"][0]["detail"] == ["/notes_section/0/unique_id"]


def test_null_note_values_are_fine(primero):
    case_id = create(primero, notes_section=[note(note_date=None, note_subject=None, note_text=None)])
    assert primero.cases[case_id]["notes_section"][0]["note_text"] is None


def test_unknown_row_keys_a_row_that_is_no_object_and_a_non_list_are_dropped_and_noted():
    with FakePrimero() as fake:
        row = note(author="someone")
        case_id = create(fake, notes_section=[row, "a note"])
        assert fake.cases[case_id]["notes_section"] == [{k: v for k, v in row.items() if k != "author"}]
        other = create(fake, notes_section={"0": note()})
        assert "notes_section" not in fake.cases[other]
        assert fake.violations == ["notes_section/0/author is not a field of the subform (dropped)",
                                   "notes_section/1: a subform row needs an object (dropped)",
                                   "notes_section: a subform needs a list (dropped)"]


# -- 2. PATCH merging ------------------------------------------------------------------------------------------
def test_patch_replaces_top_level_keys_and_merges_note_rows_on_unique_id(primero):
    kept, changed, removed = note(note_subject="First"), note(note_subject="Second"), note(note_subject="Third")
    case_id = create(primero, name="Aminata", sex="female", protection_concerns=["caafag", "migrant"],
                     notes_section=[kept, changed, removed])
    before = primero.cases[case_id]["last_updated_at"]
    added = note(note_subject="Fourth")
    answer = patch(primero, case_id, {"name": "Aminata D.", "sex": "female", "protection_concerns": ["refugee"],
                                      "notes_section": [{"unique_id": changed["unique_id"], "note_text": "Moved"},
                                                        added, {"unique_id": removed["unique_id"], "_destroy": True}]})
    assert answer.status_code == 200
    data = answer.json()["data"]
    rows = [kept, {**changed, "note_text": "Moved"}, added]
    assert data == {"id": case_id, "enabled": True, "name": "Aminata D.", "protection_concerns": ["refugee"],
                    "notes_section": rows, "last_updated_at": data["last_updated_at"]}  # sex did not change
    stored = primero.cases[case_id]
    assert stored["notes_section"] == rows and stored["protection_concerns"] == ["refugee"]
    assert stamp(stored["last_updated_at"]) > stamp(before) and stored["last_updated_at"] == data["last_updated_at"]


def test_patch_of_a_row_to_destroy_that_is_not_there_adds_nothing_to_a_list_the_case_has(primero):
    case_id = create(primero, notes_section=[note(unique_id=str(uuid.uuid4()))])
    kept = primero.cases[case_id]["notes_section"]
    answer = patch(primero, case_id, {"notes_section": [note(_destroy=True)]})
    assert answer.status_code == 200 and primero.cases[case_id]["notes_section"] == kept


def test_a_row_to_destroy_sent_where_the_case_has_no_such_list_is_stored_as_given(primero):
    # record_merge_data_hash_service.rb merges arrays only into arrays: with nothing there, the value is taken whole.
    case_id = create(primero)
    answer = patch(primero, case_id, {"notes_section": [note(_destroy=True)]})
    assert answer.status_code == 200 and primero.cases[case_id]["notes_section"][0]["_destroy"] is True


def test_an_invalid_patch_changes_nothing(primero):
    case_id = create(primero, notes_section=[note()])
    case = json.loads(json.dumps(primero.cases[case_id]))
    answer = patch(primero, case_id, {"notes_section": [{"unique_id": "x", "note_text": "Moved"}]})
    assert answer.status_code == 422 and answer.json()["errors"][0]["detail"] == ["/notes_section/0/unique_id"]
    assert primero.cases[case_id] == case


# -- 3. mark synced --------------------------------------------------------------------------------------------
def test_mark_synced_is_stripped_sets_the_sync_status_and_is_an_update(hooked, receiver):
    case_id = create(hooked, name="Aminata")
    before = hooked.cases[case_id]["last_updated_at"]
    answer = patch(hooked, case_id, {"mark_synced": True, "mark_synced_url": receiver.url,
                                     "mark_synced_status": "synced"})
    assert answer.status_code == 200
    assert set(answer.json()["data"]) == {"id", "enabled", "last_updated_at"}
    stored = hooked.cases[case_id]
    assert not {"mark_synced", "mark_synced_url", "mark_synced_status"} & set(stored)
    assert stored["sync_status"] == "synced" and stamp(stored["synced_at"]) <= stamp(stored["last_updated_at"])
    assert stamp(stored["last_updated_at"]) > stamp(before)
    shown = get(hooked, f"/api/v2/cases/{case_id}").json()["data"]
    assert (shown["sync_status"], shown["synced_at"]) == (stored["sync_status"], stored["synced_at"])
    [created, updated] = hooked.pending_webhooks  # the echo the contract warns about
    assert "sync_status" not in created["data"] and updated["data"]["sync_status"] == "synced"


@pytest.mark.parametrize(("data", "pointer"), [
    ({"mark_synced": "true", "mark_synced_url": "http://x", "mark_synced_status": "synced"}, "/mark_synced"),
    ({"mark_synced": None, "mark_synced_url": "http://x", "mark_synced_status": "synced"}, "/mark_synced"),
    ({"mark_synced": True, "mark_synced_url": None, "mark_synced_status": "synced"}, "/mark_synced_url"),
    ({"mark_synced": True, "mark_synced_url": "http://x", "mark_synced_status": 1}, "/mark_synced_status"),
])
def test_mark_synced_of_the_wrong_type_is_invalid(primero, data, pointer):
    case_id = create(primero)
    answer = patch(primero, case_id, data)
    assert answer.status_code == 422 and answer.json()["errors"][0]["detail"] == [pointer]
    assert "sync_status" not in primero.cases[case_id]


# -- 4. id filter and field selection --------------------------------------------------------------------------
def test_the_list_filters_on_id(primero):
    first, second, third = create(primero), create(primero), create(primero)

    def ids(**params: str) -> set[str]:
        return {row["id"] for row in get(primero, "/api/v2/cases", **params).json()["data"]}

    assert ids(id=first) == {first}
    assert ids(id=f"{first},{third}") == {first, third}
    assert ids(id=str(uuid.uuid4())) == set()
    assert ids(id=first[:8]) == set()  # exact match only
    assert ids() == {first, second, third}


def test_fields_narrow_a_case_to_those_and_its_id(primero):
    case_id = create(primero, sex="female", name="Aminata")
    data = get(primero, f"/api/v2/cases/{case_id}", fields="short_id,sex,not_a_field").json()["data"]
    assert data == {"id": case_id, "short_id": primero.cases[case_id]["short_id"], "sex": "female"}


# -- 5. webhooks -----------------------------------------------------------------------------------------------
def test_without_a_webhook_url_nothing_is_queued(primero):
    case_id = create(primero)
    patch(primero, case_id, {"name": "Aminata"})
    primero.close_case(case_id)
    assert primero.pending_webhooks == [] and primero.deliver_webhooks() == []


def test_creation_and_updates_queue_snapshots_sent_with_primeros_headers(hooked, receiver):
    case_id = create(hooked, name="Aminata", notes_section=[note()])
    assert patch(hooked, case_id, {"name": "Aminata D."}).status_code == 200
    other = hooked.add_case(module_id=MODULE, name="Other")
    first, second, third = hooked.pending_webhooks
    assert first["data"]["name"] == "Aminata" and second["data"]["name"] == "Aminata D."  # copies, as then
    assert third["data"]["record_id"] == other
    stored = hooked.cases[case_id]
    assert second == {"data": {"record_id": case_id, "record_type": "case", "hostname": "primero.test",
                               **{k: v for k, v in stored.items() if k != "id"}}}
    assert list(second["data"])[-1] == "last_updated_at" and "id" not in second["data"]
    assert hooked.snapshot(case_id) == second

    assert hooked.deliver_webhooks() == [200, 200, 200]
    assert hooked.pending_webhooks == []
    received = receiver.wait(3)
    assert [r["body"] for r in received] == [first, second, third]
    headers = received[0]["headers"]
    assert headers["Content-Type"] == "application/json" and headers["cache-control"] == "no-cache"
    assert headers["User-Agent"] == "Faraday v2.14.3" and headers["x-api-key"] == KEY
    assert [(d["body"], d["status"]) for d in hooked.delivered_webhooks] == [(first, 200), (second, 200),
                                                                             (third, 200)]


def test_webhooks_may_be_delivered_out_of_order_and_twice(hooked, receiver):
    case_id = create(hooked)
    patch(hooked, case_id, {"name": "One"})
    patch(hooked, case_id, {"name": "Two"})
    pending = list(hooked.pending_webhooks)
    assert hooked.deliver_webhooks(order=[2, 0, 2]) == [200, 200, 200]
    assert [r["body"] for r in receiver.wait(3)] == [pending[2], pending[0], pending[2]]
    assert hooked.pending_webhooks == pending  # kept: a test delivers them as it likes


def test_a_failed_delivery_is_recorded_never_raised_nor_retried():
    with Receiver(status=500) as failing, FakePrimero(instance=Instance(webhook_url=failing.url)) as fake:
        create(fake)
        assert fake.deliver_webhooks() == [500] and fake.pending_webhooks == []
        assert len(failing.wait(1)) == 1 and fake.delivered_webhooks[0]["status"] == 500
    with FakePrimero(instance=Instance(webhook_url=f"http://127.0.0.1:{free_port()}/hook")) as fake:
        create(fake)
        assert fake.deliver_webhooks() == [0] and fake.pending_webhooks == []
        assert fake.delivered_webhooks[0]["status"] == 0


def test_reset_forgets_webhooks(hooked):
    create(hooked)
    hooked.reset()
    assert hooked.pending_webhooks == [] and hooked.cases == {}


def test_auto_delivery_sends_in_order_and_the_receiver_may_call_back():
    looked_up: list[dict[str, Any]] = []

    def look_up(body: dict[str, Any]) -> None:  # what Relais does on a webhook: read the case again
        answer = requests.get(f"{fake.url}/api/v2/cases/{body['data']['record_id']}", auth=AUTH, timeout=2)
        looked_up.append(answer.json()["data"])

    with Receiver(on_post=look_up) as hook, \
            FakePrimero(instance=Instance(webhook_url=hook.url, webhook_auto=True)) as fake:
        case_id = create(fake, name="Aminata")
        for n in range(5):
            assert patch(fake, case_id, {"name": f"Aminata {n}"}).status_code == 200
        fake.close_case(case_id)
        delivered = fake.wait_for_webhooks(7)
        assert [d["status"] for d in delivered] == [200] * 7 and fake.pending_webhooks == []
        bodies = [r["body"]["data"] for r in hook.wait(7)]
        assert [b["name"] for b in bodies] == ["Aminata", *(f"Aminata {n}" for n in range(5)), "Aminata 4"]
        assert bodies[-1]["status"] == "closed"
        assert [stamp(b["last_updated_at"]) for b in bodies] == sorted({stamp(b["last_updated_at"]) for b in bodies})
        assert hook.errors == [] and len(looked_up) == 7
    assert fake.violations == []


def test_stop_does_not_wait_for_a_receiver_that_hangs():
    with Receiver(delay=8.0) as hook:
        fake = FakePrimero(instance=Instance(webhook_url=hook.url, webhook_auto=True)).start()
        create(fake)
        hook.wait(1)  # the webhook is being answered, slowly
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 3.0


# -- 6. helpers acting in Primero's web UI ---------------------------------------------------------------------
def test_close_and_reopen_a_case(hooked):
    case_id = create(hooked)
    hooked.close_case(case_id, reason="repatriated")
    closed = hooked.cases[case_id]
    assert (closed["status"], closed["closure_reason"]) == ("closed", "repatriated")
    assert closed["date_closure"] == datetime.now(UTC).date().isoformat()
    hooked.reopen_case(case_id)
    reopened = hooked.cases[case_id]
    assert reopened["status"] == "open" and reopened["case_status_reopened"] is True
    [created, on_close, on_reopen] = hooked.pending_webhooks
    assert on_close["data"]["status"] == "closed" and on_reopen["data"]["status"] == "open"
    assert stamp(created["data"]["last_updated_at"]) < stamp(on_close["data"]["last_updated_at"]) < stamp(
        on_reopen["data"]["last_updated_at"])
    with pytest.raises(ValueError):
        hooked.close_case(case_id, reason="closed")
    with pytest.raises(KeyError):
        hooked.close_case(str(uuid.uuid4()))


def test_reassign_to_a_user_of_the_instance(hooked):
    case_id = create(hooked)
    hooked.reassign(case_id, "cp_worker")
    hooked.reassign(case_id, "cp_supervisor")
    hooked.reassign(case_id, "cp_worker")
    case = hooked.cases[case_id]
    assert case["owned_by"] == "cp_worker" and case["assigned_user_names"] == ["cp_worker", "cp_supervisor"]
    assert [w["data"]["owned_by"] for w in hooked.pending_webhooks] == [
        USERNAME, "cp_worker", "cp_supervisor", "cp_worker"]
    with pytest.raises(ValueError):
        hooked.reassign(case_id, "nobody")
    assert len(hooked.pending_webhooks) == 4


def test_update_case_merges_like_a_patch(hooked):
    row = note()
    case_id = create(hooked, notes_section=[row])
    hooked.update_case(case_id, risk_level="high", notes_section=[{"unique_id": row["unique_id"], "note_text": "x"}])
    case = hooked.cases[case_id]
    assert case["risk_level"] == "high" and case["notes_section"] == [{**row, "note_text": "x"}]
    assert hooked.pending_webhooks[-1] == hooked.snapshot(case_id)
    assert get(hooked, f"/api/v2/cases/{case_id}").json()["data"]["risk_level"] == "high"


# -- 7. last_updated_at ----------------------------------------------------------------------------------------
def test_last_updated_at_grows_strictly_even_within_a_millisecond(hooked):
    case_id = create(hooked)
    for n in range(200):
        hooked.update_case(case_id, name=f"n{n}")
    stamps = [stamp(w["data"]["last_updated_at"]) for w in hooked.pending_webhooks]
    assert len(stamps) == 201 and all(a < b for a, b in itertools.pairwise(stamps))
