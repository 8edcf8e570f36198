"""Where a conversation stands between two messages: a small record behind a store interface (Redis, with a TTL).

Records hold a number and the answers given: Redis keeps them sealed under the data key (casecore.sealing), under
keys made of the number's keyed hash (dialogs.sessions).
"""
from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from contextlib import AbstractContextManager
from dataclasses import MISSING, dataclass, field, fields
from functools import cached_property
from typing import Iterable

import redis

from casecore import sealing
from dialogs.redis_trips import RoundTrips


@dataclass
class DialogState:
    """The start of a conversation and every input since; replaying them gives the screen (dialogs.engine)."""

    conversation_id: str
    start: str
    answers: dict[str, str]
    inputs: list[str] = field(default_factory=list)
    updated_at: float = 0.0
    # Text channels: who to tell when the conversation expires, and the last message applied (a retried
    # delivery of the same message must not be applied twice).
    channel: str = ""
    phone: str = ""
    reply_via: str = ""  # opaque to the dialogs: how the entry point sends to this number (its provider)
    last_message_id: str = ""
    # Menu sessions (USSD): the provider's inputs this record does not replay (a resume choice), and the
    # unfinished conversation offered to continue, while the offer stands.
    skip: int = 0
    offer: "DialogState | None" = None
    # Text channels: the dialogue reached its last message (kept briefly to answer a redelivery the same way).
    final: bool = False

    def to_json(self) -> str:
        """The record as JSON."""
        return json.dumps(self._as_dict(), separators=(",", ":"))

    def sealed(self) -> str:
        """The record as stored: its JSON sealed."""
        return sealing.keyring().seal_text(self.to_json())

    def _as_dict(self) -> dict:
        # Built by hand: dataclasses.asdict deep-copies every value and cost a tenth of a USSD step. Fields left at
        # their default are not written (from_json gives them back): a menu step's pointer is half as long.
        data = {name: value for name in _FIELD_NAMES
                if (value := getattr(self, name)) != _DEFAULTS.get(name, _WRITTEN_ALWAYS)}
        if self.offer is not None:
            data["offer"] = self.offer._as_dict()
        return data

    @classmethod
    def unsealed(cls, raw: bytes | str) -> "DialogState":
        """A stored record read back."""
        return cls.from_json(opened_text(raw, sealing.keyring()))

    @classmethod
    def from_json(cls, raw: bytes | str) -> "DialogState":
        """A record from its JSON."""
        data = json.loads(raw)
        offer = data.pop("offer", None)
        return cls(**data, offer=cls(**offer) if offer else None)


# Worked out once: dataclasses.fields() on every record written was a twentieth of its serialisation.
_FIELD_NAMES = tuple(f.name for f in fields(DialogState) if f.name != "offer")
_WRITTEN_ALWAYS = object()  # the default of a field that has none: never equal, so always written
_DEFAULTS = {f.name: f.default if f.default is not MISSING else f.default_factory()
             for f in fields(DialogState) if f.default is not MISSING or f.default_factory is not MISSING}


def opened_text(raw: bytes | str, ring: sealing.Keyring) -> str:
    """A stored record's JSON, as Redis gives it back (bytes) or as text."""
    return ring.open_text(raw.decode("utf-8") if isinstance(raw, bytes) else raw)


class OpenedRecords:
    """Menu session records opened lately, by sealed value and keyring (a rotation makes a new one), so that a record
    read back unchanged at every step of a session is opened once per process: AES-GCM, base64 and the check that the
    value is sealed were a tenth of a step.

    The answers they hold are personal: each is kept at most max_age seconds after it was opened (dropped at the next
    read after that), and no more than size of them, the oldest going first. Threads share it."""

    def __init__(self, size: int = 1024, max_age: float = 300.0, clock=time.monotonic) -> None:
        self.size, self.max_age, self._clock = size, max_age, clock
        self._lock = threading.Lock()
        # In the order they were opened: the oldest first, whether to drop for age or for room.
        self._opened: OrderedDict[tuple[bytes | str, sealing.Keyring], tuple[float, str]] = OrderedDict()

    def open(self, raw: bytes | str, ring: sealing.Keyring) -> str:
        """The record's JSON."""
        now, key = self._clock(), (raw, ring)
        with self._lock:
            while self._opened and now - next(iter(self._opened.values()))[0] >= self.max_age:
                self._opened.popitem(last=False)
            found = self._opened.get(key)
        if found is not None:
            return found[1]
        text = opened_text(raw, ring)
        with self._lock:
            self._opened.setdefault(key, (now, text))  # another thread may have opened it meanwhile: kept as it was
            while len(self._opened) > self.size:
                self._opened.popitem(last=False)
        return text

    def __len__(self) -> int:
        return len(self._opened)


class StoreUnavailable(Exception):
    """The store cannot be reached; a caller may carry on without state where the channel allows it."""


