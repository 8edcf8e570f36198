"""Summary statistics the figures share, computed in Python where SQLite has no SQL for them, and the SQL for the
hours between two moments on either database."""
from __future__ import annotations

import math

from sqlalchemy import Float, cast, extract, func
from sqlalchemy.orm import Session


def hours_between(session: Session, start, end):
    """SQL: the hours from start to end (two datetime columns), on SQLite or PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return cast(extract("epoch", end - start), Float) / 3600.0


def percentile(values: list[float], fraction: float) -> float | None:
    """The percentile of sorted values, interpolated between the two nearest as PostgreSQL's percentile_cont."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    below, above = math.floor(position), math.ceil(position)
    return values[below] + (values[above] - values[below]) * (position - below)
