"""Photos and files attached to a report: their labels on the report page, and the audited download."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort
from flask_login import current_user

from app.runtime import runtime
from app.triage.labels import REASONS, STATUSES
from app.web.file_download import attachment_response
from app.web.pages import page_gettext
from casecore.audit import record_event
from casecore.cases.access import may_view_report
from casecore.errors import NotFound
from casecore.ids import parse_id
from casecore.messaging.media_types import EXTENSIONS
from casecore.people.roles import may_triage
from casecore.reports.media import media_file

log = logging.getLogger(__name__)

bp = Blueprint("media", __name__)



def media_status(code: str) -> str:
    """The translated word for an item's status."""
    msgid = STATUSES.get(code)
    return page_gettext()(msgid) if msgid else code


def media_reason(code: str | None) -> str:
    """The translated reason an item was refused or failed; a code with a detail (gave_up:timeout) by its kind."""
    if not code:
        return ""
    msgid = REASONS.get(code.split(":", 1)[0])
    return page_gettext()(msgid) if msgid else code


def file_size(size: int | None) -> str:
    """A size as people read it: 850 B, 12 KB, 1.4 MB."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@bp.route("/reports/<report_id>/media/<media_id>")
def download(report_id: str, media_id: str):
    """One stored file of a report, for exactly whoever may see the report; every download is audited."""
    if not may_triage(current_user.role):
        abort(403)
    rt = runtime()
    with rt.unit_of_work() as db:
        try:
            if not may_view_report(db, current_user, report_id):
                raise NotFound(f"no report {report_id}")  # another team's case, or one transferred away
            item = media_file(db, current_user.organisation_id, parse_id(report_id, "report"),
                              parse_id(media_id, "media"))
            data = rt.media_store.get(item.storage_key)
        except NotFound:
            abort(404)
        record_event(db, current_user.id, "media.downloaded", "media", item.id)
    name = f"{item.report_reference}-{item.position + 1}.{EXTENSIONS.get(item.content_type, 'bin')}"
    return attachment_response(data, item.content_type, name)


def init_app(app: Flask) -> None:
    """Register the download route and the template helpers of the report page's attachments."""
    app.register_blueprint(bp)
    app.add_template_global(media_status)
    app.add_template_global(media_reason)
    app.add_template_filter(file_size, "file_size")
