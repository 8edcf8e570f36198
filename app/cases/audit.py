"""The supervisor's audit trail page: who did what and when, in their organisation and teams; never content."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template, url_for
from flask_login import current_user

from app.cases.labels import ACTION_LABELS, OBJECT_LABELS
from app.runtime import runtime
from app.web.pages import page_gettext, requested_page
from casecore.audit import record_event
from casecore.cases.audit_trail import PAGE_SIZE, audit_trail, may_read_audit

bp = Blueprint("audit", __name__)

def object_label(code: str | None) -> str:
    """The translated word for what an audit event is about; the code itself when it has none."""
    msgid = OBJECT_LABELS.get(code or "")
    return page_gettext()(msgid) if msgid else (code or "")


def action_label(code: str) -> str:
    """The translated words for an audit action; the code itself when it has none."""
    msgid = ACTION_LABELS.get(code)
    return page_gettext()(msgid) if msgid else code


@bp.route("/audit")
def trail():
    """One page of the audit trail, newest first; reading it is itself audited."""
    _ = page_gettext()
    if not may_read_audit(current_user.role):
        return render_template("error.html", title=_("Not allowed"), message=_(
            "This page is for supervisors. Ask your supervisor if you need to see it.")), 403
    page = requested_page()
    with runtime().unit_of_work() as db:
        result = audit_trail(db, current_user, page)
        record_event(db, current_user.id, "audit.viewed", "audit", page)
    return render_template("cases/audit.html", result=result, page_size=PAGE_SIZE,
                           page_url=lambda number: url_for("audit.trail", page=number))


def init_app(app: Flask) -> None:
    """Register the audit trail page and the template helpers of who sees its link."""
    app.register_blueprint(bp)
    app.add_template_global(action_label)
    app.add_template_global(object_label)
    app.add_template_global(may_read_audit, "may_read_audit")
