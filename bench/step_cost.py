"""CPU time of each USSD step inside one process, without HTTP: where to look before running the full benchmark.

    python bench/step_cost.py [--sessions 300] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.bare_app import create_app as create_bare_app  # noqa: E402
from bench.load import TEXTS as PATH_TEXTS  # noqa: E402
from bench.servers import prepare_database  # noqa: E402
from tests.servers import RedisServer  # noqa: E402

# Process CPU time: what a step costs this process, not what it waits for (Redis, the machine being busy).
CLOCK = time.process_time


def environ_for(text: str, session: str, phone: str) -> dict:
    """The WSGI environ of one AT step, built ahead so only the app is timed."""
    form = {"sessionId": session, "serviceCode": "*384*1234#", "phoneNumber": phone,
            "networkCode": "99999", "text": text}
    return EnvironBuilder(path="/webhooks/africastalking/ussd", method="POST", data=form).get_environ()


def run(app, sessions: int) -> list[float]:
    """Play sessions whole sessions; return the mean seconds per step for each step of the path."""
    totals = [0.0] * len(PATH_TEXTS)
    for n in range(sessions):
        # One session id and one number per session, as on a phone: the number's language is not yet known.
        session, phone = f"ATUid_cost_{time.time_ns()}_{n}", f"+22376{n % 1000000:06d}"
        for i, text in enumerate(PATH_TEXTS):
            environ = environ_for(text, session, phone)
            started = CLOCK()
            body = b"".join(app(environ, lambda status, headers: None))
            totals[i] += CLOCK() - started
            assert body.startswith(b"CON ") or body.startswith(b"END "), body
    return [t / sessions for t in totals]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    args = parser.parse_args()
    redis_server = RedisServer()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from app import create_app
            from tests.conftest import make_settings

            url = f"sqlite:///{tmp}/bench.db"
            prepare_database(url)
            # Every session comes from one address: a limit that is counted (the first step's cost) but never reached.
            app = create_app(make_settings(DATABASE_URL=url, REDIS_URL=redis_server.url,
                                           RATE_LIMIT_PER_SOURCE="1000000000/60"))
            run(app, 20)  # warm-up: imports, catalogues, caches, pooled connections
            bare = create_bare_app()
            run(bare, 20)
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            relais = run(app, args.sessions)
            if profiler:
                profiler.disable()
            base = run(bare, args.sessions)
            print("step  relais_us  bare_us")
            for i, (r, b) in enumerate(zip(relais, base, strict=True)):
                print(f"{i:>4} {r * 1e6:>10.0f} {b * 1e6:>8.0f}")
            print(f"mean {sum(relais) / len(relais) * 1e6:>10.0f} {sum(base) / len(base) * 1e6:>8.0f}")
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                print(out.getvalue())
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
