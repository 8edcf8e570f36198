"""The supervisor's audit trail page: who did what and when, in their organisation and teams; never content."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template, request, url_for
from flask_login import current_user

from app.runtime import runtime
from app.web.pages import page_gettext
from casecore.audit import record_event
from casecore.audit_trail import PAGE_SIZE, audit_trail, may_read_audit
from casecore.paging import parse_page
from casecore.errors import InvalidInput
from casecore.i18n import N_

bp = Blueprint("audit", __name__)

# Words for the actions of people and of case work; any other action is shown as its code.
ACTION_LABELS = {
    "login.succeeded": N_("Logged in"),
    "login.failed": N_("Failed login"),
    "login.locked": N_("Account locked after failed logins"),
    "login.refused_locked": N_("Login refused: account locked"),
    "logout": N_("Logged out"),
    "session.expired": N_("Session closed after inactivity"),
    "report.viewed": N_("Viewed a report"),
    "case.viewed": N_("Viewed a case"),
    "cases.listed": N_("Viewed the case list"),
    "approvals.viewed": N_("Viewed the approvals waiting"),
    "report.accepted": N_("Accepted a report"),
    "report.duplicate": N_("Marked a report as a duplicate"),
    "report.not_eligible": N_("Closed a report as not eligible"),
    "report.referred": N_("Referred a report to another organisation"),
    "case.opened": N_("Opened a case"),
    "case.assigned": N_("Assigned a case"),
    "case.step_changed": N_("Moved a case to the next step"),
    "case.note_added": N_("Added a note to a case"),
    "case.consent_recorded": N_("Recorded a consent"),
    "case.consent_withdrawn": N_("Recorded a consent withdrawn"),
    "case.assessment_requested": N_("Asked for approval of the assessment"),
    "case.assessment_approved": N_("Approved the assessment"),
    "case.assessment_returned": N_("Returned the assessment"),
    "case.case_plan_requested": N_("Asked for approval of the case plan"),
    "case.case_plan_approved": N_("Approved the case plan"),
    "case.case_plan_returned": N_("Returned the case plan"),
    "case.closure_requested": N_("Asked for approval of the closure"),
    "case.closure_approved": N_("Approved the closure"),
    "case.closure_returned": N_("Returned the closure request"),
    "case.follow_up_logged": N_("Logged a follow-up"),
    "case.family_messaged": N_("Sent a message to the family"),
    "case.reopened": N_("Reopened a case"),
    "triage.viewed": N_("Viewed the triage queue"),
    "case.referrals_viewed": N_("Viewed a case's referrals"),
    "case.transfer_requested": N_("Asked for a case's transfer"),
    "case.transferred_in": N_("Received a case by transfer"),
    "transfer.requested": N_("Asked another organisation to take a case"),
    "transfer.accepted": N_("Accepted a transfer"),
    "transfer.declined": N_("Declined a transfer"),
    "transfers.viewed": N_("Viewed the transfers"),
    "referral.created": N_("Referred a case to a service"),
    "referral.updated": N_("Updated a referral"),
    "committee.viewed": N_("Viewed the committee members"),
    "committee_member.registered": N_("Registered a committee member"),
    "committee_member.deactivated": N_("Deactivated a committee member"),
    "service.created": N_("Added a service to the directory"),
    "service.updated": N_("Changed a service of the directory"),
    "service.verified": N_("Marked a service verified"),
    "service.activated": N_("Reactivated a service"),
    "service.deactivated": N_("Deactivated a service"),
    "services.imported": N_("Imported services"),
    "services.exported": N_("Exported the service directory"),
    "team.created": N_("Created a team"),
    "team.supervisor_changed": N_("Changed a team's supervisor"),
    "team.member_added": N_("Added a case worker to a team"),
    "team.member_removed": N_("Took a case worker out of a team"),
    "locations.imported": N_("Imported locations"),
    "media.downloaded": N_("Downloaded a report's file"),
    "message_log_viewed": N_("Viewed the message log"),
    "simulator_used": N_("Used the simulator"),
    "audit.viewed": N_("Viewed the audit trail"),
    "user.created": N_("Created an account"),
    "user.updated": N_("Changed an account"),
    "user.unlocked": N_("Unlocked an account"),
    "complaint.viewed": N_("Viewed a complaint"),
    "complaint.logged": N_("Logged a complaint received in person or by phone"),
    "complaint.acknowledged": N_("Acknowledged a complaint"),
    "complaint.noted": N_("Added a note to a complaint"),
    "complaint.staff_named": N_("Recorded the staff a complaint names"),
    "complaint.severity_changed": N_("Changed a complaint's severity"),
    "complaint.resolved": N_("Resolved a complaint"),
    "complaint.complainant_informed": N_("Informed a complainant"),
    "complaint.closed": N_("Closed a complaint"),
    "figures.viewed": N_("Viewed the complaint figures"),
    "figures.exported": N_("Downloaded the complaint figures"),
    "feedback.viewed": N_("Viewed the feedback figures"),
    "feedback.exported": N_("Downloaded the feedback figures"),
    "feedback.comments_viewed": N_("Read the feedback comments"),
    "complaint.category_changed": N_("Changed a complaint's category"),
    "complaints.viewed": N_("Viewed the complaints"),
}


# Words for what an audit event is about; any other object type is shown as its code.
OBJECT_LABELS = {
    "report": N_("Report"), "case": N_("Case"), "user": N_("Account"), "team": N_("Team"),
    "referral": N_("Referral"), "case_transfer": N_("Transfer"), "service": N_("Service"),
    "committee_member": N_("Committee member"), "location": N_("Location"), "organisation": N_("Organisation"),
    "media": N_("File"), "approvals": N_("Approvals"), "case_list": N_("Case list"), "audit": N_("Audit trail"),
    "message_log": N_("Message log"), "ussd_simulation": N_("Simulator"), "sms_simulation": N_("Simulator"),
    "whatsapp_simulation": N_("Simulator"), "complaint": N_("Complaint"),
    "complaint_figures": N_("Complaint figures"),
}


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
    try:
        page = parse_page(request.args.get("page"))
    except InvalidInput as error:
        return render_template("error.html", title=_("This filter cannot be used"),
                               message=_("Reason: %(reason)s") % {"reason": error}), 400
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
