"""Counting rows grouped by disaggregations, in SQL, as Values."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from casecore.indicators.values import NONE, Value


def grouped_counts(session: Session, indicator: str, model, conditions: Iterable, columns: Mapping,
                   dimensions: tuple[str, ...], joins: Callable[[Select], Select] | None = None) -> list[Value]:
    """How many rows of model meet conditions, per combination of the dimensions (a column each in columns); the
    total alone when there is none. A combination with no row has no value (it is zero)."""
    keys = [columns[name].label(name) for name in dimensions]
    query = select(*keys, func.count().label("n")).select_from(model).where(*conditions)
    if joins is not None:
        query = joins(query)
    if keys:
        query = query.group_by(*keys)
    rows = session.execute(query).all()
    if not dimensions:
        return [Value(indicator, rows[0].n if rows else 0)]
    return [Value(indicator, row.n, tuple((name, getattr(row, name) or NONE) for name in dimensions))
            for row in sorted(rows, key=lambda r: tuple(str(getattr(r, n) or "") for n in dimensions))]
