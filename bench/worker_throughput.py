"""How many inbound SMS one worker answers, and how many replies it sends, a second on one core (run by hand).

On PostgreSQL (a throwaway cluster, as bench/databases.py starts one; `--db sqlite` for a file) with the demo data and
a real redis-server, `--messages` Africa's Talking SMS are posted to the webhook (the Flask test client, the same
code path as production: stored in the inbox, their jobs enqueued), `--senders` numbers writing in turn. Then:

- inbound: ONE `python -m workers.worker --burst --queues background` pinned to one core (`taskset -c 0`) answers
  them: the dialogue played, the reply written to the outbox and its send job enqueued on the replies queue;
- sending: ONE `python -m workers.worker --burst --queues replies`, pinned the same way, sends those replies to a fake
  Africa's Talking messaging API on 127.0.0.1 (tests/fakes/africastalking.py, answering as the real one does), one
  call per SMS, or with `--at-bulk N` up to N numbers of the same text in one call (AT_BULK_RECIPIENTS).

Each phase reports messages a second and the worker's CPU ms a message over the window from its first to its last
message (start-up excluded), SQL statements a message (bench/counting_worker.py counts them in the worker), Redis
commands a message (INFO commandstats, every client's), and the machine's busy %. At the end
every message is checked: each inbound message processed once with one reply, each reply sent once, each
recipient the fake saw matched by its messageId to exactly one outbox row (nothing lost, nothing twice).
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import postgres_database, sqlite_database  # noqa: E402
from bench.servers import BENCH_KEYS, machine_description, machine_ticks, prepare_database  # noqa: E402
from scripts.run_tests import postgres_bindir  # noqa: E402

TARGET_PER_SECOND = 50
# What a sender writes, in turn: a greeting, then menu choices, as people answering the dialogue would.
TEXTS = ["Bonjour", "1", "2", "Bonjour", "9"]
SMS_URL = "/webhooks/africastalking/sms"
AT_KEY = "bench-at-key"


@dataclass
class Phase:
    """What one worker run measured."""

    name: str
    messages: int  # in the window
    seconds: float
    cpu_seconds: float
    redis_commands: int
    busy_percent: float
    startup_seconds: float
    queries_per_message: float  # over the whole run, start-up included

    def line(self) -> str:
        rate = self.messages / self.seconds if self.seconds else float("inf")
        verdict = "met" if rate >= TARGET_PER_SECOND else "MISSED"
        # How much of its core the worker got: on a busy machine, messages/s is this share of what it could do.
        share = 100 * self.cpu_seconds / self.seconds if self.seconds else 0.0
        return (f"| {self.name} | {self.messages} | {rate:.1f} ({verdict}) | "
                f"{1000 * self.cpu_seconds / max(self.messages, 1):.2f} | {share:.0f}% | "
                f"{self.queries_per_message:.1f} | {self.redis_commands / max(self.messages, 1):.1f} | "
                f"{self.busy_percent:.0f}% | "
                f"{self.startup_seconds:.1f} |")


def worker_cpu_seconds(pid: int) -> float:
    """User + system CPU of the worker and of its children it waited for (the work horses a forking worker forks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def redis_commands(connection) -> int:
    """Commands Redis has run since it started (INFO commandstats, without the INFO calls themselves)."""
    stats = connection.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")


def post_messages(client, count: int, senders: int) -> None:
    """count SMS as Africa's Talking posts them, senders numbers taking turns."""
    for n in range(count):
        sender, turn = n % senders, n // senders
        form = {"linkId": "", "text": TEXTS[turn % len(TEXTS)], "to": "21512", "id": f"ATXid_bench_{n}",
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "from": f"+2237650{sender:04d}"}
        response = client.post(SMS_URL, data=urlencode(form), content_type="application/x-www-form-urlencoded")
        if response.status_code != 200:
            raise SystemExit(f"the webhook answered {response.status_code} to message {n}")


def run_worker(name: str, queues: str, env: dict[str, str], count_done, total: int, redis_connection,
               log_path: Path, core: str, py_spy: Path | None) -> Phase:
    """One burst worker on queues, pinned to core; measured from its first finished message to its last."""
    # The Procfile's worker (workers.worker's main), its SQL statements counted.
    count_file = log_path.with_suffix(".queries")
    command = [sys.executable, str(ROOT / "bench" / "counting_worker.py"), "--burst", "--queues", queues]
    if core != "none":
        command = ["taskset", "-c", core, *command]
    log = log_path.open("wb")
    started = time.monotonic()
    worker = subprocess.Popen(command, cwd=ROOT, env={**env, "BENCH_QUERY_COUNT_FILE": str(count_file)},
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    spy = None
    if py_spy is not None:
        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses",
                                "--nonblocking", "-r", "200", "-f", "raw", "-o", str(py_spy), "--pid", str(worker.pid)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        done = 0
        while done == 0 and worker.poll() is None:
            time.sleep(0.02)
            done = count_done()
        first_at, first_done = time.monotonic(), done
        cpu0, commands0, ticks0 = worker_cpu_seconds(worker.pid), redis_commands(redis_connection), machine_ticks()
        while done < total and worker.poll() is None:
            time.sleep(0.05)
            done = count_done()
        if done < total:
            done = count_done()
        last_at = time.monotonic()
        cpu1, commands1, ticks1 = worker_cpu_seconds(worker.pid), redis_commands(redis_connection), machine_ticks()
        worker.wait(timeout=120)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        if spy is not None:
            spy.wait(timeout=120)
        log.close()
    if done < total:
        raise SystemExit(f"{name}: only {done} of {total} done; the worker's log: {log_path}")
    busy = 100 * (ticks1[0] - ticks0[0]) / max(ticks1[1] - ticks0[1], 1)
    statements = int(count_file.read_text()) if count_file.exists() else -1
    return Phase(name, done - first_done, last_at - first_at, cpu1 - cpu0, commands1 - commands0, busy,
                 first_at - started, statements / total)


def check_once(runtime, fake, total: int) -> str:
    """Every inbound message processed with one reply, every reply sent once: what was checked, or SystemExit."""
    from sqlalchemy import select

    from casecore.messaging.models import InboundMessage, OutboundMessage

    with runtime.unit_of_work() as session:
        inbound = list(session.execute(select(InboundMessage.id, InboundMessage.status)))
        replies = list(session.execute(select(OutboundMessage.purpose_key, OutboundMessage.status,
                                              OutboundMessage.provider_message_id, OutboundMessage.attempts,
                                              OutboundMessage.body)))
    problems = []
    if len(inbound) != total or any(row.status != "processed" for row in inbound):
        problems.append(f"inbox: {Counter(row.status for row in inbound)} of {total}")
    keys = Counter(row.purpose_key for row in replies)
    if set(keys) != {f"reply:{row.id}" for row in inbound} or any(n != 1 for n in keys.values()):
        problems.append(f"{len(replies)} replies for {len(inbound)} inbound messages")
    if any(row.status != "sent" or row.attempts != 1 for row in replies):
        problems.append(f"outbox: {Counter((row.status, row.attempts) for row in replies)}")
    seen = Counter(r["messageId"] for request in fake.requests for r in request["recipients"])
    recorded = Counter(row.provider_message_id for row in replies)
    if seen != recorded or any(n != 1 for n in seen.values()):
        problems.append(f"the fake saw {sum(seen.values())} recipients ({len(seen)} ids), the outbox records "
                        f"{len(recorded)} ids")
    if problems:
        raise SystemExit("NOT handled exactly once: " + "; ".join(problems))
    # Bulk sending puts one text to several numbers in a call: how many different texts there were says how much.
    return (f"{total} inbound messages processed once, {len(replies)} replies ({len({r.body for r in replies})} "
            f"different texts) each sent once ({len(fake.requests)} calls to the fake Africa's Talking)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"],
                        default="postgresql" if postgres_bindir() or os.environ.get("TEST_POSTGRES_URL") else "sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=400)
    parser.add_argument("--at-bulk", type=int, default=1, metavar="N",
                        help="AT_BULK_RECIPIENTS for the sending worker: up to N numbers of one text in one call")
    parser.add_argument("--core", default="0", help="the core the worker is pinned to (taskset -c), or none")
    parser.add_argument("--py-spy", type=Path, default=None, metavar="DIR",
                        help="record each worker with py-spy (raw stacks, all its processes) into DIR")
    return parser.parse_args(argv)


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run both phases; 0 when each reached the target, 1 otherwise."""
    args = parse_args(argv)
    if args.core != "none" and shutil.which("taskset") is None:
        raise SystemExit("taskset is not installed: use --core none")
    from sqlalchemy import func, select

    from app import create_app
    from casecore.messaging.models import InboundMessage, OutboundMessage
    from settings import Settings
    from tests.fakes.africastalking import FakeAfricasTalking
    from tests.servers import RedisServer

    signal.signal(signal.SIGTERM, _interrupt)
    # This process's own chatter (the webhook's log lines while posting) is not what is measured.
    logging.basicConfig(level=logging.WARNING)
    if args.py_spy is not None:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="relais-worker-bench-") as tmp, ExitStack() as stack:
        database = sqlite_database(Path(tmp)) if args.db == "sqlite" else postgres_database()
        database_url, _pid = stack.enter_context(database)
        prepare_database(database_url)
        redis_server = RedisServer()
        stack.callback(redis_server.stop)
        fake = stack.enter_context(FakeAfricasTalking(api_key=AT_KEY))
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_server.url, **BENCH_KEYS,
               "DEVELOPMENT": "true", "SMS_BACKEND": "africastalking", "AT_API_URL": fake.url,
               "AT_USERNAME": "relais", "AT_API_KEY": AT_KEY,
               # Many messages from each number in a few seconds: no limit may hold one back.
               "RATE_LIMIT_PER_SOURCE": "1000000000/60", "RATE_LIMIT_MESSAGES_PER_NUMBER": "1000000000/60"}
        app = create_app(Settings.from_env(env))
        runtime = app.extensions["relais"]
        stack.callback(runtime.close)
        posting = time.monotonic()
        post_messages(app.test_client(), args.messages, args.senders)
        print(f"Posted {args.messages} SMS from {args.senders} numbers to the webhook in "
              f"{time.monotonic() - posting:.1f} s", flush=True)

        def count(query):
            def run() -> int:
                with runtime.unit_of_work() as session:
                    return session.scalar(query)
            return run

        processed = count(select(func.count()).select_from(InboundMessage).where(InboundMessage.status != "received"))
        sent = count(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status != "queued"))
        spy = (lambda name: args.py_spy / f"{name}.txt") if args.py_spy else (lambda name: None)
        phases = [
            run_worker("inbound (dialogue + reply in the outbox)", "background", env, processed, args.messages,
                       runtime.redis, Path(tmp) / "inbound.log", args.core, spy("inbound")),
            run_worker(f"sending (Africa's Talking, fake on 127.0.0.1; AT_BULK_RECIPIENTS={args.at_bulk})", "replies",
                       {**env, "AT_BULK_RECIPIENTS": str(args.at_bulk)}, sent, args.messages,
                       runtime.redis, Path(tmp) / "sending.log", args.core, spy("sending")),
        ]
        checked = check_once(runtime, fake, args.messages)
        print(f"Machine: {machine_description()}; database {args.db}; worker pinned to core {args.core}")
        print(f"{args.messages} messages, {args.senders} numbers; target {TARGET_PER_SECOND}/s each; {checked}")
        print("| phase | messages in window | messages/s | worker CPU ms/message | worker's share of its core "
              "| SQL statements/message | Redis commands/message | machine busy | worker start-up s |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for phase in phases:
            print(phase.line())
        return 0 if all(p.messages >= p.seconds * TARGET_PER_SECOND for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
