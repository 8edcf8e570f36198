"""`python -m workers.worker`, its SQL statements counted for the benchmark (written to the file named by
BENCH_QUERY_COUNT_FILE when it exits); one event listener, a few microseconds a statement."""
from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

statements = 0


def _count(*_args) -> None:
    global statements
    statements += 1


if __name__ == "__main__":
    event.listen(Engine, "before_cursor_execute", _count)
    atexit.register(lambda: Path(os.environ["BENCH_QUERY_COUNT_FILE"]).write_text(str(statements)))
    from workers.worker import main
    sys.exit(main())
