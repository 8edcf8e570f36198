"""The supervisor's pages: the queue of new reports and one report's details."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, redirect, render_template, request
from flask_login import current_user

from app.auth.views import landing_url
from app.runtime import runtime
from app.triage import decisions
from app.web.pages import page_gettext
from casecore import queries, triage_queries
from casecore.audit import record_event
from casecore.i18n import N_

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
    "risk": {"high": N_("High risk"), "medium": N_("Medium risk"), "low": N_("Low risk")},
    "step": {
        "registration": N_("Registration and consent"),
        "assessment": N_("Assessment"),
        "case_plan": N_("Case plan"),
        "implementation": N_("Implementation"),
        "follow_up": N_("Follow-up and review"),
        "closure": N_("Closure"),
    },
    "case_status": {
        "open": N_("Open"),
        "closure_requested": N_("Closure requested"),
        "closed": N_("Closed"),
        "transferred": N_("Transferred"),
    },
    "report_status": {
        "new": N_("New"),
        "accepted": N_("Accepted: a case was opened"),
        "duplicate": N_("Duplicate"),
        "not_eligible": N_("Not eligible"),
        "referred": N_("Referred to another organisation"),
        "closed": N_("Closed"),
    },
    "deadline": {
        "assignment": N_("Assignment"),
        "first_response": N_("First response"),
        "assessment": N_("Assessment"),
        "case_plan": N_("Case plan"),
        "review": N_("Case plan review"),
        "visit": N_("Follow-up visit"),
        "post_closure_check": N_("Post-closure check"),
    },
    "not_eligible": {
        "no_protection_concern": N_("No child protection concern"),
        "outside_area": N_("Outside the organisation's area"),
        "insufficient_information": N_("Not enough information to find the child"),
        "adult": N_("The person is 18 or older"),
        "false_report": N_("False or malicious report"),
        "other": N_("Other reason"),
    },
    "language": {"fr": N_("French"), "en": N_("English"), "bm": N_("Bambara")},
    "case_filter": {
        "active": N_("Open or awaiting closure"),
        "open": N_("Open"),
        "closure_requested": N_("Closure requested"),
        "closed": N_("Closed"),
        "transferred": N_("Transferred"),
        "all": N_("All"),
    },
}


def label(kind: str, code: str) -> str:
    """The translated label of a list-of-values code; the code itself when it has none."""
    msgid = LABELS.get(kind, {}).get(code)
    return page_gettext()(msgid) if msgid else code


def _require_triage_role() -> None:
    if not queries.may_triage(current_user.role):
        abort(403)


@bp.route("/")
def home():
    """The landing page: each role's own (the triage queue for supervisors)."""
    return redirect(landing_url(current_user.role))


@bp.route("/triage")
def queue():
    """New reports of the user's organisation, urgent first then newest."""
    _require_triage_role()
    # Read without the write lock (SQLite serialises writers), then the audit record in its own short write.
    with runtime().unit_of_work(read_only=True) as db:
        rows = queries.triage_queue(db, current_user.organisation_id)
        # A second, small query: the queue's own stays on ix_report_triage, however many reports there are.
        extras = triage_queries.queue_extras(db, [row.id for row in rows])
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "triage.viewed", "organisation", current_user.organisation_id)
    return render_template("triage/queue.html", rows=rows, limit=queries.TRIAGE_LIMIT, extras=extras,
                           no_extra=triage_queries.QueueExtra(None, False))


@bp.route("/reports/<report_id>")
def report(report_id: str):
    """One report of the user's organisation, with the decision forms while it is new; viewing it is audited."""
    _require_triage_role()
    return decisions.report_page(report_id, request.args)


@bp.route("/reports/<report_id>/accept", methods=["POST"])
def accept(report_id: str):
    """Accept a new report into a case (app.decisions)."""
    _require_triage_role()
    return decisions.accept(report_id)


@bp.route("/reports/<report_id>/duplicate", methods=["POST"])
def duplicate(report_id: str):
    """Close a new report as a duplicate (app.decisions)."""
    _require_triage_role()
    return decisions.duplicate(report_id)


@bp.route("/reports/<report_id>/not-eligible", methods=["POST"])
def not_eligible(report_id: str):
    """Close a new report as not eligible (app.decisions)."""
    _require_triage_role()
    return decisions.not_eligible(report_id)


@bp.route("/reports/<report_id>/refer", methods=["POST"])
def refer(report_id: str):
    """Close a new report as referred out (app.decisions)."""
    _require_triage_role()
    return decisions.refer(report_id)


def init_app(app: Flask) -> None:
    """Register the triage pages and the label helper of the templates."""
    app.register_blueprint(bp)
    app.add_template_global(label)
