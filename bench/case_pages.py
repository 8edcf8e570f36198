"""`make bench-cases`: the triage queue, case lists and case pages on 100,000 reports and 20,000 cases.

For each database (SQLite, then a throwaway PostgreSQL): a fresh database through the real migrations, seeded by
bench/case_seed.py, then gunicorn exactly as the Procfile's `web` line runs it; clients log in through the login
form (CSRF and all) and GET the pages back to back. Prints a Markdown table and writes bench/case_results.md.
"""
from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import shlex
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on the path; the project's packages live one level up.
sys.path.insert(0, str(ROOT))

from bench.case_seed import Scale, Seeded, describe, is_seeded, seed  # noqa: E402
from bench.databases import database_size, postgres_database, sqlite_database  # noqa: E402
from bench.page_load import TARGET_P95_MS, Browser, Meters, Page, PageResult, count_statements  # noqa: E402
from bench.page_load import measure_page  # noqa: E402
from bench.servers import BENCH_KEYS, Gunicorn, machine_description, procfile_web_command  # noqa: E402
from casecore.periods import calendar_period  # noqa: E402

RESULTS = ROOT / "bench" / "case_results.md"
# The indicators' page and CSV for a quarter (issue 15): p95 under 500 ms.
INDICATORS_TARGET_MS = 500.0


def pages_for(seeded: Seeded) -> list[Page]:
    """The pages the issues name, and the heavier variants of each."""
    today = datetime.now(timezone.utc).date()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    case_paths = tuple(f"/cases/{case_id}" for case_id in seeded.caseworker_cases)
    fresh_periods = periods_around(quarter)
    return [
        Page("triage queue", f"supervisor ({seeded.new_in_queue} new reports)", seeded.supervisor, ("/triage",),
             '<table class="queue">'),
        Page("case list", f"case worker ({seeded.caseworker_open} active cases)", seeded.caseworker, ("/cases",),
             '<table class="queue">'),
        Page("case list", f"busiest case worker ({seeded.busiest_open} active cases)", seeded.busiest_caseworker,
             ("/cases",), '<table class="queue">'),
        Page("case list", f"supervisor (team: {seeded.team_active_cases} active of {seeded.team_cases} cases)",
             seeded.supervisor, ("/cases",), '<table class="queue">'),
        Page("case page", f"case worker, one of their {len(case_paths)} cases at random", seeded.caseworker,
             case_paths, 'id="timeline"'),
        Page("case page", "case worker, their heaviest case", seeded.caseworker, (f"/cases/{seeded.heaviest_case}",),
             'id="timeline"'),
        Page("case page", "supervisor, one of their team's cases at random (with the case workers to assign)",
             seeded.supervisor, tuple(f"/cases/{case_id}" for case_id in seeded.team_case_sample), 'id="timeline"'),
        Page("indicators", f"supervisor, the quarter {quarter}", seeded.supervisor, (f"/indicators?period={quarter}",),
             'class="tiles"', INDICATORS_TARGET_MS),
        Page("indicators CSV", f"supervisor, the quarter {quarter}", seeded.supervisor,
             (f"/indicators.csv?period={quarter}",), "indicator,period_start", INDICATORS_TARGET_MS),
        Page("indicators", "supervisor, computed afresh (a period not asked for before: the whole quarter and up to "
             "69 days either side)", seeded.supervisor, tuple(f"/indicators?{query}" for query in fresh_periods),
             'class="tiles"', INDICATORS_TARGET_MS),
        Page("indicators CSV", "supervisor, computed afresh (as above)", seeded.supervisor,
             tuple(f"/indicators.csv?{query}" for query in fresh_periods), "indicator,period_start",
             INDICATORS_TARGET_MS),
    ]


def periods_around(quarter: str) -> list[str]:
    """4,900 custom periods, each holding the whole quarter and up to 69 days before and after it: the figures are
    kept per period, so each of these requests (but the few drawn twice) computes them afresh, with at least a
    quarter's reports to count."""
    period = calendar_period(quarter)
    return [f"from={period.first - timedelta(days=before)}&to={period.last + timedelta(days=after)}"
            for before in range(70) for after in range(70)]


# -- one run -----------------------------------------------------------------------------------------------------

@dataclass
class DatabaseRun:
    """Everything measured on one database."""

    kind: str
    seeded: Seeded
    size: int
    results: list[PageResult]
    server_command: str


