"""The case list: a case worker's own cases, a supervisor's team's, soonest deadline first (/cases)."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_login import current_user

from app.runtime import runtime
from app.web.pages import page_gettext
from casecore.audit import record_event
from casecore.cases import listing as queries
from casecore.errors import InvalidInput
from casecore.people.roles import CASE_ROLES
from casecore.periods import local_today

bp = Blueprint("case_list", __name__)


@bp.route("/cases")
def page():
    """The cases this person may see (casecore.cases.access), filtered by status; viewing the list is audited."""
    if current_user.role not in CASE_ROLES:
        _ = page_gettext()
        return render_template("error.html", title=_("Not allowed"),
                               message=_("This page is for case workers and supervisors.")), 403
    try:
        status = queries.parse_status(request.args.get("status"))
    except InvalidInput:
        _ = page_gettext()
        return render_template("error.html", title=_("This filter cannot be used"),
                               message=_("Choose a status from the list.")), 400
    # Read without the write lock (SQLite), then a short unit of work for the audit record.
    with runtime().unit_of_work(read_only=True) as db:
        rows = queries.case_list(db, current_user, status, today=local_today(runtime().zone))
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "cases.listed", "case_list", status)
    return render_template("cases/list.html", rows=rows, status=status, statuses=queries.STATUS_FILTERS,
                           limit=queries.CASE_LIST_LIMIT, show_worker=current_user.role != "caseworker")


def init_app(app: Flask) -> None:
    """Register the case list."""
    app.register_blueprint(bp)
