"""How long an urgent report's supervisor alert takes behind a flood of incoming SMS (run by hand, never as a test).

Runs the Procfile's `web` line and `--workers` copies of its `worker` line on PostgreSQL (SQLite with `--db
sqlite`) and a real redis-server, with the demo data and the console SMS backend. `--senders` clients post Africa's
Talking SMS to the webhook for `--seconds` (each message acknowledged is stored, and answered once the workers get
to it), then one USSD session reports a child in danger now. The clock runs from that session's last answer until
every alert SMS of its report is sent; the inbound messages still waiting then are the backlog it went past.
"""
from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import postgres_database, sqlite_database  # noqa: E402
from bench.servers import (  # noqa: E402
    BENCH_KEYS,
    Gunicorn,
    machine_description,
    prepare_database,
    procfile_web_command,
    stop_group,
)
from scripts.run_tests import postgres_bindir  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SMS_URL = "/webhooks/africastalking/sms"
USSD_URL = "/webhooks/africastalking/ussd"
# French, report, violence, danger now: yes, past the emergency numbers, girl, 6-11, region, commune, consent, may
# call, send (README's "Try it").
URGENT_PATH = ["1", "1", "1", "1", "1", "1", "2", "1", "1", "1", "1", "1"]
TARGET_SECONDS = 60


class Tally:
    """Messages posted and acknowledged by the senders, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posted = self.acknowledged = 0

    def add(self, acknowledged: bool) -> None:
        with self.lock:
            self.posted += 1
            self.acknowledged += acknowledged


def flood(port: int, sender: int, until: float, tally: Tally) -> None:
    """One sender: post SMS from its own number, one after the other, until the time is up."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while time.monotonic() < until:
        n += 1
        body = urlencode({"linkId": "", "text": "Bonjour", "to": "21512", "id": f"ATXid_flood{sender}_{n}",
                          "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "from": f"+2237640{sender:04d}"})
        try:
            conn.request("POST", SMS_URL, body, FORM)
            response = conn.getresponse()
            response.read()
            tally.add(response.status == 200)
        except OSError:
            tally.add(False)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def report_urgently(port: int) -> str:
    """Play the urgent report over USSD; its reference."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answer = ""
    for n in range(len(URGENT_PATH) + 1):
        body = urlencode({"sessionId": "ATUid_urgent", "serviceCode": "*384*1234#", "phoneNumber": "+22376709999",
                          "networkCode": "99999", "text": "*".join(URGENT_PATH[:n])})
        conn.request("POST", USSD_URL, body, FORM)
        response = conn.getresponse()
        answer = response.read().decode()
    conn.close()
    if not answer.startswith("END") or "Reference" not in answer:
        raise SystemExit(f"the urgent report was not taken: {answer!r}")
    return answer.split("Reference :", 1)[1].split()[0]


def alert_state(database_url: str, reference: str) -> tuple[int, int, int]:
    """(alert SMS written, of them sent, inbound messages not yet handled)."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from casecore.messaging.models import InboundMessage, OutboundMessage
    from casecore.reports.models import Report

    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            report_id = session.scalar(select(Report.id).where(Report.reference == reference))
            key = f"report-alert:{report_id}:"
            rows = [] if report_id is None else list(session.scalars(
                select(OutboundMessage.status).where(OutboundMessage.purpose_key.startswith(key))))
            waiting = session.scalar(select(func.count()).select_from(InboundMessage)
                                     .where(InboundMessage.status == "received"))
    finally:
        engine.dispose()
    return len(rows), rows.count("sent"), waiting


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """The Procfile's worker line, in a process group of its own."""
    log = log_path.open("wb")
    return subprocess.Popen([sys.executable, "-m", "workers.worker"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"],
                        default="postgresql" if postgres_bindir() or os.environ.get("TEST_POSTGRES_URL") else "sqlite")
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--give-up", type=float, default=600, help="stop waiting for the alert after this long")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run it; 0 when the alert went out within the target, 1 otherwise."""
    args = parse_args(argv)
    from tests.servers import RedisServer, free_port

    signal.signal(signal.SIGTERM, _interrupt)  # so `kill` stops every process it started, as Ctrl-C does
    with tempfile.TemporaryDirectory(prefix="relais-alert-bench-") as tmp, ExitStack() as stack:
        database = sqlite_database(Path(tmp)) if args.db == "sqlite" else postgres_database()
        database_url, _pid = stack.enter_context(database)
        prepare_database(database_url)
        redis_server = RedisServer()
        stack.callback(redis_server.stop)
        port = free_port()
        env = {**os.environ, "WEB_BIND": "127.0.0.1", "PORT": str(port), "DATABASE_URL": database_url,
               "REDIS_URL": redis_server.url, **BENCH_KEYS, "SMS_BACKEND": "console",
               "DEVELOPMENT": "true",
               # Every sender posts from 127.0.0.1 and writes many times: no limit must hold the flood back.
               "RATE_LIMIT_PER_SOURCE": "1000000000/60", "RATE_LIMIT_MESSAGES_PER_NUMBER": "1000000000/60",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        web = Gunicorn(procfile_web_command(), env, Path(tmp) / "web.log")
        stack.callback(web.stop)
        web.wait_ready(port)
        workers = [start_worker(env, Path(tmp) / f"worker{n}.log") for n in range(args.workers)]
        for worker in workers:
            stack.callback(stop_group, worker)
        tally = Tally()
        until = time.monotonic() + args.seconds
        senders = [threading.Thread(target=flood, args=(port, n, until, tally)) for n in range(args.senders)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        reference = report_urgently(port)
        reported = time.monotonic()
        written = sent = 0
        backlog_at_report = alert_state(database_url, reference)[2]
        while time.monotonic() - reported < args.give_up:
            written, sent, waiting = alert_state(database_url, reference)
            if written and sent == written:
                break
            time.sleep(0.5)
        took = time.monotonic() - reported
        print(f"Machine: {machine_description()}; database {args.db}; {args.workers} worker(s)")
        print(f"Flood: {args.senders} senders for {args.seconds:g} s: {tally.acknowledged} of {tally.posted} SMS "
              f"acknowledged; {backlog_at_report} waiting to be handled when the urgent report was made")
        if written and sent == written:
            print(f"Urgent alert: {sent} SMS sent {took:.1f} s after the report (target {TARGET_SECONDS} s); "
                  f"{waiting} inbound messages still waiting then")
            return 0 if took <= TARGET_SECONDS else 1
        print(f"Urgent alert: NOT sent within {args.give_up:g} s ({sent} of {written} alert SMS sent)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