def run_on(kind: str, database_url: str, database_pid: int | None, args, redis_url: str, log_dir: Path
           ) -> DatabaseRun:
    """Migrate, seed, count statements, start gunicorn from the Procfile and measure every page."""
    from casecore.migrate import upgrade_database
    from tests.servers import free_port

    upgrade_database(database_url)
    if is_seeded(database_url):
        print(f"{kind}: measuring the kept database as it is (seeded earlier; --reports and --cases ignored)",
              flush=True)
        seeded = describe(database_url)
    else:
        print(f"{kind}: seeding {args.reports:,} reports and {args.cases:,} cases ...", flush=True)
        seeded = seed(database_url, scale_from(args), rng_seed=args.seed)
        print(f"  seeded in {seeded.seconds:.0f} s", flush=True)
    pages = pages_for(seeded)
    # Figures kept in Redis by an earlier run (the other database: the same seed gives the same organisation ids
    # and periods) would be read instead of computed.
    redis.Redis.from_url(redis_url).flushdb()
    statements = count_statements(database_url, redis_url, pages)
    command = procfile_web_command()
    port = free_port()
    env = {**os.environ, "WEB_BIND": "127.0.0.1", "PORT": str(port), "DATABASE_URL": database_url,
           "REDIS_URL": redis_url, **BENCH_KEYS, "SMS_BACKEND": "console",
           "DEVELOPMENT": "true",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    server = Gunicorn(command, env, log_dir / f"gunicorn-{kind.lower()}.log")
    results = []
    try:
        wait_for_login_page(server, port)
        rng = random.Random(args.seed)
        for page, count in zip(pages, statements, strict=True):
            print(f"  {page.name}, {page.who}: {args.warmup} + {args.requests} requests, "
                  f"{args.concurrency} clients ...", flush=True)
            result = measure_page(port, page, args.requests, args.concurrency, args.warmup, rng,
                                  Meters(server.process.pid, database_pid))
            result.statements = count
            results.append(result)
    finally:
        server.stop()
    return DatabaseRun(kind, seeded, database_size(database_url), results, command)


def wait_for_login_page(server: Gunicorn, port: int, timeout: float = 30) -> None:
    """Return once GET /login answers 200; stop with the log's tail if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if Browser(port).request("GET", "/login")[0] == 200:
                return
        except (http.client.HTTPException, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port}:\n"
                     f"{server.log_path.read_text(errors='replace')[-3000:]}")


def scale_from(args) -> Scale:
    """The seeding scale the options ask for; the rest grows with the number of cases."""
    small = args.cases < 20_000
    return Scale(reports=args.reports, cases=args.cases, new_reports=args.new_reports,
                 caseworkers=min(200, max(2, args.cases // 100)), supervisors=min(10, max(1, args.cases // 2000)),
                 organisations=min(3, max(1, args.cases // 2000)), services_per_organisation=20 if small else 120,
                 committee_members_per_organisation=5 if small else 40,
                 heaviest_events=min(600, max(50, args.cases // 30)))


# -- the report --------------------------------------------------------------------------------------------------

def render(runs: list[DatabaseRun], args) -> str:
    """The Markdown report: what was seeded, one table per database, the verdict against the target."""
    workers, threads = os.environ.get("WEB_CONCURRENCY") or "3", os.environ.get("WEB_THREADS") or "4"
    postgres = ("the database given" if args.postgres_url else "on TEST_POSTGRES_URL"
                if os.environ.get("TEST_POSTGRES_URL") else "a throwaway cluster with default settings (fsync on)")
    first = runs[0].seeded
    counts = ", ".join(f"{table} {count:,}" for table, count in first.counts.items())
    lines = [
        f"# Case-work pages benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", "",
        f"- Machine: {machine_description()}; Python {platform.python_version()}",
        f"- Command: `{shlex.join([Path(sys.executable).name, *sys.argv])}` (in the repository root)",
        f"- Data (seed {args.seed}, the same on every database): {counts}",
        f"- Load: per page {args.warmup} warm-up then {args.requests} measured GETs, {args.concurrency} clients at "
        f"once, each logged in with its own session through the login form, keep-alive, back to back; latency as "
        f"the client sees it (the whole answer read)",
        f"- Server: the Procfile `web` line, {workers} gunicorn workers x {threads} threads, access log on; SQLite "
        f"in WAL mode as the application opens it (no ANALYZE), PostgreSQL {postgres}, analysed after seeding as "
        f"autovacuum would; a real redis-server, no RQ worker", "",
    ]
    for run in runs:
        seeding = f"seeded in {run.seeded.seconds:.0f} s" if run.seeded.seconds else "a kept database, seeded earlier"
        lines += [f"## {run.kind} ({run.size / 2**20:,.0f} MB, {seeding})", "",
                  "| page | as | requests | p50 ms | p95 ms | p99 ms | max ms | errors | page KB | SQL statements "
                  "| gunicorn CPU ms/request | database CPU | other CPU | p95 target |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in run.results:
            verdict = f"< {r.page.target_ms:.0f} ms: " + ("met" if r.met else "**MISSED**")
            database = f"{100 * r.database_cpu / r.seconds:.0f}%" if r.seconds and r.database_cpu else "-"
            lines.append(f"| {r.page.name} | {r.page.who} | {len(r.latencies)} | {r.percentile(50):.1f} | "
                         f"{r.percentile(95):.1f} | {r.percentile(99):.1f} | {r.percentile(100):.1f} | {r.errors} | "
                         f"{r.bytes / 1024:.0f} | {r.statements if r.statements is not None else '?'} | "
                         f"{r.server_ms_per_request:.1f} | {database} | {100 * r.other_cpu:.0f}% | {verdict} |")
        for r in run.results:
            if r.error_samples:
                lines += ["", f"First errors ({r.page.name}, {r.page.who}): " + "; ".join(r.error_samples)]
        lines.append("")
    missed = [f"{run.kind}: {r.page.name}, {r.page.who}" for run in runs for r in run.results if not r.met]
    lines.append(f"**Targets (p95 < {TARGET_P95_MS:.0f} ms; {INDICATORS_TARGET_MS:.0f} ms for the indicators): "
                 + ("met on every page.**" if not missed else "MISSED** for " + "; ".join(missed) + "."))
    if any(r.other_cpu > 0.1 for run in runs for r in run.results):
        lines += ["", "**Warning:** processes outside the benchmark used CPU while it measured (other CPU above "
                  "10% of a core): latencies are inflated. Run it again on a quiet machine; gunicorn CPU ms/request "
                  "is the figure least moved by that."]
    lines += ["", "SQL statements: what one request of the page runs (counted in-process after a first request; "
              "includes loading the logged-in user and writing the audit record). CPU columns are % of one core "
              "over the measured requests; database CPU is the PostgreSQL server's when it runs here and says where "
              "its data is (else it counts as other CPU).", "",
              "gunicorn command line (run with `bash -c`, PORT and WEB_BIND=127.0.0.1 set): "
              f"`{runs[0].server_command}`"]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both",
                        help="which databases to measure (default both)")
    parser.add_argument("--reports", type=int, default=100_000, help="reports seeded (default 100,000)")
    parser.add_argument("--cases", type=int, default=20_000, help="cases seeded (default 20,000)")
    parser.add_argument("--new-reports", type=int, default=3_000, help="reports still new (default 3,000)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests before them (default 20)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients at once (default 4)")
    parser.add_argument("--seed", type=int, default=5, help="random seed of the data and the pages picked")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/case_results.md alone")
    parser.add_argument("--sqlite-file", metavar="PATH",
                        help="keep the SQLite database in this file: seeded when new, measured as it is after")
    parser.add_argument("--postgres-url", metavar="URL",
                        help="an existing PostgreSQL database to use and keep: seeded when empty, as it is after")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0 or args.concurrency < 1:
        parser.error("need requests >= 1, warm-up >= 0 and concurrency >= 1")
    try:
        scale_from(args).check()
    except ValueError as error:
        parser.error(str(error))
    return args


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran (whether or not the target was met), 130 when interrupted."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # so `kill` cleans up like Ctrl-C does
    from tests.servers import RedisServer

    kinds = {"sqlite": ["SQLite"], "postgresql": ["PostgreSQL"]}.get(args.db, ["SQLite", "PostgreSQL"])
    runs: list[DatabaseRun] = []
    print(f"Benchmarking case-work pages on {machine_description()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="relais-bench-cases-") as tmp:
        redis_server = None
        try:
            redis_server = RedisServer()
            for kind in kinds:
                database = (sqlite_database(Path(tmp), args.sqlite_file) if kind == "SQLite"
                            else postgres_database(args.postgres_url))
                with database as (url, pid):
                    runs.append(run_on(kind, url, pid, args, redis_server.url, Path(tmp)))
        except KeyboardInterrupt:
            print("\nInterrupted: servers stopped, nothing written.", file=sys.stderr)
            return 130
        finally:
            if redis_server is not None:
                redis_server.stop()
    report = render(runs, args)
    print("\n" + report)
    if not args.no_write:
        RESULTS.write_text(report)
        print(f"Written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