class DialogStore(ABC):
    """Keeps dialog states by key, each with its own time to live."""

    @abstractmethod
    def load(self, key: str) -> DialogState | None:
        """The state stored under key, or None."""

    @abstractmethod
    def exchange(self, load: list[str], save: dict[str, tuple[DialogState, float]],
                 create: dict[str, tuple[DialogState, float]] | None = None,
                 stable: Iterable[str] = ()) -> list[DialogState | None]:
        """Read the states under load, then save states with their TTL and create those of create where nothing is
        stored yet, in one round trip; returns what was read (a state of create was stored if None was read).

        stable: keys of load whose states are read back unchanged step after step (a menu session's record): a store
        may keep them opened for a while."""

    @abstractmethod
    def write(self, save: dict[str, tuple[DialogState, float]] | None = None, delete: Iterable[str] = (),
              expire_at: dict[str, float] | None = None, unschedule: Iterable[str] = ()) -> None:
        """Save states with their TTL in seconds, delete others, and note (or forget) when text dialogues expire."""

    @abstractmethod
    def due_to_expire(self, now: float, limit: int = 100) -> list[str]:
        """Keys whose conversations were due to expire by now."""

    @abstractmethod
    def lock(self, key: str) -> AbstractContextManager:
        """Hold key against other processes while a message for it is handled."""


# Replace a value only if it is still what was read, keeping its time to live.
_SWAP_IF_UNCHANGED = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""


class RedisDialogStore(DialogStore):
    """Dialog states in Redis: one string per key with a TTL, and a sorted set of expiry times."""

    def __init__(self, client: redis.Redis, prefix: str = "relais:dialog:", trips: RoundTrips | None = None):
        self._redis = client
        # The calls of every USSD step go through these: a third of redis-py's pipeline cost.
        self._trips = trips or RoundTrips(client)
        self._prefix = prefix
        self._expiries = f"{prefix}expiries"
        self._opened = OpenedRecords()

    def load(self, key: str) -> DialogState | None:
        try:
            [raw] = self._trips(("GET", self._prefix + key))
        except redis.RedisError as exc:
            raise StoreUnavailable(exc.__class__.__name__) from exc
        return DialogState.unsealed(raw) if raw else None

    def exchange(self, load: list[str], save: dict[str, tuple[DialogState, float]],
                 create: dict[str, tuple[DialogState, float]] | None = None,
                 stable: Iterable[str] = ()) -> list[DialogState | None]:
        commands = [("MGET", *(self._prefix + key for key in load)), *self._saving(save),
                    *(command + ("NX",) for command in self._saving(create or {}))]
        try:
            raws = self._trips(*commands)[0]
        except redis.RedisError as exc:
            raise StoreUnavailable(exc.__class__.__name__) from exc
        ring, stable = sealing.keyring(), set(stable)
        return [None if not raw else DialogState.from_json(self._opened.open(raw, ring)) if key in stable
                else DialogState.unsealed(raw) for key, raw in zip(load, raws, strict=True)]

    def write(self, save=None, delete=(), expire_at=None, unschedule=()) -> None:
        try:
            self._write(save, delete, expire_at, list(unschedule))
        except redis.RedisError as exc:
            raise StoreUnavailable(exc.__class__.__name__) from exc

    def _write(self, save, delete, expire_at, unschedule) -> None:
        commands = self._saving(save or {})
        deleted = list(delete)
        if deleted:
            commands.append(("DEL", *(self._prefix + key for key in deleted)))
            commands.append(("ZREM", self._expiries, *deleted))
        if unschedule:
            commands.append(("ZREM", self._expiries, *unschedule))
        if expire_at:
            commands.append(("ZADD", self._expiries, *(part for key, at in expire_at.items() for part in (at, key))))
        if commands:
            self._trips(*commands)

    def _saving(self, save: dict[str, tuple[DialogState, float]]) -> list[tuple]:
        return [("SET", self._prefix + key, state.sealed(), "PX", max(1, int(ttl * 1000)))
                for key, (state, ttl) in save.items()]

    def due_to_expire(self, now: float, limit: int = 100) -> list[str]:
        try:
            due = self._redis.zrangebyscore(self._expiries, "-inf", now, start=0, num=limit)
        except redis.RedisError as exc:
            raise StoreUnavailable(exc.__class__.__name__) from exc
        return [raw.decode() for raw in due]

    def reseal_all(self, batch: int = 500) -> int:
        """Seal every stored record again under the current data key (a key rotation); how many were rewritten."""
        ring, rewritten = sealing.keyring(), 0
        for key, value in self._stale_records(batch):
            # Only if the conversation did not move on meanwhile (its new record is sealed under the new key).
            rewritten += self._swap(keys=[key], args=[value, ring.seal_text(ring.open_text(value))]) or 0
        return rewritten

    def count_stale(self, batch: int = 500) -> int:
        """How many stored records are not sealed under the current data key."""
        return sum(1 for _ in self._stale_records(batch))

    def _stale_records(self, batch: int):
        ring = sealing.keyring()
        for key in self._redis.scan_iter(match=f"{self._prefix}*", count=batch):
            if key == self._expiries.encode() or key.startswith(f"{self._prefix}lock:".encode()):
                continue
            raw = self._redis.get(key)
            if raw is not None and not ring.text_is_current(raw.decode("utf-8")):
                yield key, raw.decode("utf-8")

    @cached_property
    def _swap(self):
        return self._redis.register_script(_SWAP_IF_UNCHANGED)

    def lock(self, key: str):
        # Long enough for one message's work; a dead worker's lock frees itself.
        return self._redis.lock(f"{self._prefix}lock:{key}", timeout=60, blocking_timeout=30)
