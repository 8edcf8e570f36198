"""The case list: a case worker's own cases, a supervisor's teams', filtered, soonest deadline first (/cases)."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template, request, url_for
from flask_login import current_user

from app.runtime import runtime
from app.web.pages import page_gettext
from app.web.words import REFERENCE_PROBLEMS
from casecore import taxonomy
from casecore.audit import record_event
from casecore.cases import listing as queries
from casecore.errors import InvalidFilter, InvalidInput
from casecore.i18n import N_
from casecore.people.roles import CASE_ROLES
from casecore.periods import local_today
from casecore.references import InvalidReference

bp = Blueprint("case_list", __name__)


# What to say of each filter given a value not in its list (casecore.errors.InvalidFilter.name).
FILTER_PROBLEMS = {
    "status": N_("Choose a status from the list."),
    "risk": N_("Choose a risk level from the list."),
    "step": N_("Choose a step from the list."),
    "overdue": N_("The deadline filter is either on or off."),
    "worker": N_("Choose a case worker from the list."),
}


def _refused(refusal: InvalidInput):
    _ = page_gettext()
    if isinstance(refusal, InvalidReference):
        message = _(REFERENCE_PROBLEMS[refusal.code])
    elif isinstance(refusal, InvalidFilter):
        message = _(FILTER_PROBLEMS[refusal.name])
    else:  # the page number
        message = _("Reason: %(reason)s") % {"reason": refusal}
    return render_template("error.html", title=_("This filter cannot be used"), message=message), 400


@bp.route("/cases")
def page():
    """The cases this person may see (casecore.cases.access), filtered by status, risk, step, deadline past, case
    worker and reference, 50 a page with their number; viewing the list is audited."""
    if current_user.role not in CASE_ROLES:
        _ = page_gettext()
        return render_template("error.html", title=_("Not allowed"),
                               message=_("This page is for case workers and supervisors.")), 403
    try:
        filters = queries.parse_case_filters(request.args)
    except InvalidInput as refusal:
        return _refused(refusal)
    # Read without the write lock (SQLite), then a short unit of work for the audit record.
    with runtime().unit_of_work(read_only=True) as db:
        workers = queries.worker_choices(db, current_user)
        try:
            queries.check_worker(current_user, filters, workers)
        except InvalidInput as refusal:
            return _refused(refusal)
        result = queries.case_list(db, current_user, filters, today=local_today(runtime().zone))
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "cases.listed", "case_list", filters.status)
    return render_template(
        "cases/list.html", result=result, filters=filters, statuses=queries.STATUS_FILTERS, workers=workers,
        not_assigned=queries.NOT_ASSIGNED, taxonomy=taxonomy, show_worker=current_user.role != "caseworker",
        page_url=lambda number: url_for("case_list.page", **filters.query_args(page=number)))


def init_app(app: Flask) -> None:
    """Register the case list."""
    app.register_blueprint(bp)
