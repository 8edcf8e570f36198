"""The supervisor's audit trail page: who did what and when, in their organisation and teams; never content."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template, request, url_for
from flask_login import current_user

from app.auth import page_gettext
from app.runtime import runtime
from casecore.audit import record_event
from casecore.audit_trail import PAGE_SIZE, audit_trail, may_read_audit, parse_page
from casecore.errors import InvalidInput
from casecore.i18n import N_

bp = Blueprint("audit", __name__)

# Words for the actions this slice knows; any other action is shown as its code.
ACTION_LABELS = {
    "login.succeeded": N_("Logged in"),
    "login.failed": N_("Failed login"),
    "login.locked": N_("Account locked after failed logins"),
    "login.refused_locked": N_("Login refused: account locked"),
    "logout": N_("Logged out"),
    "session.expired": N_("Session closed after inactivity"),
    "report.viewed": N_("Viewed a report"),
    "audit.viewed": N_("Viewed the audit trail"),
    "user.created": N_("Created an account"),
    "user.updated": N_("Changed an account"),
    "user.unlocked": N_("Unlocked an account"),
}


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
    try:
        page = parse_page(request.args.get("page"))
    except InvalidInput as error:
        return render_template("error.html", title=_("This filter cannot be used"),
                               message=_("Reason: %(reason)s") % {"reason": error}), 400
    with runtime().unit_of_work() as db:
        result = audit_trail(db, current_user, page)
        record_event(db, current_user.id, "audit.viewed", "audit", page)
    return render_template("audit.html", result=result, page_size=PAGE_SIZE,
                           page_url=lambda number: url_for("audit.trail", page=number))


def init_app(app: Flask) -> None:
    """Register the audit trail page and the template helpers of who sees its link."""
    app.register_blueprint(bp)
    app.add_template_global(action_label)
    app.add_template_global(may_read_audit, "may_read_audit")
