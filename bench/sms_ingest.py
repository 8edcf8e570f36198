"""`make bench-ingest`: SMS and WhatsApp messages posted as fast as the machine allows, then checked end to end.

Runs `--groups` copies of the Procfile's `web` line (each on its own port, as separate hosts would) on a fresh
PostgreSQL database with the demo data and one redis-server, production settings (AT token in the callback URL,
Twilio signatures checked, rate limits as configured by default). Clients post Africa's Talking SMS and signed Twilio
SMS and WhatsApp messages for a fixed window and count what was acknowledged; then `--workers` copies of the
Procfile's `worker` line answer the inbox through fake AT and Twilio messaging APIs on 127.0.0.1, and the check says
whether every acknowledged message was stored once and answered once, and nothing else. Writes bench/ingest_results.md.
"""
from __future__ import annotations

import argparse
import http.client
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import postgres_database  # noqa: E402
from bench.ingest_check import (  # noqa: E402
    check,
    group_cpu_with_children,
    gunicorn_workers,
    recipients,
    resident_mb,
    tree_cpu_seconds,
    waiting,
)
from bench.ingest_load import TWILIO_ACCOUNT, TWILIO_NUMBER, TWILIO_WHATSAPP, Clients, Plan, Target  # noqa: E402
from bench.servers import (  # noqa: E402
    BENCH_KEYS,
    Gunicorn,
    machine_description,
    machine_ticks,
    prepare_database,
    process_cpu_seconds,
    start_group,
    stop_group,
)

TARGET_PER_SECOND = 1000
AT_TOKEN, TWILIO_TOKEN = "bench-at-token", "bench-twilio-token"
PUBLIC_BASE_URL = "https://relais.example.org"


