"""Words for the case page: the labels of case-work codes, and what each refusal of casecore means to a person."""
from __future__ import annotations

from app.cases.record_labels import RECORD_LABELS, RECORD_REFUSALS
from app.web.pages import page_gettext
from app.web.words import INVALID, word
from app.web.words import REFUSALS as SHARED_REFUSALS
from casecore.i18n import N_

# English msgids for case-work codes; casecore keeps the codes, the web catalogue the words.
# taxonomy.CASE_RISK_LEVELS, CASE_STEPS, CASE_STATUSES, DEADLINE_KINDS: the triage pages and the case list show
# them too (app.triage.labels).
RISK: dict[str, str] = {"high": N_("High risk"), "medium": N_("Medium risk"), "low": N_("Low risk")}
STEP: dict[str, str] = {
    "registration": N_("Registration and consent"),
    "assessment": N_("Assessment"),
    "case_plan": N_("Case plan"),
    "implementation": N_("Implementation"),
    "follow_up": N_("Follow-up and review"),
    "closure": N_("Closure"),
}
CASE_STATUS: dict[str, str] = {
    "open": N_("Open"),
    "closure_requested": N_("Closure requested"),
    "closed": N_("Closed"),
    "transferred": N_("Transferred"),
}
DEADLINE: dict[str, str] = {
    "assignment": N_("Assignment"),
    "first_response": N_("First response"),
    "assessment": N_("Assessment"),
    "case_plan": N_("Case plan"),
    "review": N_("Case plan review"),
    "visit": N_("Follow-up visit"),
    "post_closure_check": N_("Post-closure check"),
}
# casecore.cases.listing.STATUS_FILTERS: a case status, or all the active ones, or all.
CASE_FILTER: dict[str, str] = {"active": N_("Open or awaiting closure"), **CASE_STATUS, "all": N_("All")}
# taxonomy.REFERRAL_STATUSES as a referral's status (the timeline says what happened with CASE_LABELS["referral"]).
REFERRAL_STATUS: dict[str, str] = {
    "sent": N_("Sent"),
    "accepted": N_("Accepted by the provider"),
    "declined": N_("Declined by the provider"),
    "done": N_("Done"),
}
# taxonomy.TRANSFER_STATUSES on the transfers page.
TRANSFER_STATUS: dict[str, str] = {"pending": N_("Waiting for an answer"), "accepted": N_("Accepted"),
                                    "declined": N_("Declined")}

CASE_LABELS: dict[str, dict[str, str]] = {
    # Shared with the triage pages and the case list: one wording for a risk level, a step, a case's status.
    "risk": RISK,
    "step": STEP,
    "status": CASE_STATUS,
    "deadline": DEADLINE,
    "purpose": {
        "services": N_("Services"), "sharing_providers": N_("Sharing with service providers"),
        "anonymous_statistics": N_("Anonymous statistics"),
    },
    "giver": {
        "caregiver": N_("Caregiver"), "child": N_("Child"), "caregiver_and_child": N_("Caregiver, with the child's assent"),
        "supervisor_authorised": N_("Authorised by a supervisor"),
    },
    "decision": {"pending": N_("Waiting for the supervisor"), "approved": N_("Approved"), "returned": N_("Returned")},
    **RECORD_LABELS,
    "follow_up": {"visit": N_("Visit"), "review": N_("Case plan review")},
    # What happened to a referral or a transfer, at the head of its timeline entry.
    "referral": {"sent": N_("Referral sent"), "accepted": N_("Referral accepted"),
                 "declined": N_("Referral declined"), "done": N_("Referral done")},
    "transfer": {"requested": N_("Transfer requested"), "accepted": N_("Transfer accepted"),
                 "declined": N_("Transfer declined")},
    "closure": {
        "goals_met_safe": N_("Case plan goals met, child safe"),
        "turned_18_transition": N_("Turned 18, with a transition plan"),
        "no_longer_wants_support": N_("No longer wants support"),
        "relocated_no_agency": N_("Moved away, no agency to transfer to"),
        "not_contactable": N_("Not contactable for 3 months"),
        "death": N_("Death"),
        "no_further_action_possible": N_("No further action possible"),
        "opened_in_error": N_("Opened in error"),
    },
    "event": {
        "family_message": N_("Message from the family"),
        "contact_linked": N_("A number was linked to the case"),
        "family_media": N_("Photo or file from the family"),
        "feedback": N_("The family gave feedback"),
        "note": N_("Note"),
        "child_views": N_("The child's views and wishes"),
        "step_changed": N_("Step changed"),
        "approval_requested": N_("Approval requested"),
        "approval_approved": N_("Approved"),
        "approval_returned": N_("Returned"),
        "consent_recorded": N_("Consent given"),
        "consent_refused": N_("Consent refused"),
        "registration_updated": N_("Registration updated"),
        "risk_changed": N_("Risk level revised"),
        "assessment_updated": N_("Assessment updated"),
        "plan_updated": N_("Case plan updated"),
        "service_given": N_("Service given by the organisation"),
        "conference": N_("Case conference"),
        "bia": N_("Best-interest assessment"),
        "bid": N_("Best-interest determination"),
        "bid_signed_off": N_("Best-interest determination signed off"),
        "tracing_action": N_("Tracing action"),
        "tracing_match": N_("Search request matched"),
        "tracing_verified": N_("Family link verified"),
        "reunified": N_("Child reunified with the family"),
        "closure_feedback": N_("Feedback taken before closure"),
        "document_added": N_("Document attached"),
        "consent_withdrawn": N_("Consent withdrawn"),
        "follow_up": N_("Follow-up logged"),
        "message_to_family": N_("Message to the family"),
        "closed": N_("Case closed"),
        "reopened": N_("Case reopened"),
        "closed_in_primero": N_("Case closed in CPIMS+"),
        "reopened_in_primero": N_("Case reopened in CPIMS+"),
        "referral": N_("Referral"),
        "assigned": N_("Case assigned"),
        "transfer": N_("Transfer"),
    },
}

