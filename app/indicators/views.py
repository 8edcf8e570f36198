"""The organisation's indicators: the page (/indicators: tiles, a trend by month and bar charts drawn on the server
as SVG, each with its table) and the CSV (/indicators.csv: long format, one row per value, codes not words). Small
cells are withheld on both.

?from=YYYY-MM-DD&to=YYYY-MM-DD (both days included), or ?period=2026-11 / 2026-Q4; the current month by default.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import redis
from flask import Blueprint, abort, g, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.runtime import runtime
from app.web.csv_download import csv_response, csv_text, spreadsheet_text
from app.web.pages import page_gettext
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.handoff.modes import slug_of
from casecore.indicators.collect import may_view_indicators
from casecore.indicators.kept import KEPT_SECONDS, kept_key, kept_or_computed
from casecore.indicators.long_format import COLUMNS, LongRow, long_rows
from casecore.indicators.values import Value, breakdown, total
from casecore.indicators.waiting import Waiting, waiting_for
from casecore.people.models import Location
from casecore.periods import Period, calendar_period, local_today, period_for

bp = Blueprint("indicators", __name__)
# The menu's counts of what waits are at most this old (the landing pages count afresh).
WAITING_CACHE_SECONDS = 30

# The long format's columns (the API returns the same rows as JSON).
CSV_COLUMNS = COLUMNS
# What a withheld count reads as in the CSV (the small-cell rule, INDICATOR_MIN_CELL).
WITHHELD = "<{}"


@bp.route("/indicators")
def page():
    """Headline figures, the trend of the last months and the breakdowns, for the period."""
    if not may_view_indicators(current_user.role):
        abort(403)
    period = _period()
    rt = runtime()
    values, computed_at = _computed(period, crossed=False)
    trend, _ = _computed(period, trend=True)
    with rt.unit_of_work(read_only=True) as db:
        # Names of the regions and cercles the breakdowns give as codes.
        places = dict(db.execute(select(Location.code, Location.name).where(Location.level.in_((1, 2)))).all())
    with rt.unit_of_work() as db:
        record_event(db, current_user.id, "indicators.viewed", "indicators", f"{period.first}..{period.last}")
    return render_template("indicators/page.html", period=period, values=values, trend=trend, places=places,
                           total=lambda indicator: total(values, indicator),
                           breakdown=lambda indicator, *dims: breakdown(values, indicator, *dims),
                           trend_of=lambda indicator: sorted(breakdown(trend, indicator, "month"),
                                                             key=lambda value: value.get("month")),
                           min_cell=rt.settings.INDICATOR_MIN_CELL, computed_at=computed_at,
                           cache_minutes=KEPT_SECONDS // 60,
                           csv_query=request.query_string.decode("latin-1"))


@bp.route("/indicators.csv")
def export_csv():
    """Every indicator of the viewer's organisation for the period, as CSV (computed_at says when); the file itself
    is kept with the figures, so a second download costs a read from Redis."""
    if not may_view_indicators(current_user.role):
        abort(403)
    period = _period()
    rt = runtime()
    with rt.unit_of_work() as db:
        slug = slug_of(db, current_user.organisation_id)
        record_event(db, current_user.id, "indicators.exported", "indicators", f"{period.first}..{period.last}")
    key = kept_key(current_user.organisation_id, period, rt.settings.INDICATOR_MIN_CELL, "csv")
    try:
        text = rt.redis.get(key)
    except redis.RedisError:
        text = None
    if text is None:
        values, computed_at = _computed(period, crossed=True)
        text = csv_text(CSV_COLUMNS, (_row(row, rt.settings.INDICATOR_MIN_CELL)
                                      for row in long_rows(values, period, slug, computed_at)))
        try:
            rt.redis.set(key, text, ex=KEPT_SECONDS)
        except redis.RedisError:
            pass
    return csv_response(f"indicators-{slug}-{period.first}-{period.last}.csv", text)


def _computed(period: Period, *, crossed: bool = True, trend: bool = False) -> tuple[list[Value], datetime]:
    """The viewer's organisation's values for the period and when they were computed: read from the store when kept
    there (a worker keeps the usual periods fresh: casecore.indicators.kept), computed and kept otherwise."""
    rt = runtime()
    found = kept_or_computed(rt.redis, lambda: rt.unit_of_work(read_only=True), current_user.organisation_id, period,
                             min_cell=rt.settings.INDICATOR_MIN_CELL, caseload_limit=rt.settings.CASELOAD_LIMIT,
                             now=utcnow(), kind="trend" if trend else "crossed" if crossed else "page")
    return found.values, found.computed_at


def _period() -> Period:
    """The period the query string names; a 400 page saying what is wrong otherwise."""
    args = request.args
    try:
        if args.get("period"):
            return calendar_period(args["period"], runtime().zone)
        if args.get("from") or args.get("to"):
            return period_for("custom", args.get("from"), args.get("to"), zone=runtime().zone)
        return calendar_period(local_today(runtime().zone).strftime("%Y-%m"), runtime().zone)
    except InvalidInput as refusal:
        _ = page_gettext()
        abort(make_response(render_template(
            "error.html", title=_("This period cannot be used"),
            message=_("Reason: %(reason)s") % {"reason": _(str(refusal))}), 400))


def waiting(fresh: bool = False) -> dict[str, Waiting]:
    """What waits for the person logged in, by code. The menu and the landing pages show it: it is kept in Redis
    for WAITING_CACHE_SECONDS per person (no web process keeps it); fresh counts it again."""
    if "waiting" in g and (not fresh or g.waiting_fresh):
        return g.waiting
    if not current_user.is_authenticated:
        return {}
    rt = runtime()
    key = f"relais:waiting:{current_user.id}"
    cached = None if fresh else _cached(rt, key)
    g.waiting_fresh = cached is None
    if cached is None:
        with rt.unit_of_work(read_only=True) as db:
            cached = waiting_for(db, current_user, utcnow(), rt.settings.CASELOAD_LIMIT, rt.zone)
        try:
            rt.redis.set(key, json.dumps([asdict(item) for item in cached]), ex=WAITING_CACHE_SECONDS)
        except redis.RedisError:
            pass  # counted again on the next page: a menu never fails for want of a cache
    g.waiting = {item.code: item for item in cached}
    return g.waiting


def _cached(rt, key: str) -> list[Waiting] | None:
    try:
        raw = rt.redis.get(key)
    except redis.RedisError:
        return None
    try:
        return [Waiting(**item) for item in json.loads(raw)] if raw else None
    except (TypeError, ValueError):
        return None


def init_app(app) -> None:
    """Register the pages and what templates need of them."""
    app.register_blueprint(bp)
    app.add_template_global(may_view_indicators, "may_view_indicators")
    app.add_template_global(waiting, "waiting")


def _row(row: LongRow, min_cell: int) -> list[str]:
    """A long-format row as the CSV writes it: a withheld count as <min_cell, an empty cell where there is none."""
    columns = row.columns
    shown = WITHHELD.format(min_cell) if row.withheld else ("" if columns["value"] is None else str(columns["value"]))
    text = {**{name: "" if content is None else str(content) for name, content in columns.items()},
            "organisation": spreadsheet_text(columns["organisation"]), "value": shown,
            "computed_at": columns["computed_at"].strftime("%Y-%m-%dT%H:%M:%SZ")}
    return [text[name] for name in CSV_COLUMNS]
