"""The complaint figures (/figures, and /figures.csv with the same numbers), for those who report on the service.

Counts, times and deadlines only: no reference, number, description or name is read for these pages. The
breakdowns count the complaints the viewer may read; only the table by organisation counts others, in bands and over
ended months (casecore.complaints.figures says why).
"""
from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, Flask, abort, make_response, render_template, request
from flask_login import current_user

from app.complaints.labels import COMPLAINT_LABELS
from app.runtime import runtime
from app.web.csv_download import csv_download, spreadsheet_text
from app.web.pages import page_gettext, page_language
from casecore.audit import record_event
from casecore.complaints.figures import BAND, NOT_SET, SENSITIVE, Band, Figures, complaint_figures, may_view_figures
from casecore.errors import InvalidInput
from casecore.i18n import N_
from casecore.periods import PERIODS, Period, period_for

bp = Blueprint("figures", __name__)

NOT_SET_LABEL = N_("Not set yet")
# What casecore says about a period it refuses; the web catalogue translates it.
REASONS = (
    N_("choose a period from the list"),
    N_("the start date is after the end date"),
    N_("a period is at most 3 years"),
    N_("write both dates as DD/MM/YYYY"),
    N_("give dates between 2000 and 2099"),
)
CSV_COLUMNS = ("breakdown", "value", "complaints", "median_hours", "p90_hours", "waiting", "judged",
               "closed_within_deadline", "share_within_deadline", "open_past_deadline")
# A spreadsheet reads "5-9" or "10-14" as a date: bands are written "5 to 9" in the CSV file.
CSV_RANGE = " to "


def figure_label(kind: str, code: str) -> str:
    """The translated word for a complaint code (category, channel, severity, status) or a period."""
    _ = page_gettext()
    if kind == "period":
        periods = COMPLAINT_LABELS["period"]
        return _(periods[code])
    if code == NOT_SET:
        return _(NOT_SET_LABEL)
    msgid = COMPLAINT_LABELS.get(kind, {}).get(code)
    return _(msgid) if msgid else code


def hours(value: float | None) -> str:
    """Hours with one decimal, written the reader's way; a dash when there is nothing to measure."""
    return "–" if value is None else format_decimal(value, format="#,##0.0", locale=page_language())


def band(value: Band) -> str:
    """A band as the page shows it: "fewer than 5", then "5-9", "10-14"..."""
    if value.fewer_than_band:
        return page_gettext()("fewer than %(n)s") % {"n": BAND}
    return f"{value.low}-{value.high}"


def share(value: float | None) -> str:
    """A share as a percentage, written the reader's way; a dash when nothing was judged."""
    return "–" if value is None else format_percent(value, format="#,##0.#%", locale=page_language())


def _not_allowed():
    _ = page_gettext()
    return make_response(render_template(
        "error.html", title=_("Not allowed"),
        message=_("The complaint figures are for the complaints focal points, supervisors and administrators."),
    ), 403)


def _figures() -> Figures:
    """The figures of the period asked for; 403 or 400 with the reason when they cannot be given."""
    if not may_view_figures(current_user.role):
        abort(_not_allowed())
    try:
        period = period_for(request.args.get("period") or None, request.args.get("from"), request.args.get("to"),
                            zone=runtime().zone)
    except InvalidInput as refusal:
        _ = page_gettext()
        abort(make_response(render_template(
            "error.html", title=_("This period cannot be used"),
            message=_("Reason: %(reason)s") % {"reason": _(str(refusal))}), 400))
    # Read without the write lock (SQLite); the audit record in a short unit of work of its own.
    with runtime().unit_of_work(read_only=True) as db:
        return complaint_figures(db, current_user, period)


def _audit(action: str, period: Period) -> None:
    with runtime().unit_of_work() as db:
        # The period, so whoever reads the trail sees which figures were asked for.
        record_event(db, current_user.id, action, "complaint_figures", f"{period.first}..{period.last}")


@bp.route("/figures")
def page():
    """The figures of the complaints the viewer may read for a period, and every organisation's banded counts."""
    figures = _figures()
    _audit("figures.viewed", figures.period)
    return render_template("complaints/figures.html", figures=figures, periods=PERIODS, sensitive=SENSITIVE)


@bp.route("/figures.csv")
def export_csv():
    """The same figures as CSV, one row per breakdown and value."""
    figures = _figures()
    _audit("figures.exported", figures.period)
    return csv_download(f"complaint-figures-{figures.period.first}-{figures.period.last}.csv", CSV_COLUMNS,
                        csv_rows(figures))


def csv_rows(figures: Figures) -> list[list[str]]:
    """The CSV rows: codes for values (organisations by name), bands as "0 to 4", empty cells where nothing fits."""
    blank = [""] * (len(CSV_COLUMNS) - 3)
    rows = [["period", f"{figures.period.first}..{figures.period.last}", "", *blank]]
    mine = figures.breakdowns
    if mine is not None:
        rows += [["category", code, str(n), *blank] for code, n in mine.by_category.items()]
        rows += [["category", "all", str(mine.total), *blank]]
        for breakdown, values in (("channel", mine.by_channel), ("severity", mine.by_severity),
                                  ("status", mine.by_status)):
            rows += [[breakdown, code, str(n), *blank] for code, n in values.items()]
        for breakdown, times in (("time_to_acknowledge", mine.acknowledge), ("time_to_resolve", mine.resolve)):
            rows += [[breakdown, level, str(t.done), _number(t.median_hours), _number(t.p90_hours), str(t.waiting),
                      "", "", "", ""] for level, t in times.items()]
        rows += [["deadline", level, "", "", "", "", str(d.judged), str(d.within), _number(d.share, 4),
                  str(d.open_past_due)] for level, d in mine.deadlines.items()]
    months = figures.organisations.months
    # The months the organisation table covers; empty when none of the period has ended yet.
    rows.append(["organisation_months", f"{months.first}..{months.last}" if months else "", "", *blank])
    for organisation in figures.organisations.rows:
        name = spreadsheet_text(organisation.name)
        rows += [["organisation", name, _band(organisation.complaints), *blank],
                 ["organisation_sensitive", name, _band(organisation.sensitive), *blank]]
    return rows


def _band(value: Band) -> str:
    return f"{value.low}{CSV_RANGE}{value.high}"


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def init_app(app: Flask) -> None:
    """Register the figures pages and their template helpers."""
    app.register_blueprint(bp)
    app.add_template_global(figure_label)
    app.add_template_global(may_view_figures, "may_view_figures")
    app.add_template_filter(hours, "figure_hours")
    app.add_template_filter(band, "figure_band")
    app.add_template_filter(share, "figure_share")