# What each casecore.errors.Refused code means, said to the person who filled in the form.
REFUSALS: dict[str, str] = {
    "step_not_next": N_("The case cannot move to this step from where it is."),
    "not_open": N_("The case is not open."),
    "case_closed": N_("The case is closed. A supervisor can reopen it."),
    "closure_pending": N_("Closure has been requested: wait for the supervisor's answer."),
    "wrong_step": N_("This approval cannot be requested at the case's current step."),
    "approval_pending": N_("A request for this step is already waiting for the supervisor."),
    "closure_reason_required": N_("Choose a closure reason."),
    "content_required": N_("Write what you submit for approval."),
    "comment_required": N_("Write a comment saying what must change."),
    "reason_required": N_("Write why the case is reopened."),
    "worker_required": N_("Choose an active case worker of the organisation."),
    "already_assigned": N_("The case is already assigned to this case worker."),
    "own_request": N_("You made this request: another supervisor must answer it."),
    "already_decided": N_("This request has already been answered."),
    "supervisor_authorises": N_("Only a supervisor can authorise consent in the family's stead."),
    "consent_not_active": N_("This consent is not in force: there is nothing to withdraw."),
    "sender_not_unlinked": N_("This message did not come from a number to link."),
    "date_in_future": N_("A follow-up cannot be dated in the future."),
    "closed_case_visit_only": N_("On a closed case only the visit after closure is logged, without a next date."),
    "review_needs_plan": N_("A case plan review needs an approved case plan."),
    "next_due_in_past": N_("The next follow-up must be in the future."),
    "no_family_number": N_("No family number is linked to this case."),
    "choose_number": N_("Choose the number to write to."),
    "not_closed": N_("Only a closed case can be reopened."),
    "bad_date": N_("Enter the date as YYYY-MM-DD."),
    **RECORD_REFUSALS,
    **SHARED_REFUSALS,
}
# Refusals about the case's state rather than the form's content: 409 rather than 400.
CONFLICTS = frozenset({"step_not_next", "not_open", "case_closed", "closure_pending", "wrong_step", "risk_unchanged",
                       "no_closure_pending",
                       "approval_pending", "already_decided", "consent_not_active", "not_closed", "opted_out"})


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
    "case.names_shown": N_("Saw the child's names"),
    "registration.updated": N_("Updated the child's registration"),
    "case.risk_revised": N_("Revised a case's risk level"),
    "assessment.updated": N_("Updated a child's assessment"),
    "plan.updated": N_("Updated a case plan"),
    "case.service_given": N_("Recorded a service given"),
    "case.conference_recorded": N_("Recorded a case conference"),
    "case.bia_recorded": N_("Recorded a best-interest assessment"),
    "case.bid_recorded": N_("Recorded a best-interest determination"),
    "case.bid_signed_off": N_("Signed off a best-interest determination"),
    "case.tracing_searched": N_("Looked for search requests about a child"),
    "case.match_confirmed": N_("Confirmed a search request's match"),
    "case.match_rejected": N_("Rejected a search request's match"),
    "case.family_link_verified": N_("Verified a family link"),
    "case.reunified": N_("Recorded a reunification"),
    "case.tracing_action": N_("Recorded a tracing action"),
    "case.closure_feedback": N_("Took feedback before a closure"),
    "supervision.recorded": N_("Recorded a supervision session"),
    "case.document_added": N_("Attached a document to a case"),
    "case.document_downloaded": N_("Downloaded a case's document"),
    "supervision.viewed": N_("Viewed the supervision log"),
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
    "case.contact_linked": N_("Linked a number to a case"),
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
    "users.viewed": N_("Viewed the accounts"),
    "user.viewed": N_("Viewed an account"),
    "teams.viewed": N_("Viewed the teams"),
    "locations.viewed": N_("Viewed the locations"),
    "settings.viewed": N_("Viewed the settings"),
    "services.viewed": N_("Viewed the service directory"),
    "service.viewed": N_("Viewed a service of the directory"),
    "simulator_used": N_("Used the simulator"),
    "audit.viewed": N_("Viewed the audit trail"),
    "user.created": N_("Created an account"),
    "user.updated": N_("Changed an account"),
    "user.unlocked": N_("Unlocked an account"),
    "user.sessions_ended": N_("Logged an account out everywhere"),
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
    "handoff.queued": N_("Queued the report's hand-off to CPIMS+"),
    "handoff.sent": N_("Handed the report over to CPIMS+"),
    "handoff.refused": N_("CPIMS+ refused the report's hand-off"),
    "handoff.failed": N_("The report's hand-off to CPIMS+ failed"),
    "handoff.retried": N_("Sent a failed hand-off to CPIMS+ again"),
    "handoff.paused": N_("Hand-offs to CPIMS+ stopped: the account was refused"),
    "handoff.resumed": N_("Resumed the hand-offs to CPIMS+"),
    "handoff.webhook": N_("CPIMS+ said what became of a handed-over case"),
    "handoff.closed_in_primero": N_("The case was closed in CPIMS+"),
    "handoff.reopened_in_primero": N_("The case was reopened in CPIMS+"),
    "handoff_queue.viewed": N_("Viewed the hand-offs to CPIMS+"),
    "handoff.owner_followed": N_("The case went to its new owner in CPIMS+"),
    "indicators.exported": N_("Downloaded the indicators"),
    "indicators.viewed": N_("Viewed the indicators"),
}


