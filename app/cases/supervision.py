"""/supervision: the supervision log. A supervisor records sessions with the case workers of their teams and reads
those they kept; a case worker reads the sessions about them."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.cases.labels import refusal
from app.cases.registration_form import form_date
from app.runtime import runtime
from app.web.pages import requested_page
from casecore.audit import record_event
from casecore.cases.supervision import record_session, supervision_log
from casecore.errors import InvalidInput, NotAllowed
from casecore.people import lookups
from casecore.people.roles import CASE_ROLES, SUPERVISOR
from casecore.periods import local_today

bp = Blueprint("supervision", __name__)


@bp.route("/supervision")
def page():
    """The log, and for a supervisor the form to record a session."""
    return _render()


@bp.route("/supervision", methods=["POST"])
def record():
    """Record a supervision session (a supervisor)."""
    if current_user.role != SUPERVISOR:
        abort(403)
    form = request.form
    try:
        with runtime().unit_of_work() as db:
            record_session(db, current_user, case_worker_id=form.get("case_worker_id", ""),
                           held_on=form_date(form.get("held_on")),
                           references=(form.get("references") or "").replace(",", " ").split(),
                           decisions=form.get("decisions"), today=local_today(runtime().zone))
    except NotAllowed:
        abort(403)
    except InvalidInput as error:
        message, status = refusal(getattr(error, "code", None))
        return _render(error=message, status=status)
    return redirect(url_for("supervision.page"))


def _render(error: str | None = None, status: int = 200):
    if current_user.role not in CASE_ROLES:
        abort(403)
    page = requested_page()
    with runtime().unit_of_work() as db:
        result = supervision_log(db, current_user, page)
        workers = (lookups.case_workers_led_by(db, current_user.id) if current_user.role == SUPERVISOR else [])
        record_event(db, current_user.id, "supervision.viewed", "supervision", None)
    return render_template("cases/supervision.html", result=result, workers=workers, error=error,
                           form=request.form if error else {},
                           page_url=lambda number: url_for("supervision.page", page=number)), status


def init_app(app) -> None:
    """Register the supervision log."""
    app.register_blueprint(bp)
