"""Instructions a whole USSD session costs inside one process, counted by valgrind's callgrind: a measure the load on
the machine does not move, for comparing two versions of the code when `make bench` varies more than they differ.

    python bench/step_instructions.py [--sessions 25] [--baseline 5]

Plays `--baseline` then `--sessions` whole sessions (the 13 steps of bench/load.py, a new number each) through the
WSGI app in two processes under callgrind, on SQLite prepared beforehand and a real redis-server (both outside
valgrind), and prints the difference divided by the difference in sessions: start-up, imports and caches cancel out
(a plain run first compiles every module, which would otherwise weigh on the first count only).
Identical runs agree within about 0.5 %; two checkouts of one commit may not (3 % apart once, cause not found), so
compare versions in one checkout (`git checkout <commit> -- .` between runs). Needs valgrind (`apt-get install
valgrind`); about three minutes.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import logs  # noqa: E402

# Sessions played before counting in both runs, so that every cache is warm in both and cancels out.
WARM_SESSIONS = 5


def play(database_url: str, redis_url: str, sessions: int) -> None:
    """The child: play sessions whole sessions through the app (under callgrind)."""
    from app import create_app
    from bench.load import TEXTS, check_answer
    from bench.step_cost import environ_for
    from tests.conftest import make_settings

    app = create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url,
                                   RATE_LIMIT_PER_SOURCE="1000000000/60"))
    for n in range(WARM_SESSIONS + sessions):
        session, phone = f"ATUid_instructions_{time.time_ns()}_{n}", f"+2237{6 + n % 3}{n:06d}"
        for step, text in enumerate(TEXTS):
            body = b"".join(app(environ_for(text, session, phone), lambda status, headers: None))
            wrong = check_answer(step, 200, body, expect_reference=True)  # the path as a person walks it
            assert wrong is None, wrong


def counted(database_url: str, redis_url: str, sessions: int) -> int:
    """Instructions callgrind counted for a child playing sessions sessions."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
         "--child", database_url, redis_url, str(sessions)],
        capture_output=True, text=True,
        # A fixed hash seed: dictionaries laid out alike in both runs.
        env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        sys.exit(f"the child failed under valgrind:\n{run.stderr[-3000:]}")
    return int(found.group(1))


@contextmanager
def prepared_database() -> Iterator[str]:
    """A fresh SQLite database with the schema and the demo data, as the benchmarks have it; its URL."""
    from bench.servers import prepare_database

    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/instructions.db"
        prepare_database(database_url)
        yield database_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--baseline", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("DATABASE_URL", "REDIS_URL", "SESSIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        # Lines formatted as the servers format them, written nowhere: the terminal's share is not worth counting.
        logging.basicConfig(stream=open(os.devnull, "w"), level=logging.INFO, format=logs.TEXT_FORMAT, force=True)
        play(args.child[0], args.child[1], int(args.child[2]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    if args.sessions <= args.baseline:
        sys.exit("--sessions must be more than --baseline")
    from bench.load import TEXTS
    from tests.servers import RedisServer

    redis_server = RedisServer()
    try:
        with prepared_database() as database_url:
            # Once without valgrind: every module the path imports, even late, is compiled before counting. A module
            # compiled in the first counted run made it cost more, and the figure came out low.
            subprocess.run([sys.executable, __file__, "--child", database_url, redis_server.url, "0"],
                           check=True, capture_output=True)
        counts = {}
        for sessions in (args.baseline, args.sessions):
            with prepared_database() as database_url:
                counts[sessions] = counted(database_url, redis_server.url, sessions)
    finally:
        redis_server.stop()
    per_session = (counts[args.sessions] - counts[args.baseline]) / (args.sessions - args.baseline)
    print(f"{per_session / 1e6:.2f} M instructions a session, {per_session / len(TEXTS) / 1e3:.0f} K a step "
          f"({args.sessions} minus {args.baseline} sessions, callgrind)")


if __name__ == "__main__":
    main()
