"""What readiness checks: the database answers and its schema is at this code's migrations, Redis answers; for
administrators, a worker listens on every queue and the scheduler's sweeps end on time (workers.heartbeats)."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import redis
from sqlalchemy.exc import SQLAlchemyError

from app.health.probes import Outcome
from bootstrap import Runtime
from casecore.db import READ_ONLY
from workers.heartbeats import SCHEDULER, TTL_SECONDS, WORKER, alive
from workers.queueing import PRIORITIES, queue_name

UPGRADE = "run `flask --app app db upgrade` (the Procfile's release process)"


def sweep_late_after(interval: float) -> float:
    """Seconds after which a scheduler sweeping every interval seconds is late: three missed sweeps and a minute."""
    return 3 * interval + 60


def check_database(runtime: Runtime) -> dict[str, Outcome]:
    """The database answers, and its schema is the one this code migrates to (or a newer release's)."""
    # Alembic once a readiness check runs, not in every process that builds the app (the CLI's `db upgrade` too).
    from casecore import migrate

    code = migrate.code_revisions()
    try:
        connection = runtime.engine.connect().execution_options(**{READ_ONLY: True})
    except SQLAlchemyError as exc:
        return {"database": Outcome(False, f"unreachable ({exc.__class__.__name__})"),
                "migrations": Outcome(False, "unknown: the database is unreachable")}
    with connection:
        try:
            at = migrate.database_revisions(connection)
        except SQLAlchemyError as exc:
            return {"database": Outcome(True),
                    "migrations": Outcome(False, f"no revision readable ({exc.__class__.__name__}): {UPGRADE}")}
    state = migrate.schema_state(at, code)
    if state == "current":
        return {"database": Outcome(True), "migrations": Outcome(True)}
    if state == "ahead":
        # A release ran a newer migration before this process was restarted: the previous release keeps working on
        # the new schema (migrations only add what the old code ignores) until it is, so it stays in the pool.
        return {"database": Outcome(True), "migrations": Outcome(
            True, f"ahead: the database is at {_listed(at)}, which this code does not know (a newer release "
                  "migrated it); restart this process on the new release")}
    return {"database": Outcome(True), "migrations": Outcome(
        False, f"behind: the database is at {_listed(at) or 'no revision'}, this code at {_listed(code.heads)}; "
               f"{UPGRADE}")}


def check_redis(runtime: Runtime) -> dict[str, Outcome]:
    """Redis answers a PING."""
    try:
        runtime.redis.ping()
    except redis.RedisError as exc:
        return {"redis": Outcome(False, f"unreachable ({exc.__class__.__name__})")}
    return {"redis": Outcome(True)}


def check_processes(runtime: Runtime) -> dict[str, Outcome]:
    """A worker listening on each queue, and a scheduler whose last sweep ended on time, from their heartbeats."""
    try:
        workers = alive(runtime.redis, runtime.settings.QUEUE_NAME, WORKER)
        schedulers = alive(runtime.redis, runtime.settings.QUEUE_NAME, SCHEDULER)
    except redis.RedisError as exc:
        unknown = Outcome(False, f"unknown: Redis is unreachable ({exc.__class__.__name__})")
        return {"workers": unknown, "scheduler": unknown}
    now = time.time()
    return {"workers": workers_verdict(runtime.settings.QUEUE_NAME, workers),
            "scheduler": scheduler_verdict(schedulers, runtime.settings.SCHEDULER_INTERVAL_SECONDS, now)}


def workers_verdict(base: str, workers: list[dict]) -> Outcome:
    """Whether each queue has a worker inside RQ's loop listening to it; the processes on each queue."""
    listening = {queue_name(base, priority): [] for priority in PRIORITIES}
    for record in workers:
        for name in record.get("queues", ()):
            if record.get("listening") and name in listening:
                listening[name].append(record["process"])
    idle = [name for name, processes in listening.items() if not processes]
    if idle:
        return Outcome(False, f"no worker listens on {', '.join(idle)} (no heartbeat in the last {TTL_SECONDS} s)",
                       listening)
    return Outcome(True, "ok: " + ", ".join(f"{name} {len(processes)}" for name, processes in listening.items()),
                   listening)


def scheduler_verdict(schedulers: list[dict], interval: float, now: float) -> Outcome:
    """Whether a scheduler's last sweep ended less than sweep_late_after(its interval) ago; the schedulers seen."""
    details = [{"process": s["process"], "last_sweep_at": _iso(s.get("last_sweep_at")),
                "last_failure_at": _iso(s.get("last_failure_at")), "beat_at": _iso(s.get("beat_at"))}
               for s in schedulers]
    if not schedulers:
        return Outcome(False, f"no scheduler is running (no heartbeat in the last {TTL_SECONDS} s)", details)
    late_after = max(sweep_late_after(s.get("interval") or interval) for s in schedulers)
    swept = [s["last_sweep_at"] for s in schedulers if s.get("last_sweep_at")]
    if swept:
        ago = now - max(swept)
        said = f"last sweep ended {_iso(max(swept))} ({ago:.0f} s ago)"
        if ago > late_after:
            return Outcome(False, f"late: {said}; late after {late_after:.0f} s", details)
        return Outcome(True, f"ok: {said}", details)
    started = max(s.get("started_at") or 0 for s in schedulers)
    if now - started > late_after:
        return Outcome(False, f"late: no sweep ended since the scheduler started {now - started:.0f} s ago", details)
    return Outcome(True, f"ok: started {now - started:.0f} s ago, first sweep under way", details)


def _iso(stamp: float | None) -> str | None:
    if not stamp:
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _listed(revisions) -> str:
    return ", ".join(sorted(revisions))
