"""Summary statistics the figures share, computed in Python where SQLite has no SQL for them."""
from __future__ import annotations

import math


def percentile(values: list[float], fraction: float) -> float | None:
    """The percentile of sorted values, interpolated between the two nearest as PostgreSQL's percentile_cont."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    below, above = math.floor(position), math.ceil(position)
    return values[below] + (values[above] - values[below]) * (position - below)
