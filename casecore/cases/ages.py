"""A child's age in whole years, from a date of birth."""
from __future__ import annotations

from datetime import date


def age_on(born: date, today: date) -> int:
    """Whole years from born to today."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
