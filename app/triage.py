"""The supervisor's pages: the queue of new reports and one report's details."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import WEBHOOKS_BLUEPRINT, page_gettext
from app.runtime import runtime
from casecore import queries
from casecore.audit import record_event
from casecore.errors import NotFound
from casecore.i18n import N_
from casecore.ids import parse_id
from casecore.media_queries import report_media

log = logging.getLogger(__name__)

bp = Blueprint("triage", __name__)


# English msgids for list-of-values codes; casecore keeps the codes, the web catalogue the words.
LABELS: dict[str, dict[str, str]] = {
    "concern": {
        "physical_abuse": N_("Physical abuse"),
        "sexual_abuse": N_("Sexual abuse"),
        "emotional_abuse": N_("Emotional or psychological abuse"),
        "neglect": N_("Neglect"),
        "abandonment": N_("Abandonment"),
        "child_labour": N_("Child labour"),
        "hazardous_work": N_("Hazardous work"),
        "sexual_exploitation": N_("Sexual exploitation"),
        "trafficking": N_("Trafficking, sale or forced labour"),
        "conflict_with_law": N_("In conflict with the law"),
        "caafag": N_("Associated with armed forces or groups"),
        "unaccompanied": N_("Unaccompanied child"),
        "separated": N_("Separated child"),
        "orphan": N_("Orphan"),
        "functional_difficulties": N_("Functional difficulties"),
        "psychosocial_distress": N_("Psychosocial distress"),
        "substance_abuse": N_("Substance abuse"),
        "marginalised_group": N_("Member of a marginalised group"),
        "no_documentation": N_("No documentation or birth registration"),
        "child_marriage": N_("Child marriage"),
        "fgm": N_("Female genital mutilation"),
        "pregnancy_child_parent": N_("Pregnancy or child parent"),
        "inappropriate_care": N_("Inappropriate care arrangement"),
        "other": N_("Other concern"),
    },
    "sex": {"female": N_("Girl"), "male": N_("Boy"), "unknown": N_("Sex not known")},
    "age": {
        "0_5": N_("0 to 5 years"),
        "6_11": N_("6 to 11 years"),
        "12_17": N_("12 to 17 years"),
        "unknown": N_("Age not known"),
    },
    "channel": {"ussd": N_("USSD"), "sms": N_("SMS"), "whatsapp": N_("WhatsApp"), "web": N_("Web")},
}


def label(kind: str, code: str) -> str:
    """The translated label of a list-of-values code; the code itself when it has none."""
    msgid = LABELS.get(kind, {}).get(code)
    return page_gettext()(msgid) if msgid else code


def format_utc(moment: datetime | None) -> str:
    """A stored time as '2026-11-22 14:05 UTC'."""
    if moment is None:
        return ""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _require_triage_role() -> None:
    if not queries.may_triage(current_user.role):
        abort(403)


@bp.route("/")
def home():
    """The landing page is the triage queue."""
    return redirect(url_for("triage.queue"))


@bp.route("/triage")
def queue():
    """New reports of the user's organisation, urgent first then newest."""
    _require_triage_role()
    with runtime().unit_of_work() as db:
        rows = queries.triage_queue(db, current_user.organisation_id)
    return render_template("triage.html", rows=rows, limit=queries.TRIAGE_LIMIT)


@bp.route("/reports/<report_id>")
def report(report_id: str):
    """One report of the user's organisation; viewing it is recorded in the audit trail."""
    _require_triage_role()
    with runtime().unit_of_work() as db:
        try:
            detail = queries.report_detail(db, current_user.organisation_id, parse_id(report_id, "report"))
        except NotFound:
            abort(404)
        attachments = report_media(db, detail.id)
        record_event(db, current_user.id, "report.viewed", "report", detail.id)
    return render_template("report.html", report=detail, attachments=attachments)


def _error_page(status: int, title: str, message: str):
    _ = page_gettext()
    return render_template("error.html", title=_(title), message=_(message)), status


def _forbidden(error):
    if WEBHOOKS_BLUEPRINT in request.blueprints:
        return error
    return _error_page(
        403, N_("Not allowed"), N_("This page is for supervisors. Ask your supervisor if you need to see it.")
    )


def _not_found(error):
    if WEBHOOKS_BLUEPRINT in request.blueprints:
        return error
    return _error_page(
        404, N_("Page not found"), N_("This page does not exist, or it belongs to another organisation.")
    )


def init_app(app: Flask) -> None:
    """Register the triage pages, their template helpers and the HTML error pages."""
    app.register_blueprint(bp)
    app.add_template_global(label)
    app.add_template_filter(format_utc, "utc")
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(404, _not_found)
