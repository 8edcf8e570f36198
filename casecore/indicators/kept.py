"""Computed indicators kept in a shared store (Redis) per organisation and period, with the time they were computed:
a quarter of 100,000 reports takes about half a second to count, so pages read what a worker keeps fresh for the
periods people ask for most (the current and last month and quarter), and count afresh only for other periods.

Three sets per organisation and period: "crossed" (everything, the CSV's), "page" (all but the sex x age band x
concern x region tables, which no page shows) and "trend" (the months before). Withholding small cells works within
each breakdown and its margins, never across to a crossed table, so the page's set is the crossed set without those
tables. The store is any client with Redis's get and set (ex=): no web process keeps figures of its own.
"""
from __future__ import annotations

import json
import logging
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy.orm import Session

from casecore.indicators.cells import suppress
from casecore.indicators.collect import indicators
from casecore.indicators.intake import CROSSED
from casecore.indicators.trends import monthly_trend
from casecore.indicators.values import Value
from casecore.periods import Period, calendar_period

log = logging.getLogger(__name__)

# Kept this long; a worker refreshing them more often than this means they never run out for the usual periods.
KEPT_SECONDS = 600
SETS = ("crossed", "page", "trend")


@dataclass(frozen=True)
class Kept:
    """One set of an organisation's values for a period, and when they were computed."""

    values: list[Value]
    computed_at: datetime


def kept_key(organisation_id: uuid.UUID, period: Period, min_cell: int, kind: str) -> str:
    """The store's key of one set (kind: crossed, page, trend, or csv for the CSV's text); with the zone, so a
    changed TIME_ZONE never reads days counted in another."""
    return f"relais:indicators:{organisation_id}:{period.first}:{period.last}:{period.zone}:{min_cell}:{kind}"


def read_kept(store, key: str) -> Kept | None:
    """The set kept under key, or None when it is not there, unreadable, or the store is down."""
    try:
        raw = store.get(key)
        if not raw:
            return None
        kept = json.loads(raw)
        return Kept([Value(name, value, tuple(tuple(pair) for pair in by), withheld)
                     for name, value, by, withheld in kept["values"]], datetime.fromisoformat(kept["at"]))
    except Exception as exc:  # noqa: BLE001 - a store that cannot answer means counting afresh, never an error
        log.warning("kept indicators unreadable (%s): counting afresh", exc.__class__.__name__)
        return None


def keep(store, key: str, kept: Kept, seconds: int = KEPT_SECONDS) -> None:
    """Keep a set for seconds; a store that is down only means counting again next time."""
    try:
        store.set(key, json.dumps({"at": kept.computed_at.isoformat(), "values": [
            [v.indicator, v.value, v.by, v.suppressed] for v in kept.values]}), ex=seconds)
    except Exception as exc:  # noqa: BLE001 - as above
        log.warning("indicators not kept (%s)", exc.__class__.__name__)


def compute_sets(session: Session, organisation_id: uuid.UUID, period: Period, *, min_cell: int,
                 caseload_limit: int, now: datetime, kinds: tuple[str, ...] = SETS) -> dict[str, Kept]:
    """The sets asked for, computed now (the page's from the crossed set when both are asked for)."""
    found: dict[str, Kept] = {}
    if "crossed" in kinds:
        found["crossed"] = Kept(indicators(session, organisation_id, period, min_cell=min_cell,
                                           caseload_limit=caseload_limit, now=now), now)
    if "page" in kinds:
        if "crossed" in found:
            found["page"] = Kept([v for v in found["crossed"].values if v.dimensions != CROSSED], now)
        else:
            found["page"] = Kept(indicators(session, organisation_id, period, min_cell=min_cell,
                                            caseload_limit=caseload_limit, now=now, crossed=False), now)
    if "trend" in kinds:
        found["trend"] = Kept(suppress(monthly_trend(session, organisation_id, period), min_cell), now)
    return found


def kept_or_computed(store, open_session: Callable[[], AbstractContextManager[Session]], organisation_id: uuid.UUID,
                     period: Period, *, min_cell: int, caseload_limit: int, now: datetime, kind: str) -> Kept:
    """One set of the organisation's values for the period: as kept in the store when it is there (a worker keeps the
    usual periods fresh), else computed in a session opened for it, and kept."""
    key = kept_key(organisation_id, period, min_cell, kind)
    found = read_kept(store, key)
    if found is None:
        with open_session() as session:
            found = compute_sets(session, organisation_id, period, min_cell=min_cell, caseload_limit=caseload_limit,
                                 now=now, kinds=(kind,))[kind]
        keep(store, key, found)
    return found


def usual_periods(today: date, zone) -> list[Period]:
    """The periods a worker keeps fresh: this month and the last, this quarter and the last (in days of zone)."""
    this_month = calendar_period(today.strftime("%Y-%m"), zone)
    last_month = calendar_period((this_month.first - timedelta(days=1)).strftime("%Y-%m"), zone)
    quarter = (today.month - 1) // 3 + 1
    this_quarter = calendar_period(f"{today.year}-Q{quarter}", zone)
    before = this_quarter.first - timedelta(days=1)
    last_quarter = calendar_period(f"{before.year}-Q{(before.month - 1) // 3 + 1}", zone)
    return [this_month, last_month, this_quarter, last_quarter]
