"""The daily retention purge (casecore.retention): the scheduler enqueues it once a day, whichever scheduler first."""
from __future__ import annotations

from bootstrap import Runtime, bootstrap
from casecore.retention import RetentionPolicy, purge


def purge_expired(day: str) -> dict[str, int]:
    """RQ job: remove what is past its retention period (day: the day it was enqueued for); returns the counts."""
    return run_purge(bootstrap())


def run_purge(runtime: Runtime) -> dict[str, int]:
    """purge_expired with a given runtime."""
    return purge(runtime.unit_of_work, RetentionPolicy.from_settings(runtime.settings), runtime.media_store).counts()