def procfile_command(name: str) -> str:
    """A line of the Procfile, as honcho runs it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, colon, command = line.partition(":")
        if colon and key.strip() == name:
            return command.strip()
    raise SystemExit(f"Procfile has no {name}: line")


def wait_until_answering(port: int, web: Gunicorn, timeout: float = 30) -> None:
    """Return once the web group answers HTTP at all (a webhook's first call would store a message)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.process.poll() is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/login")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise SystemExit(f"gunicorn did not answer on port {port}:\n{web.log_path.read_text(errors='replace')[-3000:]}")



def profile_workers(webs: list[Gunicorn], seconds: float, out: Path) -> list[subprocess.Popen]:
    """py-spy on every gunicorn worker for the measured window: the thread holding the GIL, i.e. where the CPU goes
    (collapsed stacks, one file per worker)."""
    spy = Path(sys.executable).parent / "py-spy"
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250",
                              "--gil", "--format", "raw", "--output", str(out / f"worker-{pid}.txt"), "--nonblocking"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for web in webs for pid in gunicorn_workers(web.process.pid)]


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="measured window")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=48, help="client threads, one connection each")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--per-sender", type=int, default=5, help="messages per sender (its limit is 30/600)")
    parser.add_argument("--groups", type=int, default=1, help="web process groups, each as a host would run one")
    parser.add_argument("--workers", type=int, default=2, help="worker processes that drain the inbox afterwards")
    parser.add_argument("--drain-timeout", type=float, default=3600)
    parser.add_argument("--no-drain", action="store_true",
                        help="measure the webhook only: no workers, no check (for profiling)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy every gunicorn worker during the window into DIR")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/ingest_results.md")
    args = parser.parse_args(argv)
    if not (1 <= args.concurrency <= 250 and 1 <= args.processes <= 8):
        parser.error("at most 250 client threads in at most 8 processes (each sender's number must be its own)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run it; 0 when nothing was lost and the target was met, 1 otherwise."""
    args = parse_args(argv)
    from tests.fakes.africastalking import FakeAfricasTalking
    from tests.fakes.twilio import FakeTwilio
    from tests.servers import RedisServer, free_port

    signal.signal(signal.SIGTERM, _interrupt)  # so `kill` stops every process it started, as Ctrl-C does
    with tempfile.TemporaryDirectory(prefix="relais-ingest-bench-") as tmp, ExitStack() as stack:
        database_url, postgres_pid = stack.enter_context(postgres_database())
        prepare_database(database_url)
        redis_server = RedisServer()
        stack.callback(redis_server.stop)
        at_fake = stack.enter_context(FakeAfricasTalking())
        twilio_fake = stack.enter_context(FakeTwilio(account_sid=TWILIO_ACCOUNT, auth_token=TWILIO_TOKEN))
        env = {**os.environ, "WEB_BIND": "127.0.0.1", "DATABASE_URL": database_url, "REDIS_URL": redis_server.url,
               **BENCH_KEYS, "MEDIA_DIR": str(Path(tmp) / "media"),
               # Production settings: the token and signatures are checked, the rate limits are the defaults.
               "AT_WEBHOOK_TOKEN": AT_TOKEN, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
               "SMS_BACKEND": "africastalking", "AT_API_URL": at_fake.url, "AT_API_KEY": "bench",
               "AT_USERNAME": "bench",
               "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT, "TWILIO_API_URL": twilio_fake.base_url,
               "TWILIO_CONTENT_API_URL": twilio_fake.base_url, "TWILIO_SMS_FROM": TWILIO_NUMBER,
               "TWILIO_WHATSAPP_FROM": f"whatsapp:{TWILIO_WHATSAPP}",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        for name in [key for key in env if key.startswith("RATE_LIMIT_") or key == "DEVELOPMENT"]:
            del env[name]
        ports = tuple(free_port() for _ in range(args.groups))
        webs = []
        for n, port in enumerate(ports):
            webs.append(Gunicorn(procfile_command("web"), {**env, "PORT": str(port)}, Path(tmp) / f"web{n}.log"))
            stack.callback(webs[-1].stop)
        for web, port in zip(webs, ports, strict=True):
            wait_until_answering(port, web)
        print(f"Posting: {args.groups} web group(s) on ports {', '.join(map(str, ports))}, {args.concurrency} "
              f"clients, {args.warmup:g} s warm-up + {args.seconds:g} s ...", flush=True)
        now = time.monotonic()
        plan = Plan(Target(ports, AT_TOKEN, TWILIO_TOKEN, PUBLIC_BASE_URL), start_at=now + 1,
                    measure_from=now + 1 + args.warmup, stop_at=now + 1 + args.warmup + args.seconds,
                    per_sender=args.per_sender)
        clients = Clients(plan, args.concurrency, args.processes)
        stack.callback(clients.stop)
        time.sleep(max(0.0, plan.measure_from - time.monotonic()))
        spies = profile_workers(webs, args.seconds, Path(args.profile)) if args.profile else []
        web_from, pg_from, redis_from = (sum(w.cpu_seconds() for w in webs), tree_cpu_seconds(postgres_pid),
                                         process_cpu_seconds(redis_server.process.pid))
        busy_from, total_from = machine_ticks()
        time.sleep(max(0.0, plan.stop_at - time.monotonic()))
        web_cpu = sum(w.cpu_seconds() for w in webs) - web_from
        pg_cpu = tree_cpu_seconds(postgres_pid) - pg_from
        redis_cpu = process_cpu_seconds(redis_server.process.pid) - redis_from
        busy_to, total_to = machine_ticks()
        tallies = clients.collect()
        for spy in spies:
            spy.wait(timeout=60)
        rss_after_posting = [resident_mb(pid) for web in webs for pid in gunicorn_workers(web.process.pid)]
        acknowledged = [a for t in tallies for a in t.acknowledged]
        latencies = sorted(x for t in tallies for x in t.latencies)
        drain = None
        if not args.no_drain:
            print(f"Draining: {len(acknowledged)} acknowledged messages, {args.workers} worker(s) ...", flush=True)
            drain = drain_inbox(args, env, database_url, Path(tmp), stack)
            drain["verdict"] = check(database_url, acknowledged, recipients(at_fake.requests, twilio_fake.requests))
        rss = {pid: resident_mb(pid) for web in webs for pid in gunicorn_workers(web.process.pid)}
        report = render(args, tallies, latencies, web_cpu, pg_cpu, redis_cpu,
                        (busy_to - busy_from) / max(1, total_to - total_from), drain, rss_after_posting, rss)
    print("\n" + report)
    if not args.no_write:
        (ROOT / "bench" / "ingest_results.md").write_text(report)
        print("Written to bench/ingest_results.md")
    per_second = sum(len(t.latencies) for t in tallies) / args.seconds
    return 0 if drain and drain["verdict"].nothing_lost and per_second >= TARGET_PER_SECOND else 1


def drain_inbox(args, env: dict[str, str], database_url: str, tmp: Path, stack: ExitStack) -> dict:
    """Run the Procfile's worker line `--workers` times until every inbound message is handled and every reply
    sent (or `--drain-timeout`); how long it took, what was left and the workers' CPU."""
    started = time.monotonic()
    workers = [start_group(procfile_command("worker"), env, tmp / f"worker{n}.log") for n in range(args.workers)]
    for worker in workers:
        stack.callback(stop_group, worker)
    cpu = 0.0
    left = waiting(database_url)
    while any(left) and time.monotonic() - started < args.drain_timeout:
        time.sleep(2)
        cpu = sum(group_cpu_with_children(worker.pid) for worker in workers)
        left = waiting(database_url)
    seconds = time.monotonic() - started
    for worker in workers:
        stop_group(worker)
    return {"seconds": seconds, "left": left, "worker_cpu": cpu}


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    rank = -(-p * len(values) // 100)
    return 1000 * values[min(len(values), max(1, int(rank))) - 1]


def render(args, tallies, latencies, web_cpu, pg_cpu, redis_cpu, busy, drain, rss_after_posting, rss) -> str:
    """The Markdown report."""
    counted = len(latencies)
    per_second = counted / args.seconds
    client_cpu = sum(t.cpu_seconds for t in tallies)
    cores = os.cpu_count() or 1
    other = max(0.0, busy * cores - (web_cpu + pg_cpu + redis_cpu + client_cpu) / args.seconds)
    by_kind = {}
    for t in tallies:
        for kind, n in t.by_kind.items():
            by_kind[kind] = by_kind.get(kind, 0) + n
    errors = sum(t.errors for t in tallies)
    samples = [e for t in tallies for e in t.error_samples][:5]
    workers, threads = os.environ.get("WEB_CONCURRENCY") or "3", os.environ.get("WEB_THREADS") or "4"
    lines = [
        f"# SMS and WhatsApp ingest benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", "",
        f"- Machine: {machine_description()}; Python {platform.python_version()}",
        f"- Command: `{shlex.join([Path(sys.executable).name, *sys.argv])}` (in the repository root)",
        f"- Server: {args.groups} web group(s), each the Procfile `web` line ({workers} gunicorn workers x "
        f"{threads} threads); PostgreSQL (fresh, default settings, demo data); one redis-server; then "
        f"{args.workers} Procfile `worker` process(es); replies through fake AT and Twilio APIs on 127.0.0.1",
        f"- Load: {args.concurrency} client threads in {args.processes} processes, keep-alive, back to back; AT SMS "
        f"(token), Twilio SMS and WhatsApp (signed) in turn, {args.per_sender} messages per sender; "
        f"{args.warmup:g} s warm-up, {args.seconds:g} s measured", "",
        "| acknowledged/s | p50 ms | p95 ms | p99 ms | errors | gunicorn CPU ms/msg | gunicorn CPU | PostgreSQL CPU "
        "| Redis CPU | client CPU | other CPU | machine busy |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| **{per_second:.0f}** | {_percentile(latencies, 50):.1f} | {_percentile(latencies, 95):.1f} | "
        f"**{_percentile(latencies, 99):.1f}** | {errors} | {1000 * web_cpu / max(1, counted):.2f} | "
        f"{100 * web_cpu / args.seconds:.0f}% | {100 * pg_cpu / args.seconds:.0f}% | "
        f"{100 * redis_cpu / args.seconds:.0f}% | {100 * client_cpu / args.seconds:.0f}% | {100 * other:.0f}% | "
        f"{100 * busy:.0f}% |", "",
        f"- In the window by kind: {', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))}; CPU ms per message: "
        f"PostgreSQL {1000 * pg_cpu / max(1, counted):.2f}, Redis {1000 * redis_cpu / max(1, counted):.2f}",
    ]
    if samples:
        lines.append(f"- Error samples: {'; '.join(samples)}")
    lines.append(f"- Target: {TARGET_PER_SECOND} acknowledged/s on 2 cores: "
                 f"**{'met' if per_second >= TARGET_PER_SECOND else 'MISSED'}**")
    if drain is not None:
        v = drain["verdict"]
        lines += [
            "", f"## After the workers drained ({drain['seconds']:.0f} s, "
            f"{v.acknowledged / max(drain['seconds'], 0.001):.1f} messages/s, worker CPU "
            f"{1000 * drain['worker_cpu'] / max(1, v.acknowledged):.0f} ms per message; still waiting: "
            f"{drain['left'][0]} inbound, {drain['left'][1]} replies)", "",
            f"- Acknowledged (window and warm-up): {v.acknowledged} from {v.senders} senders; in the inbox: "
            f"{v.stored}, handled: {v.processed}, other statuses: {dict(v.not_processed) or 'none'}",
            f"- Acknowledged but not stored: {v.missing}; stored but never acknowledged: {v.not_acknowledged}",
            f"- Replies: {v.reply_rows} in the outbox, {v.reply_rows_sent} sent; at the fake providers: unanswered "
            f"{v.unanswered}, answered more than once {v.answered_twice}, sent to numbers that wrote nothing "
            f"{v.other_sends}",
            f"- Nothing lost, nothing twice: **{'yes' if v.nothing_lost else 'NO'}**",
        ]
    lines += [
        "",
        "## Memory of the gunicorn workers (target < 150 MB)", "",
        f"- After posting: {', '.join(f'{mb:.0f}' for mb in rss_after_posting)} MB; after the drain: "
        f"{', '.join(f'{mb:.0f}' for mb in rss.values())} MB; "
        f"**{'met' if rss and max(rss.values()) < 150 else 'MISSED'}**",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
