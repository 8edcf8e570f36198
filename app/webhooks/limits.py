"""Rate limits on the webhooks: counters in Redis, one pipeline per check, left open when Redis is down.

Each limit is "count/seconds": a window opens at the first hit and lasts `seconds`; the hit that goes over
`count` is refused, and so is every later one until the window ends (Retry-After says when). Numbers are keyed
by their keyed hash (Runtime.phone_key), never the number itself. USSD steps of a started session are never
counted or checked (see app/webhooks/ussd.py), so a session is never cut and its steps cost no round trip.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import redis
from flask import Flask, Response, current_app, request

from app.web.dispatch import PlainAnswer, as_response
from app.web.rate_limits import Rate, RateLimiter, Refusal, parse_rate
from dialogs.redis_trips import RoundTrips
from settings import Settings

# The limits, by the name their counters are kept under.
USSD_SESSIONS = "ussd-sessions"  # new USSD sessions per number
MESSAGES = "messages"  # SMS and WhatsApp messages per number
SOURCE = "source"  # webhook requests per source address
AUTH_FAILURES = "auth-failures"  # failed token or signature checks per source address
EXTENSION = "relais.limits"
LOCKED_EXTENSION = "relais.locked_sources"
# The sources locked out after failed checks, scored by when each lock ends.
LOCKED_SOURCES = "relais:limit:locked-sources"
# What a webhook limit is read from.
SETTINGS = {USSD_SESSIONS: "RATE_LIMIT_USSD_SESSIONS_PER_NUMBER", MESSAGES: "RATE_LIMIT_MESSAGES_PER_NUMBER",
            SOURCE: "RATE_LIMIT_PER_SOURCE", AUTH_FAILURES: "RATE_LIMIT_AUTH_FAILURES_PER_SOURCE"}
__all__ = ["Rate", "RateLimiter", "Refusal", "parse_rate", "limiter", "source_address", "too_many", "too_many_answer",
           "request_refusal", "source_refusal", "note_auth_failure", "init_app", "limiter_from_settings", "locked_out",
           "LockedSources"]


# -- in a request ---------------------------------------------------------------------------------------------------

REASONS = {
    SOURCE: "Too many requests from this address",
    AUTH_FAILURES: "Too many failed authentications from this address",
}


def limiter() -> RateLimiter:
    """The app's rate limiter."""
    return current_app.extensions[EXTENSION]


def source_address() -> str:
    """The client's address (ProxyFix has already applied X-Forwarded-For when TRUSTED_PROXY_COUNT is set)."""
    return request.remote_addr or "unknown"


def too_many(refusal: Refusal, prefix: str = "") -> Response:
    """A 429 with Retry-After and the reason in plain text (prefix "END " for USSD, so a phone shows a clean end)."""
    return as_response(too_many_answer(refusal, prefix))


def too_many_answer(refusal: Refusal, prefix: str = "") -> PlainAnswer:
    """too_many's answer, for a raw route."""
    reason = REASONS.get(refusal.limit, "Too many requests")
    return PlainAnswer(f"{prefix}{reason}; retry in {refusal.retry_after} seconds", 429,
                       (("Retry-After", str(refusal.retry_after)),))


def request_refusal(count: bool = True) -> Response | None:
    """429 when this request's source is locked out after failed checks or, if counted, over its limit.

    The lock-out is read from the list each process keeps (locked_out): a provider's signed or token-bearing
    message pays no round trip for it; only a counted request does, for its counter."""
    answer = source_refusal(source_address(), count)
    return as_response(answer) if answer is not None else None


def source_refusal(who: str, count: bool = True) -> PlainAnswer | None:
    """request_refusal's answer for a request from who (Flask's guard and the raw routes share it)."""
    locked_for = current_app.extensions[LOCKED_EXTENSION].seconds_left(who)
    if locked_for is not None:
        return too_many_answer(Refusal(AUTH_FAILURES, locked_for))
    refusal = limiter().check(hits=[(SOURCE, who)]) if count else None
    return too_many_answer(refusal) if refusal else None


