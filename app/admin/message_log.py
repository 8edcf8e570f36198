"""The administrator's message log: what was sent and received, when, how, and what is stuck; never a body."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, render_template, request, url_for
from flask_login import current_user

from app.admin.labels import log_label
from app.runtime import runtime
from app.web.pages import page_gettext
from casecore import taxonomy
from casecore.audit import record_event
from casecore.errors import InvalidInput
from casecore.i18n import N_
from casecore.messaging import message_log as log_queries

log = logging.getLogger(__name__)

bp = Blueprint("message_log", __name__)

def _error_page(status: int, title: str, message: str):
    _ = page_gettext()
    return render_template("error.html", title=_(title), message=message), status


@bp.route("/messages")
def page():
    """One page of outbound and inbound messages, newest first, narrowed by the query string."""
    if not log_queries.may_view_message_log(current_user.role):
        _ = page_gettext()
        return _error_page(
            403, N_("Not allowed"), _("This page is for administrators. Ask an administrator if you need to see it.")
        )
    try:
        wanted = log_queries.parse_filter(request.args)
    except InvalidInput as error:
        _ = page_gettext()
        # The reason names the parameter and the allowed values; it is ours, not what was typed.
        return _error_page(400, N_("This filter cannot be used"), _("Reason: %(reason)s") % {"reason": error})
    with runtime().unit_of_work() as db:
        result = log_queries.message_log(db, wanted)
        summary = log_queries.message_log_summary(db)
        record_event(db, current_user.id, "message_log_viewed", "message_log", wanted.page)
    return render_template(
        "admin/message_log.html",
        result=result,
        summary=summary,
        wanted=wanted,
        directions=log_queries.DIRECTIONS,
        channels=taxonomy.MESSAGE_CHANNELS,
        statuses=log_queries.STATUSES,
        page_size=log_queries.PAGE_SIZE,
        page_url=lambda number: _page_url(wanted, number),
    )


def _page_url(wanted: log_queries.LogFilter, number: int) -> str:
    args = {"direction": wanted.direction, "channel": wanted.channel, "status": wanted.status, "page": number}
    return url_for("message_log.page", **{k: v for k, v in args.items() if v})


def init_app(app: Flask) -> None:
    """Register the message log page."""
    app.register_blueprint(bp)
    app.add_template_global(log_label)
    app.add_template_global(log_queries.may_view_message_log, "may_view_message_log")
