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


def rolled_up_counts(session: Session, indicator: str, model, conditions: Iterable, columns: Mapping,
                     breakdowns: Iterable[tuple[str, ...]], joins: Callable[[Select], Select] | None = None
                     ) -> list[Value]:
    """grouped_counts for each breakdown, from one query grouped by all their dimensions together and summed up
    in Python: for breakdowns over few values (risk level x step), where a query each would read the rows again."""
    breakdowns = [tuple(dimensions) for dimensions in breakdowns]
    finest = tuple(dict.fromkeys(name for dimensions in breakdowns for name in dimensions))
    rows = grouped_counts(session, indicator, model, conditions, columns, finest, joins=joins)
    if not finest:
        return rows if () in breakdowns else []
    values = []
    for dimensions in breakdowns:
        sums: dict[tuple[tuple[str, str], ...], int] = {}
        for row in rows:
            key = tuple((name, row.get(name)) for name in dimensions)
            sums[key] = sums.get(key, 0) + row.value
        if not dimensions:
            values.append(Value(indicator, sums.get((), 0)))
        else:
            values += [Value(indicator, n, key) for key, n in sorted(sums.items())]
    return values