def note_auth_failure(who: str | None = None) -> None:
    """Count a failed AT token or Twilio signature check against the request's source (or who); a source this locks
    out is listed for every process's webhooks, which look at no counter (locked_out)."""
    who = who or source_address()
    refusal = limiter().hit(AUTH_FAILURES, who)
    if refusal is not None:
        ends = time.time() + refusal.retry_after
        try:
            current_app.extensions["relais"].redis.zadd(LOCKED_SOURCES, {who: ends})
        except redis.RedisError:
            pass  # limits are left open while Redis is down (the limiter said so)
        current_app.extensions[LOCKED_EXTENSION].add(who, ends)  # after Redis: a reread now finds it there too


def locked_out(who: str | None = None) -> int | None:
    """In how many seconds the lock-out of the request's source (or who) after failed checks ends, None when it is
    not locked out; from a list each process rereads every LOCKOUT_REFRESH_SECONDS, so that a webhook pays no round
    trip for it (a lock reaches the webhooks that late at most)."""
    return current_app.extensions[LOCKED_EXTENSION].seconds_left(who or source_address())


class LockedSources:
    """The sources locked out now, as this process last read them (a sorted set scored by when each lock ends)."""

    def __init__(self, client: Callable[[], redis.Redis], refresh_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client, self._refresh, self._clock = client, refresh_seconds, clock
        self._lock = threading.Lock()
        self._ends: dict[str, float] = {}  # each source and when its lock ends (time.time())
        self._read_at: float | None = None

    def seconds_left(self, who: str) -> int | None:
        """In how many seconds who's lock ends (at least 1), None when who is not locked out."""
        self.get()  # reread when due
        ends, now = self._ends.get(who), time.time()
        return max(int(ends - now) + 1, 1) if ends and ends > now else None

    def add(self, who: str, ends: float) -> None:
        """List a lock this process has just made (and written to Redis), ahead of the next reread."""
        with self._lock:  # after a reread under way, which may have read Redis before this lock was there
            self._ends = {**self._ends, who: ends}

    def get(self) -> frozenset[str]:
        """The list; one caller at a time rereads it when due, the others meanwhile get the last one (a Redis that
        hangs holds one step, not every step of the process)."""
        due = self._read_at is None or self._clock() - self._read_at >= self._refresh
        if not due or not self._lock.acquire(blocking=self._read_at is None):
            return frozenset(self._ends)
        try:
            if self._read_at is None or self._clock() - self._read_at >= self._refresh:
                self._read_at = self._clock()
                try:
                    now = time.time()
                    pipe = self._client().pipeline(transaction=False)
                    pipe.zremrangebyscore(LOCKED_SOURCES, "-inf", now)
                    pipe.zrangebyscore(LOCKED_SOURCES, now, "+inf", withscores=True)
                    self._ends = {member.decode() if isinstance(member, bytes) else member: ends
                                  for member, ends in pipe.execute()[1]}
                except redis.RedisError:
                    self._ends = {}  # left open, as every limit while Redis is down
            return frozenset(self._ends)
        finally:
            self._lock.release()


def limiter_from_settings(settings: Settings, trips: Callable[[], RoundTrips]) -> RateLimiter:
    """The limits the RATE_LIMIT_* settings give; a malformed one stops the process at start-up."""
    return RateLimiter({limit: parse_rate(getattr(settings, name), name) for limit, name in SETTINGS.items()},
                       trips)


def init_app(app: Flask) -> None:
    """Build the rate limiter from the app runtime's settings."""
    rt = app.extensions["relais"]
    app.extensions[EXTENSION] = limiter_from_settings(rt.settings, lambda: rt.round_trips)
    app.extensions[LOCKED_EXTENSION] = LockedSources(lambda: rt.redis, rt.settings.LOCKOUT_REFRESH_SECONDS)
