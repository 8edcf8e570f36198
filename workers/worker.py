"""The worker process: `python -m workers.worker` runs the jobs of the configured queues in this process.

It reads REDIS_URL and QUEUE_NAME from the same Settings as the web process (no second copy of the defaults),
listens to the alerts, replies and background queues in that order (workers.queueing; `--queues` for some of
them only), runs RQ's scheduler too (retries with an interval need it), and outlives a Redis outage: when Redis
is unreachable it waits and starts again instead of exiting, which would stop every process under honcho.

Jobs run in the worker's own process, one after the other (RQ's SimpleWorker), not in a work horse forked per job:
a work horse started every job cold (a new database connection, the database driver imported and every query
compiled again, a new Redis connection): 120-170 ms of CPU a message, 11-13 ms in-process (bench/README.md). A
job's timeout is still enforced (SIGALRM raises in the job), and a job that fails or times out is recorded as
failed (and retried) by RQ while the worker takes the next one; what a worker killed outright held, the
scheduler's sweeps find.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from typing import Callable

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job

import logs

# Imported before the first job, so that no job pays for the imports (about 0.5 s).
import workers.events  # noqa: F401
import workers.jobs  # noqa: F401
from bootstrap import Runtime, bootstrap, configure_logging
from workers.heartbeats import WORKER, Heartbeat
from workers.queueing import PRIORITIES, queue_name, queues_in_order

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 5
# How long RQ's scheduler process is given to stop after SIGTERM (it checks every second) before it is killed.
SCHEDULER_STOP_SECONDS = 10
# The longest an idle worker waits for a job before looking again whether it was asked to stop (RQ's: 405 s).
STOP_CHECK_SECONDS = 2


class RelaisWorker(SimpleWorker):
    """RQ's in-process worker that remembers whether it was asked to stop (rather than losing Redis), heeds a stop
    asked while RQ was starting, says when its loop begins, and binds each job's id and request id (logs.py) while
    it runs, for its log lines and for the jobs it enqueues."""

    def __init__(self, *args, stop: threading.Event | None = None, on_start: Callable[[], None] = lambda: None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stop_before_start = stop
        self.on_start = on_start

    def execute_job(self, job: Job, queue: Queue):
        """Run the job with its ids bound: its lines say which job and which request it is part of."""
        job_token = logs.job_id.set(job.id)
        request_token = logs.request_id.set(logs.sane_request_id(job.meta.get(logs.REQUEST_ID_META)))
        try:
            return super().execute_job(job, queue)
        finally:
            logs.request_id.reset(request_token)
            logs.job_id.reset(job_token)

    @property
    def stop_requested(self) -> bool:
        """Whether the worker was asked to stop: RQ's own flag, which only a stop request sets."""
        return self._stop_requested

    def request_stop(self, signum, frame):
        """Note the request, then let RQ finish the current job and stop."""
        # RQ stops an idle worker by raising StopRequested from this handler, and only that way; raised inside a
        # __del__ or a GC callback (wherever the signal lands) Python prints and drops it, and the worker waited for
        # a job that never came. The flag outlives a dropped exception: RQ's loop and the dequeue below read it.
        self._stop_requested = True
        super().request_stop(signum, frame)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        """RQ's blocking wait for a job, in slices of STOP_CHECK_SECONDS: a stop request whose exception was
        dropped ends the wait within a slice."""
        if timeout is None or max_idle_time is not None:  # burst, or RQ's own idle limit: RQ's wait as it is
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(timeout, STOP_CHECK_SECONDS)
            if result is not None:
                return result
        raise StopRequested()  # RQ's loop ends on it, as on the handler's own

    def _install_signal_handlers(self):
        """RQ's handlers, the last thing work() does before its loop: a SIGTERM that came before them (to main's
        handler, while RQ registered the worker and started its scheduler) stops the loop before its first job
        rather than being lost; then on_start()."""
        super()._install_signal_handlers()
        if self.stop_before_start is not None and self.stop_before_start.is_set():
            self._stop_requested = True  # read at the top of RQ's loop
        self.on_start()

    def stop_scheduler(self):
        """Stop RQ's scheduler process if it runs: SIGTERM each second, SIGKILL after SCHEDULER_STOP_SECONDS; RQ's
        own sent one SIGTERM and waited without a limit: a worker whose scheduler missed it never exited."""
        process = self.scheduler._process if self.scheduler is not None else None
        # Only from the worker's own process: the scheduler, forked from it, may run this handler before its own.
        if process is None or process.pid is None or os.getpid() != self.pid or not process.is_alive():
            return
        deadline = time.monotonic() + SCHEDULER_STOP_SECONDS
        while process.is_alive() and time.monotonic() < deadline:
            # Again every second: a SIGTERM that reaches it before it has installed its handler is lost.
            process.terminate()
            process.join(1)
        if process.is_alive():
            log.warning("RQ's scheduler process did not stop within %ss; killed", SCHEDULER_STOP_SECONDS)
            process.kill()
            process.join()


