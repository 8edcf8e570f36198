"""/indicators: the organisation's indicators for a period as JSON, the same long-format rows as /indicators.csv."""
from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from app.api.calls import Call
from app.api.problems import ApiProblem
from app.api.registry import API
from app.api.spec import Param
from app.runtime import runtime
from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.handoff.modes import slug_of
from casecore.indicators.kept import kept_or_computed
from casecore.indicators.long_format import BREAKDOWN_COLUMNS, long_rows
from casecore.partners.scopes import INDICATORS_READ
from casecore.periods import Period, calendar_period, local_today, period_for

CODE = {"type": ["string", "null"]}
ROW = API.schema("IndicatorRow", {
    "type": "object",
    "additionalProperties": False,
    "required": ["indicator", "period_start", "period_end", "organisation", *BREAKDOWN_COLUMNS, "value", "withheld",
                 "computed_at"],
    "description": "One value of an indicator: a row of /indicators.csv, with null where the CSV has an empty cell.",
    "properties": {
        "indicator": {"type": "string", "description": "The indicator's code (reports_received, "
                      "triage_hours_median, deadlines_met_share...)."},
        "period_start": {"type": "string", "format": "date", "description": "The period's first day."},
        "period_end": {"type": "string", "format": "date", "description": "The period's last day (included)."},
        "organisation": {"type": "string", "description": "The organisation's slug."},
        **{name: {**CODE, "description": f"The {name} this value is for (a list-of-values code; `none` for the "
                  "reports or cases that have none); null when the value is not broken down by it."}
           for name in BREAKDOWN_COLUMNS},
        "value": {"type": ["number", "null"], "description": "A count, a share (0 to 1), hours or days; null when "
                  "withheld or when there is nothing to measure (a median of no case)."},
        "withheld": {"type": "boolean", "description": "A small count withheld (INDICATOR_MIN_CELL), or one that "
                     "would reveal it from the others; the CSV shows it as <N."},
        "computed_at": {"type": "string", "format": "date-time", "description": "When the figures were counted."},
    },
})
INDICATORS = API.schema("Indicators", {
    "type": "object",
    "additionalProperties": False,
    "required": ["period_start", "period_end", "organisation", "computed_at", "rows"],
    "properties": {
        "period_start": {"type": "string", "format": "date"},
        "period_end": {"type": "string", "format": "date"},
        "organisation": {"type": "string"},
        "computed_at": {"type": "string", "format": "date-time"},
        "rows": {"type": "array", "items": ROW},
    },
})
DAY = {"type": "string", "format": "date"}


@API.endpoint(
    "GET", "/indicators", operation_id="getIndicators", summary="The organisation's indicators for a period",
    scope=INDICATORS_READ,
    description="Every indicator of the token's organisation for the period, one row per value (the long format of "
                "the indicators page's CSV: the same rows, with the same small counts withheld). The period is the "
                "current month unless `period` or `from` and `to` say otherwise. Figures are kept for a few minutes "
                "after they are counted (`computed_at` says when).",
    query=(
        Param("from", DAY, "The period's first day (YYYY-MM-DD), with `to`."),
        Param("to", DAY, "The period's last day, included (at most 3 years after `from`)."),
        Param("period", {"type": "string", "pattern": "^[0-9]{4}-([0-9]{2}|[Qq][1-4])$"},
              "A calendar month (2026-11) or quarter (2026-Q4), instead of `from` and `to`."),
        Param("by", {"type": "array", "items": {"type": "string", "enum": list(BREAKDOWN_COLUMNS)},
                     "uniqueItems": True},
              "Only the values broken down by exactly these, in any order (`by=sex`, "
              "`by=concern,sex,age_band,region`): the CSV's breakdowns, not an aggregation. Empty (`by=`) for the "
              "values not broken down; every row when left out.", comma_list=True),
    ),
    responses={200: ("The indicators' rows", INDICATORS)}, problems=("invalid-request",),
)
def indicators(call: Call):
    period = _period(call.query)
    rt = runtime()
    kept = kept_or_computed(rt.redis, lambda: nullcontext(call.session), call.holder.organisation_id, period,
                            min_cell=rt.settings.INDICATOR_MIN_CELL, caseload_limit=rt.settings.CASELOAD_LIMIT,
                            now=utcnow(), kind="crossed")
    slug = slug_of(call.session, call.holder.organisation_id)
    by = call.query.get("by")
    rows = long_rows(kept.values, period, slug, kept.computed_at, None if by is None else frozenset(by))
    call.object_ids.append(f"{period.first}..{period.last}")
    return {"period_start": period.first.isoformat(), "period_end": period.last.isoformat(), "organisation": slug,
            "computed_at": _time(kept.computed_at), "rows": [_row(row) for row in rows]}


def _period(query: dict[str, Any]) -> Period:
    """The period the parameters name (as the CSV reads them); a 422 naming the parameter otherwise."""
    zone = runtime().zone
    if "period" in query:
        if "from" in query or "to" in query:
            raise _invalid("give either period or from and to", "period")
        try:
            return calendar_period(query["period"], zone)
        except InvalidInput as exc:
            raise _invalid(str(exc), "period") from None
    if "from" in query or "to" in query:
        missing = [name for name in ("from", "to") if name not in query]
        if missing:
            raise _invalid("from and to go together", *missing)
        try:
            return period_for("custom", query["from"], query["to"], zone=zone)
        except InvalidInput as exc:
            raise _invalid(str(exc), "from", "to") from None
    return calendar_period(local_today(zone).strftime("%Y-%m"), zone)


def _invalid(reason: str, *names: str) -> ApiProblem:
    return ApiProblem("invalid-request", reason, [{"name": name, "reason": reason} for name in names])


def _row(row) -> dict[str, Any]:
    columns = row.columns
    return {**columns, "period_start": columns["period_start"].isoformat(),
            "period_end": columns["period_end"].isoformat(), "withheld": row.withheld,
            "computed_at": _time(columns["computed_at"])}


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
