"""CPU cost of one inbound SMS or WhatsApp message inside one process, without HTTP or gunicorn, on PostgreSQL.

    python bench/ingest_cost.py [--messages 3000] [--profile]

The same posts as `make bench-ingest` (AT SMS with the token, signed Twilio SMS and WhatsApp, five per sender), each
stored, committed and enqueued, called through the WSGI app in one thread: the process CPU per message moves far less
with other work on the machine than the full benchmark's throughput does.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twilio.request_validator import RequestValidator  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.bare_app import create_app as create_bare_app  # noqa: E402
from bench.databases import postgres_database  # noqa: E402
from bench.ingest_load import KINDS, TEXTS, TWILIO_ACCOUNT, Target, message, sender_number  # noqa: E402
from bench.servers import BENCH_KEYS, prepare_database  # noqa: E402
from tests.servers import RedisServer  # noqa: E402

AT_TOKEN, TWILIO_TOKEN, PUBLIC_BASE_URL = "cost-at-token", "cost-twilio-token", "https://relais.example.org"


def environs(count: int, offset: int, target: Target) -> list[tuple[dict, bytes]]:
    """count posts as the providers send them, built ahead so only the app is timed."""
    validator = RequestValidator(target.twilio_token)
    posts = []
    for n in range(offset, offset + count):
        round_, turn = divmod(n, 5)
        sender = sender_number(7, 249, round_)  # a range bench-ingest's clients never reach
        _id, path, body, headers = message(KINDS[round_ % len(KINDS)], sender, TEXTS[turn], target, validator)
        url, _, query = path.partition("?")
        environ = EnvironBuilder(path=url, query_string=query, method="POST", data=body, headers=headers,
                                 content_type="application/x-www-form-urlencoded").get_environ()
        posts.append((environ, body))
    return posts


def run(app, posts: list[tuple[dict, bytes]], expect: bool) -> float:
    """Post them all; the process CPU seconds per message."""
    statuses = []
    started = time.process_time()
    for environ, _body in posts:
        b"".join(app(dict(environ), lambda status, headers: statuses.append(status)))
    cpu = time.process_time() - started
    if expect and set(statuses) != {"200 OK"}:
        raise SystemExit(f"not every message was acknowledged: {sorted(set(statuses))}")
    return cpu / len(posts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    args = parser.parse_args()
    redis_server = RedisServer()
    try:
        with postgres_database() as (url, _pid):
            from app import create_app
            from tests.conftest import make_settings

            prepare_database(url)
            app = create_app(make_settings(
                DATABASE_URL=url, REDIS_URL=redis_server.url, SECRET_KEY=BENCH_KEYS["SECRET_KEY"],
                DATA_ENCRYPTION_KEY=BENCH_KEYS["DATA_ENCRYPTION_KEY"], AT_WEBHOOK_TOKEN=AT_TOKEN,
                TWILIO_AUTH_TOKEN=TWILIO_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID=TWILIO_ACCOUNT,
                RATE_LIMIT_PER_SOURCE="1200/60", RATE_LIMIT_MESSAGES_PER_NUMBER="30/600",
                RATE_LIMIT_AUTH_FAILURES_PER_SOURCE="20/600", LOCKOUT_REFRESH_SECONDS=5.0))
            target = Target((0,), AT_TOKEN, TWILIO_TOKEN, PUBLIC_BASE_URL)
            bare = create_bare_app()
            run(app, environs(200, 0, target), expect=True)  # warm-up: imports, caches, pooled connections
            posts = environs(args.messages, 200, target)
            # Timed by process CPU: waiting on PostgreSQL and Redis is not what this measures.
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            if profiler:
                profiler.enable()
            relais = run(app, posts, expect=True)
            if profiler:
                profiler.disable()
            base = run(bare, posts, expect=False)
            print(f"CPU per message, one process, no HTTP: Relais {relais * 1e6:.0f} us, bare Flask "
                  f"{base * 1e6:.0f} us ({args.messages} messages: {', '.join(KINDS)} in turn, "
                  f"{len(TEXTS)} per sender)")
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
                print(out.getvalue())
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
