"""`make bench`: complete USSD sessions against gunicorn run exactly as the Procfile's `web` line runs it.

The same load is played against Relais and against a bare Flask app (bench/bare_app.py) on the same gunicorn
command line, one after the other in the same run; both are printed side by side and written to bench/results.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import shlex
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on the path; the project's packages live one level up.
sys.path.insert(0, str(ROOT))

from bench.load import STEP_NAMES, Clients, Plan  # noqa: E402
from bench.servers import (BENCH_KEYS, Gunicorn, machine_description, machine_ticks, prepare_database,  # noqa: E402
                           process_cpu_seconds, procfile_web_command, with_app_target)

BARE_TARGET = "bench.bare_app:create_app()"
TARGET_RATIO, TARGET_P99_MS = 0.5, 150.0
APP, BARE = "Relais (full USSD sessions)", "bare Flask (fixed CON)"


@dataclass
class Result:
    """The figures for one target; CPU figures are in cores (1.0 = one core busy for the whole window)."""

    label: str
    duration: float
    latencies: list[tuple[int, float]]
    errors: int
    error_samples: list[str]
    sessions: int
    client_cpu: float
    server_cpu: float
    redis_cpu: float
    machine_busy: float

    @property
    def throughput(self) -> float:
        """Answered steps per second."""
        return len(self.latencies) / self.duration

    @property
    def cpu_per_step(self) -> float:
        """Milliseconds of gunicorn CPU per answered step."""
        return 1000 * self.server_cpu / max(1.0, self.throughput)

    @property
    def other_cpu(self) -> float:
        """CPU used by processes outside the benchmark: other people's work skews the figures."""
        return max(0.0, self.machine_busy * (os.cpu_count() or 1) - self.server_cpu - self.redis_cpu - self.client_cpu)

    def percentile(self, p: float, step: int | None = None) -> float:
        """Nearest-rank percentile in milliseconds, of every step or of one step of the path."""
        values = sorted(v for s, v in self.latencies if step is None or s == step)
        if not values:
            return float("nan")
        rank = -(-p * len(values) // 100)
        return 1000 * values[min(len(values), max(1, int(rank))) - 1]


def measure(label: str, command: str, env: dict[str, str], log_dir: Path, redis_pid: int, args) -> Result:
    """Start gunicorn with command, wait until it answers, drive the sessions, stop it."""
    from tests.servers import free_port

    port = free_port()
    server = Gunicorn(command, {**env, "PORT": str(port)}, log_dir / f"{label.split()[0].lower()}.log")
    try:
        server.wait_ready(port)
        print(f"  {label}: {args.concurrency} sessions, {args.warmup:g} s warm-up + {args.duration:g} s ...",
              flush=True)
        now = time.monotonic()
        plan = Plan(port, start_at=now + 1, measure_from=now + 1 + args.warmup,
                    stop_at=now + 1 + args.warmup + args.duration, expect_reference=label == APP)
        clients = Clients(plan, args.concurrency, args.processes)
        try:
            time.sleep(max(0.0, plan.measure_from - time.monotonic()))
            server_from, redis_from, (busy_from, total_from) = (
                server.cpu_seconds(), process_cpu_seconds(redis_pid), machine_ticks())
            time.sleep(max(0.0, plan.stop_at - time.monotonic()))
            server_cpu, redis_cpu = server.cpu_seconds() - server_from, process_cpu_seconds(redis_pid) - redis_from
            busy_to, total_to = machine_ticks()
            tallies = clients.collect()
        finally:
            clients.stop()
    finally:
        server.stop()
    return Result(
        label=label, duration=args.duration, latencies=[x for t in tallies for x in t.latencies],
        errors=sum(t.errors for t in tallies), error_samples=[e for t in tallies for e in t.error_samples][:5],
        sessions=sum(t.sessions for t in tallies), client_cpu=sum(t.cpu_seconds for t in tallies) / args.duration,
        server_cpu=server_cpu / args.duration, redis_cpu=redis_cpu / args.duration,
        machine_busy=(busy_to - busy_from) / max(1, total_to - total_from),
    )


def render(results: list[Result], args, commands: dict[str, str], data: str) -> str:
    """The Markdown report: the table, the verdict against the targets, and Relais's latency per step."""
    workers, threads = os.environ.get("WEB_CONCURRENCY") or "3", os.environ.get("WEB_THREADS") or "4"
    lines = [
        f"# USSD session benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", "",
        f"- Machine: {machine_description()}; Python {platform.python_version()}",
        f"- Command: `{shlex.join([Path(sys.executable).name, *sys.argv])}` (in the repository root)",
        f"- Load: {args.concurrency} concurrent sessions, each the full 13-step French path from dialling to the END "
        f"with a reference, back to back with no think time; {args.processes} client processes, one keep-alive "
        f"connection per session slot; {args.warmup:g} s warm-up, then {args.duration:g} s measured per target",
        f"- Server: the Procfile `web` line, {workers} gunicorn workers x {threads} threads; SQLite (WAL) with "
        f"{data}; a real redis-server over {'a Unix socket' if args.redis == 'unix' else 'loopback TCP'}; no RQ worker (alert jobs stay queued)", "",
        "| target | steps/s | p50 ms | p95 ms | p99 ms | errors | sessions completed | gunicorn CPU ms/step "
        "| gunicorn CPU | redis CPU | client CPU | other CPU | machine busy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.label} | {r.throughput:.0f} | {r.percentile(50):.1f} | {r.percentile(95):.1f} | "
                     f"{r.percentile(99):.1f} | {r.errors} | {r.sessions} | {r.cpu_per_step:.2f} | "
                     f"{100 * r.server_cpu:.0f}% | {100 * r.redis_cpu:.0f}% | {100 * r.client_cpu:.0f}% | "
                     f"{100 * r.other_cpu:.0f}% | {100 * r.machine_busy:.0f}% |")
    lines += ["", "CPU columns are % of one core; machine busy is % of all cores. gunicorn CPU ms/step is what one "
              "answered step costs the server, the figure least moved by noise on the machine.", ""]
    if any(r.other_cpu > 0.1 for r in results):
        lines += ["**Warning:** processes outside the benchmark used CPU during the run (other CPU): the figures "
                  "are low and the comparison is skewed. Run it again on a quiet machine.", ""]
    by_label = {r.label: r for r in results}
    app, bare = by_label.get(APP), by_label.get(BARE)
    if app and bare:
        ratio = app.throughput / bare.throughput
        lines.append(f"- Throughput Relais / bare: **{ratio:.2f}** (target >= {TARGET_RATIO:.2f}): "
                     f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}")
    if app:
        p99 = app.percentile(99)
        lines.append(f"- Relais p99 step latency: **{p99:.1f} ms** (target < {TARGET_P99_MS:.0f} ms): "
                     f"{'met' if p99 < TARGET_P99_MS else 'MISSED'}")
        lines += ["", "Relais latency per step of the path (ms):", "", "| # | step | p50 | p99 |",
                  "|---:|---|---:|---:|"]
        lines += [f"| {n} | {name} | {app.percentile(50, n):.1f} | {app.percentile(99, n):.1f} |"
                  for n, name in enumerate(STEP_NAMES)]
    for r in results:
        if r.error_samples:
            lines += ["", f"First errors ({r.label}): " + "; ".join(r.error_samples)]
    lines += ["", "gunicorn command lines (run with `bash -c`, PORT and WEB_BIND=127.0.0.1 set):", ""]
    lines += [f"- {label}: `{command}`" for label, command in commands.items()]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per target (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before that (default 3)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent sessions (default 50)")
    parser.add_argument("--processes", type=int, default=2, help="client processes sharing them (default 2)")
    parser.add_argument("--only", choices=("app", "bare"), help="measure one target only")
    parser.add_argument("--redis", choices=("tcp", "unix"), default="tcp",
                        help="how the web processes reach Redis: loopback TCP (default) or a Unix socket")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.warmup < 0 or args.concurrency < 1 or not 1 <= args.processes <= args.concurrency:
        parser.error("need duration > 0, warm-up >= 0, concurrency >= 1 and 1 <= processes <= concurrency")
    return args


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran (whether or not the targets were met), 130 when interrupted."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # so `kill` cleans up like Ctrl-C does
    from tests.servers import RedisServer

    app_command = procfile_web_command()
    commands = {BARE: with_app_target(app_command, BARE_TARGET), APP: app_command}
    wanted = {"app": [APP], "bare": [BARE]}.get(args.only, [BARE, APP])
    results: list[Result] = []
    redis_server = None
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp:
        try:
            database_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            data = prepare_database(database_url)
            redis_server = RedisServer(unix_socket=args.redis == "unix")
            env = {**os.environ, "WEB_BIND": "127.0.0.1", "DATABASE_URL": database_url,
                   "REDIS_URL": redis_server.url, **BENCH_KEYS, "SMS_BACKEND": "console",
                   "DEVELOPMENT": "true",  # no AT_WEBHOOK_TOKEN: the path measured since issue 2
                   # Every session comes from 127.0.0.1: the limit is counted on first steps but never reached.
                   "RATE_LIMIT_PER_SOURCE": "1000000000/60",
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
            print(f"Benchmarking on {machine_description()}", flush=True)
            for label in wanted:
                results.append(measure(label, commands[label], env, Path(tmp), redis_server.process.pid, args))
        except KeyboardInterrupt:
            print("\nInterrupted: servers stopped, nothing written.", file=sys.stderr)
            return 130
        finally:
            if redis_server is not None:
                redis_server.stop()
    report = render(results, args, commands, data)
    print("\n" + report)
    if not args.no_write:
        (ROOT / "bench" / "results.md").write_text(report)
        print("Written to bench/results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
