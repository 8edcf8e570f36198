"""Keeping the usual periods' indicators fresh: the scheduler enqueues one job per organisation every
INDICATORS_REFRESH_MINUTES; the job counts this and last month and quarter and keeps them (casecore.indicators.kept),
so a supervisor opening the indicators reads them instead of waiting for the count."""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bootstrap import Runtime, bootstrap
from casecore.base import utcnow
from casecore.indicators.collect import VIEWER_ROLES
from casecore.indicators.kept import KEPT_SECONDS, compute_sets, keep, kept_key, usual_periods
from casecore.people.models import User

log = logging.getLogger(__name__)


def refresh_indicators(organisation_id: str) -> int:
    """Count and keep the organisation's indicators for the usual periods; returns the periods kept."""
    return refresh_for(bootstrap(), uuid.UUID(organisation_id))


def refresh_for(runtime: Runtime, organisation_id: uuid.UUID, now: datetime | None = None) -> int:
    """refresh_indicators with a given runtime (and clock, for tests)."""
    now = now or utcnow()
    settings, store = runtime.settings, runtime.redis
    started = time.monotonic()
    periods = usual_periods(now.astimezone(runtime.zone).date(), runtime.zone)
    for period in periods:
        with runtime.unit_of_work(read_only=True) as session:
            sets = compute_sets(session, organisation_id, period, min_cell=settings.INDICATOR_MIN_CELL,
                                caseload_limit=settings.CASELOAD_LIMIT, now=now)
        # Kept a while past the next refresh: a late or failed one leaves the last figures, which say their age.
        seconds = max(KEPT_SECONDS, 3 * 60 * settings.INDICATORS_REFRESH_MINUTES)
        for kind, kept in sets.items():
            keep(store, kept_key(organisation_id, period, settings.INDICATOR_MIN_CELL, kind), kept, seconds)
        try:
            # The CSV's text is made again from the fresh figures at the next download.
            store.delete(kept_key(organisation_id, period, settings.INDICATOR_MIN_CELL, "csv"))
        except Exception as exc:  # noqa: BLE001 - the old text says when it was computed
            log.warning("kept CSV not cleared (%s)", exc.__class__.__name__)
    log.info("indicators of organisation %s kept for %d periods in %.1f s", organisation_id, len(periods),
             time.monotonic() - started)
    return len(periods)


def organisations_to_refresh(session: Session) -> list[uuid.UUID]:
    """The organisations with someone who may read their indicators (an active supervisor or administrator)."""
    return list(session.scalars(select(User.organisation_id).where(
        User.role.in_(VIEWER_ROLES), User.is_active.is_(True)).distinct()))
