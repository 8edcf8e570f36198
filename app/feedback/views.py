"""The feedback page (/feedback, and /feedback.csv with the same figures): what families and children think of the
services, per organisation and service, for every staff role; the individual comments for focal points only.

The figures, how small groups are hidden and why the periods are fixed calendar quarters (never overlapping, ended
ones only for case workers) are casecore.feedback.figures; no number is stored with feedback.
"""
from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, Flask, abort, make_response, render_template, request, url_for
from flask_login import current_user

from app.feedback.labels import feedback_label
from app.runtime import runtime
from app.web.csv_download import csv_download, spreadsheet_text
from app.web.pages import page_gettext, page_language
from casecore.audit import record_event
from casecore.errors import InvalidInput
from casecore.feedback import figures as ff
from casecore.i18n import N_
from casecore.paging import parse_page

bp = Blueprint("feedback", __name__)

CSV_COLUMNS = ("scope", "group", "service", "service_type", "breakdown", "value", "answers", "average",
               "rating_1", "rating_2", "rating_3", "rating_4", "rating_5", "share_satisfied")
# What casecore says about a quarter it refuses; the web catalogue translates it.
REASONS = (N_("write the quarter as a year and a quarter, for example 2025-Q1"),
           N_("case workers see a quarter once it has ended"), N_("choose a quarter from the list"))


def service_name(row: ff.ServiceFigures) -> str:
    """A row's name: the provider and the type of service, or case management, or general."""
    if row.group == "service":
        return f"{row.provider_name} ({feedback_label('service_type', row.service_type)})"
    return feedback_label("group", row.group)


def answers_text(figure: ff.Figure, min_group: int) -> str:
    """The number of answers, or "fewer than N" for a small group, or "withheld" when a smaller one would show."""
    _ = page_gettext()
    if figure.shown:
        return str(figure.answers)
    if figure.small:
        return _("fewer than %(n)s") % {"n": min_group}
    return _("withheld")


def average_text(figure: ff.Figure) -> str:
    """The average rating with one decimal, written the reader's way; a dash when it is not shown."""
    if figure.average is None:
        return "–"
    return format_decimal(figure.average, format="0.0", locale=page_language())


def share_text(figure: ff.Figure) -> str:
    """The share of satisfied answers (4 or 5), as a percentage; a dash when it is not shown."""
    if figure.satisfied_share is None:
        return "–"
    return format_percent(figure.satisfied_share, format="#,##0%", locale=page_language())


def _refuse(status: int, title: str, message: str):
    abort(make_response(render_template("error.html", title=title, message=message), status))


def quarter_text(period: ff.Period) -> str:
    """A quarter as the list shows it: "2025-Q1", and "so far" for the quarter in progress."""
    if period.ended:
        return period.code
    return page_gettext()("%(quarter)s (so far)") % {"quarter": period.code}


def _period(db) -> ff.Period:
    if not ff.may_view_feedback(current_user.role):
        _ = page_gettext()
        _refuse(403, _("Not allowed"), _("The feedback figures are for staff."))
    try:
        if "days" in request.args:  # the rolling windows once offered: an old link gets told, not another period
            raise InvalidInput("choose a quarter from the list")
        return ff.choose_quarter(db, current_user, request.args.get("quarter"))
    except InvalidInput as refusal:
        _ = page_gettext()
        _refuse(400, _("This period cannot be used"), _("Reason: %(reason)s") % {"reason": _(str(refusal))})


def _page_number() -> int:
    try:
        return parse_page(request.args.get("page"))
    except InvalidInput as refusal:
        _ = page_gettext()
        _refuse(400, _("This filter cannot be used"), _("Reason: %(reason)s") % {"reason": refusal})


def _min_group() -> int:
    return runtime().settings.FEEDBACK_MIN_GROUP


@bp.route("/feedback")
def page():
    """The organisation's feedback per service for a period; a case worker's own cases together; the comments for
    focal points, a page at a time."""
    # Read without the write lock (SQLite); the audit records in a short unit of work of their own.
    with runtime().unit_of_work(read_only=True) as db:
        period = _period(db)
        quarters = ff.offered_quarters(db, current_user)
        figures = ff.feedback_figures(db, current_user, period, _min_group())
        comments = (ff.feedback_comments(db, current_user, period, _page_number())
                    if ff.may_read_comments(current_user.role) else None)
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "feedback.viewed", "organisation", current_user.organisation_id)
        if comments is not None and comments.comments:
            record_event(db, current_user.id, "feedback.comments_viewed", "organisation",
                         current_user.organisation_id)
    return render_template(
        "feedback/feedback.html", figures=figures, comments=comments, quarters=quarters,
        comment_page_url=lambda number: url_for("feedback.page", quarter=period.code, page=number, _anchor="comments"))


@bp.route("/feedback.csv")
def export_csv():
    """The same figures as CSV (never a comment), one row per group and breakdown."""
    with runtime().unit_of_work(read_only=True) as db:
        period = _period(db)
        figures = ff.feedback_figures(db, current_user, period, _min_group())
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "feedback.exported", "organisation", current_user.organisation_id)
    return csv_download(f"feedback-{period.code}{'' if period.ended else '-so-far'}.csv", CSV_COLUMNS,
                        csv_rows(figures))


def csv_rows(figures: ff.FeedbackFigures) -> list[list[str]]:
    """Codes for groups and values, the provider's name as text; "<N" for a small group, "withheld" otherwise."""
    rows = [_csv_row(figures, "organisation", "all", None, "all", "", figures.organisation)]
    if figures.your_cases is not None:
        rows.append(_csv_row(figures, "your_cases", "all", None, "all", "", figures.your_cases))
    for row in figures.services:
        rows.append(_csv_row(figures, "organisation", row.group, row, "all", "", row.overall))
        rows += [_csv_row(figures, "organisation", row.group, row, "audience", code, figure)
                 for code, figure in row.by_audience]
        rows += [_csv_row(figures, "organisation", row.group, row, "channel", code, figure)
                 for code, figure in row.by_channel]
    return rows


def _csv_row(figures: ff.FeedbackFigures, scope: str, group: str, row: ff.ServiceFigures | None, breakdown: str,
             value: str, figure: ff.Figure) -> list[str]:
    if figure.shown:
        answers = str(figure.answers)
    else:
        answers = f"<{figures.min_group}" if figure.small else "withheld"
    distribution = [str(n) for n in figure.distribution] if figure.distribution else [""] * 5
    return [scope, group, spreadsheet_text(row.provider_name or "") if row else "", (row.service_type or "") if row else "",
            breakdown, value, answers, "" if figure.average is None else f"{figure.average:.1f}", *distribution,
            "" if figure.satisfied_share is None else f"{figure.satisfied_share:.2f}"]


def init_app(app: Flask) -> None:
    """Register the feedback page and its helpers for templates."""
    app.register_blueprint(bp)
    app.add_template_global(feedback_label)
    app.add_template_global(quarter_text, "feedback_quarter")
    app.add_template_global(service_name)
    app.add_template_global(answers_text, "feedback_answers")
    app.add_template_global(average_text, "feedback_average")
    app.add_template_global(share_text, "feedback_share")
    app.add_template_global(ff.may_view_feedback, "may_view_feedback")
