"""The supervisor's pages: the queue of new reports and one report's details."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.views import landing_url
from app.runtime import runtime
from app.triage import decisions
from app.triage.labels import label
from app.web.pages import page_gettext
from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.people.roles import may_triage
from casecore.triage import queries

log = logging.getLogger(__name__)

bp = Blueprint("triage", __name__)


def _require_triage_role() -> None:
    if not may_triage(current_user.role):
        abort(403)


@bp.route("/")
def home():
    """The landing page: each role's own (the triage queue for supervisors)."""
    return redirect(landing_url(current_user.role))


@bp.route("/triage")
def queue():
    """New reports of the user's organisation, the most overdue first, filtered and paged, with the queue's counts."""
    _require_triage_role()
    try:
        filters = queries.parse_queue_filters(request.args)
    except InvalidInput:
        _ = page_gettext()
        return render_template("error.html", title=_("This filter cannot be used"),
                               message=_("Choose the filters from their lists.")), 400
    now = utcnow()
    # Read without the write lock (SQLite serialises writers), then the audit record in its own short write.
    with runtime().unit_of_work(read_only=True) as db:
        result = queries.triage_queue(db, current_user.organisation_id, filters)
        counts = queries.queue_counts(db, current_user.organisation_id, now)
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "triage.viewed", "organisation", current_user.organisation_id)
    return render_template(
        "triage/queue.html", result=result, counts=counts, filters=filters, now=now,
        page_size=queries.QUEUE_PAGE_SIZE, regions=runtime().places.get().regions, taxonomy=taxonomy,
        urgencies=queries.URGENCY_FILTERS,
        page_url=lambda number: url_for("triage.queue", **filters.query_args(page=number)))


@bp.route("/reports/<report_id>")
def report(report_id: str):
    """One report of the user's organisation, with the decision forms while it is new; viewing it is audited."""
    _require_triage_role()
    return decisions.report_page(report_id, request.args)


@bp.route("/reports/<report_id>/matches")
def matches(report_id: str):
    """The case workers for a new report, best match first, as a fragment of its page (app.triage.decisions)."""
    _require_triage_role()
    return decisions.best_matches(report_id)


@bp.route("/reports/<report_id>/accept", methods=["POST"])
def accept(report_id: str):
    """Accept a new report into a case (app.triage.decisions)."""
    _require_triage_role()
    return decisions.accept(report_id)


@bp.route("/reports/<report_id>/duplicate", methods=["POST"])
def duplicate(report_id: str):
    """Close a new report as a duplicate (app.triage.decisions)."""
    _require_triage_role()
    return decisions.duplicate(report_id)


@bp.route("/reports/<report_id>/not-eligible", methods=["POST"])
def not_eligible(report_id: str):
    """Close a new report as not eligible (app.triage.decisions)."""
    _require_triage_role()
    return decisions.not_eligible(report_id)


@bp.route("/reports/<report_id>/refer", methods=["POST"])
def refer(report_id: str):
    """Close a new report as referred out (app.triage.decisions)."""
    _require_triage_role()
    return decisions.refer(report_id)


def init_app(app: Flask) -> None:
    """Register the triage pages and the label helper of the templates."""
    app.register_blueprint(bp)
    app.add_template_global(label)