# Words for what an audit event is about; any other object type is shown as its code.
OBJECT_LABELS = {
    "report": N_("Report"), "case": N_("Case"), "user": N_("Account"), "team": N_("Team"),
    "supervision": N_("Supervision log"),
    "case_document": N_("Case document"),
    "referral": N_("Referral"), "case_transfer": N_("Transfer"), "service": N_("Service"),
    "committee_member": N_("Committee member"), "location": N_("Location"), "organisation": N_("Organisation"),
    "media": N_("File"), "approvals": N_("Approvals"), "case_list": N_("Case list"), "audit": N_("Audit trail"),
    "message_log": N_("Message log"), "ussd_simulation": N_("Simulator"), "sms_simulation": N_("Simulator"),
    "whatsapp_simulation": N_("Simulator"), "complaint": N_("Complaint"),
    "complaint_figures": N_("Complaint figures"),
    "primero_handoff": N_("Hand-off to CPIMS+"), "primero_pause": N_("Hand-offs to CPIMS+"),
    "indicators": N_("Indicators"),
}


def case_label(kind: str, code: str | None) -> str:
    """The translated label of a case-work code; the code itself when it has none."""
    return word(CASE_LABELS.get(kind, {}), code)


def refusal(code: str | None) -> tuple[str, int]:
    """What to tell the person about a refusal, and the HTTP status it is answered with."""
    msgid = REFUSALS.get(code or "", INVALID)
    return page_gettext()(msgid), 409 if code in CONFLICTS else 400
