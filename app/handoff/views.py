"""The hand-off queue (/handoffs): what waits, went, or failed, with Primero's reason; a failed one is sent again
after the mapping is fixed, and a paused queue resumed once the account works. Administrators act; supervisors
see."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from app.handoff.labels import handoff_label
from app.runtime import runtime
from app.web.pages import page_gettext, requested_page
from casecore import taxonomy
from casecore.audit import record_event
from casecore.errors import NotFound
from casecore.handoff import queries
from casecore.handoff.modes import slug_of
from casecore.handoff.queue import current_pause, resume, retry_failed
from casecore.people.roles import ADMIN
from workers.queueing import enqueue_handoff

log = logging.getLogger(__name__)

bp = Blueprint("handoffs", __name__)


def _require(role_check) -> None:
    if not role_check(current_user.role):
        abort(403)


@bp.get("/handoffs")
def page():
    """The organisation's hand-offs with their counts and the pause, if any."""
    _require(queries.may_view_handoffs)
    status = request.args.get("status") or None
    if status is not None and status not in taxonomy.HANDOFF_STATUSES:
        abort(400)
    page = requested_page()
    rt = runtime()
    with rt.unit_of_work() as db:
        result = queries.handoff_queue(db, current_user, status, page)
        counts = queries.handoff_counts(db, current_user.organisation_id)
        stopped = current_pause(db)
        record_event(db, current_user.id, "handoff_queue.viewed", "primero_handoff", None)
    return render_template("handoff/queue.html", result=result, counts=counts, pause=stopped, status=status,
                           page_url=lambda number: url_for("handoffs.page", status=status, page=number),
                           statuses=taxonomy.HANDOFF_STATUSES, may_act=current_user.role == ADMIN,
                           configured=rt.primero_configured, primero_link=primero_link,
                           modes=rt.handoff_modes)


@bp.post("/handoffs/<handoff_id>/retry")
def retry(handoff_id: str):
    """Send a failed hand-off again (an administrator, once the mapping or the instance is fixed)."""
    _require(lambda role: role == ADMIN)
    rt = runtime()
    _ = page_gettext()
    try:
        with rt.unit_of_work() as db:
            retried = retry_failed(db, handoff_id, current_user.organisation_id, current_user.id)
    except NotFound:
        abort(404)
    if retried:
        enqueue_handoff(rt.queue, handoff_id)
        flash(_("The hand-off will be sent again."))
    else:
        flash(_("This hand-off is not failed: nothing to send again."))
    return redirect(url_for("handoffs.page"))


@bp.post("/handoffs/resume")
def resume_all():
    """Resume hand-offs stopped by Primero's refusal of the account (an administrator, once it is fixed)."""
    _require(lambda role: role == ADMIN)
    _ = page_gettext()
    with runtime().unit_of_work() as db:
        resumed = resume(db, current_user.id)
    flash(_("Hand-offs resume: the next sweep sends what waits.") if resumed else _("Hand-offs were not stopped."))
    return redirect(url_for("handoffs.page"))


def primero_link(primero_id) -> str | None:
    """The case in the viewer's organisation's Primero web view (PRIMERO_PUBLIC_URL), or None when not set."""
    if "primero_public_url" not in g:
        rt = runtime()
        with rt.unit_of_work(read_only=True) as db:
            slug = slug_of(db, current_user.organisation_id)
        g.primero_public_url = rt.primero_settings(slug).PRIMERO_PUBLIC_URL.rstrip("/")
    base = g.primero_public_url
    return f"{base}/v2/cases/{primero_id}" if base else None


def failed_handoffs() -> int:
    """The menu's count: failed hand-offs of the viewer's organisation (0 when Primero is not configured)."""
    if not runtime().primero_configured or not queries.may_view_handoffs(current_user.role):
        return 0
    with runtime().unit_of_work(read_only=True) as db:
        return queries.needing_attention(db, current_user.organisation_id)


def init_app(app: Flask) -> None:
    """Register the queue's pages and what templates need of them."""
    app.register_blueprint(bp)
    app.add_template_global(queries.may_view_handoffs, "may_view_handoffs")
    app.add_template_global(handoff_label, "handoff_label")
    app.add_template_global(failed_handoffs, "failed_handoffs")
    app.add_template_global(primero_link, "primero_link")
    app.add_template_global(lambda: runtime().primero_configured, "handoff_configured")
