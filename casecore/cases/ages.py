"""A child's age in whole years, from a date of birth."""
from __future__ import annotations

from datetime import date


def age_on(born: date, today: date) -> int:
    """Whole years from born to today."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def current_age(born: date | None, given: int | None, today: date) -> int | None:
    """The age today: from the date of birth when there is one, else the age recorded (None: not recorded)."""
    return age_on(born, today) if born is not None else given
