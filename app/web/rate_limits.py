"""Rate limits kept in Redis: counters per limit and identity, one pipeline per check, left open when Redis is down.

Each limit is "count/seconds": a window opens at the first hit and lasts `seconds`; the hit that goes over
`count` is refused, and so is every later one until the window ends (Retry-After says when). Identities are
addresses or keyed hashes (Runtime.phone_key), never a number or an address kept in clear.
Used by the webhooks (app/webhooks/limits.py) and the login form (app/auth).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import redis

from dialogs.redis_trips import RoundTrips

log = logging.getLogger(__name__)

OFF = ("", "0", "off")
WARN_EVERY_SECONDS = 60.0

_last_warning = float("-inf")


@dataclass(frozen=True)
class Rate:
    """At most count hits in a window of seconds."""

    count: int
    seconds: int


@dataclass(frozen=True)
class Refusal:
    """A limit reached: which one, and in how many seconds its window ends."""

    limit: str
    retry_after: int


def parse_rate(raw: str, name: str) -> Rate | None:
    """ "count/seconds" as a Rate; None for "0" or "off" (no limit); ValueError naming the setting otherwise."""
    text = (raw or "").strip().lower()
    if text in OFF:
        return None
    count, _, seconds = text.partition("/")
    if not (f"{count}{seconds}".isascii() and count.isdigit() and seconds.isdigit() and int(seconds) > 0):
        raise ValueError(f"{name} must be count/seconds (e.g. 20/3600), 0 or off; got {raw!r}")
    return Rate(int(count), int(seconds)) if int(count) > 0 else None


class RateLimiter:
    """Counters per limit and identity (a source address, a number's keyed hash) in Redis."""

    def __init__(self, rates: Mapping[str, Rate | None], trips: Callable[[], RoundTrips],
                 prefix: str = "relais:limit:"):
        self.rates = {name: rate for name, rate in rates.items() if rate is not None}
        self._trips = trips
        self._prefix = prefix

    def check(self, hits: Iterable[tuple[str, str]] = (), watch: Iterable[tuple[str, str]] = ()) -> Refusal | None:
        """Count one hit on each (limit, identity) of hits and look at those of watch without counting, in one
        round trip; the first limit reached (watch first, then hits in order), else None, also when Redis is down.

        A watched limit is reached at its count (20 failures, then refused); a counted one when a hit goes over.
        """
        hits = [(limit, who) for limit, who in hits if limit in self.rates]
        watch = [(limit, who) for limit, who in watch if limit in self.rates]
        if not hits and not watch:
            return None
        try:
            commands = [(verb, self._key(limit, who)) for limit, who in watch for verb in ("GET", "TTL")]
            for limit, who in hits:
                commands += self._count(limit, who)
            replies = self._trips()(*commands)
            watched, counted = replies[:2 * len(watch)], replies[2 * len(watch):]
            counts = [(limit, counted[3 * n + 1], self._ttl(limit, who, counted[3 * n + 2]))
                      for n, (limit, who) in enumerate(hits)]
        except redis.RedisError as exc:
            _warn(exc)
            return None
        for n, (limit, _who) in enumerate(watch):
            seen, ttl = int(watched[2 * n] or 0), watched[2 * n + 1]
            if seen >= self.rates[limit].count:
                return Refusal(limit, max(int(ttl), 1))
        for limit, seen, ttl in counts:
            if seen > self.rates[limit].count:
                return Refusal(limit, ttl)
        return None

    def hit(self, limit: str, who: str) -> Refusal | None:
        """Count one hit without a verdict for this request (a failed signature check: the next request is the one
        refused); returns the refusal the next request will get, if this hit reached the limit."""
        if limit not in self.rates:
            return None
        try:
            replies = self._trips()(*self._count(limit, who))
            ttl = self._ttl(limit, who, replies[2])
        except redis.RedisError as exc:
            _warn(exc)
            return None
        return Refusal(limit, ttl) if replies[1] >= self.rates[limit].count else None

    def _key(self, limit: str, who: str) -> str:
        return f"{self._prefix}{limit}:{who}"

    def _count(self, limit: str, who: str) -> list[tuple]:
        key = self._key(limit, who)
        # The window opens with the first hit; INCR keeps the expiry SET gave it.
        return [("SET", key, 0, "EX", self.rates[limit].seconds, "NX"), ("INCR", key), ("TTL", key)]

    def _ttl(self, limit: str, who: str, ttl: int) -> int:
        if ttl < 0:
            # The key expired between SET and INCR and came back without an expiry: give it one, or it counts
            # for ever (Redis before 7 has no EXPIRE NX to do this in the same round trip).
            ttl = self.rates[limit].seconds
            self._trips()(("EXPIRE", self._key(limit, who), ttl))
        return max(int(ttl), 1)


def _warn(exc: Exception) -> None:
    """Say that limits are not applied, at most once a minute per process: an outage must not flood the log."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        log.warning("rate limits not applied: Redis unavailable (%s)", exc.__class__.__name__)