def forget_inherited_connections(runtime: Runtime) -> None:
    """In a forked child (RQ's scheduler), drop the parent's pooled database connections without closing them under
    the parent."""
    # SQLite and psycopg connections must not be shared across fork(); close=False leaves the parent's intact.
    if "engine" in runtime.__dict__:
        runtime.engine.dispose(close=False)


def redis_for_worker(url: str) -> redis.Redis:
    """A connection of the worker's own: RQ raises its socket timeout above the blocking dequeue time."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


def wait_for_redis(connection: redis.Redis, stop: threading.Event) -> bool:
    """Block until Redis answers (True) or a stop is requested (False)."""
    warned = False
    while not stop.is_set():
        try:
            connection.ping()
            if warned:
                log.info("Redis is reachable again")
            return True
        except redis.RedisError as exc:
            if not warned:
                log.warning("Redis unreachable (%s); retrying every %ss", exc.__class__.__name__, RECONNECT_SECONDS)
                warned = True
            stop.wait(RECONNECT_SECONDS)
    return False


def _priorities(value: str) -> tuple[str, ...]:
    """The --queues option: known queue names only, at least one."""
    chosen = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in chosen if name not in PRIORITIES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(PRIORITIES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m workers.worker`."""
    parser = argparse.ArgumentParser(prog="python -m workers.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="work until the queues are empty, then exit")
    parser.add_argument("--queues", default=",".join(PRIORITIES), type=_priorities,
                        help="which queues, comma-separated, among %(default)s (always taken in that order)")
    args = parser.parse_args(argv)
    configure_logging(role="worker")
    runtime = bootstrap()
    settings = runtime.settings
    os.register_at_fork(after_in_child=lambda: forget_inherited_connections(runtime))
    connection = redis_for_worker(settings.REDIS_URL)
    stop = threading.Event()
    # /readyz?deep=1 reads it: a worker listens on each queue. listening: inside RQ's loop, not waiting for Redis.
    state = {"queues": [queue_name(settings.QUEUE_NAME, p) for p in PRIORITIES if p in args.queues],
             "started_at": time.time(), "listening": False}
    heartbeat = Heartbeat(settings.REDIS_URL, settings.QUEUE_NAME, WORKER, lambda: dict(state)).start()
    try:
        return _work(args, settings, connection, stop, state, heartbeat)
    finally:
        heartbeat.stop()


def _work(args: argparse.Namespace, settings, connection: redis.Redis, stop: threading.Event, state: dict,
          heartbeat: Heartbeat) -> int:
    """Run RQ's worker loop until a stop is requested (or, with --burst, the queues are empty)."""
    while True:
        # Our handlers while waiting for Redis; RQ installs its own inside work().
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if not wait_for_redis(connection, stop):
            return 0
        queues = queues_in_order(Queue(settings.QUEUE_NAME, connection=connection), args.queues)
        worker = RelaisWorker(queues, connection=connection, stop=stop,
                              on_start=lambda: (state.update(listening=True), heartbeat.nudge()))
        try:
            worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
        except StopRequested:
            # RQ's SIGTERM handler raised it between installing itself and its loop's try (on_start): what RQ does
            # when its loop ends (scheduler stopped, worker unregistered, its command channel closed) is left to us.
            try:
                worker.teardown()
            except redis.RedisError as exc:
                log.warning("worker could not unregister (%s)", exc.__class__.__name__)
        except redis.RedisError as exc:
            # Redis went away between our ping and RQ's start-up (work() only guards its own loop).
            log.warning("worker could not start (%s)", exc.__class__.__name__)
        finally:
            # RQ stops its scheduler process only when its loop ends; one left running would keep this process from
            # exiting (multiprocessing waits for it) or run beside the next attempt's.
            worker.stop_scheduler()
            state["listening"] = False
            heartbeat.nudge()
        if args.burst or worker.stop_requested:
            return 0
        log.warning("worker loop ended without a stop request; starting again in %ss", RECONNECT_SECONDS)
        if stop.wait(RECONNECT_SECONDS):
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
