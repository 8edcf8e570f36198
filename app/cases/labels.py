"""Words for the case page: the labels of case-work codes, and what each refusal of casecore means to a person."""
from __future__ import annotations

from app.triage.views import LABELS
from app.web.pages import page_gettext
from casecore.i18n import N_

# English msgids for case-work codes; casecore keeps the codes, the web catalogue the words.
CASE_LABELS: dict[str, dict[str, str]] = {
    # Shared with the triage pages and the case list: one wording for a risk level, a step, a case's status.
    "risk": LABELS["risk"],
    "step": LABELS["step"],
    "status": LABELS["case_status"],
    "deadline": LABELS["deadline"],
    "purpose": {
        "services": N_("Services"), "sharing_providers": N_("Sharing with service providers"),
        "anonymous_statistics": N_("Anonymous statistics"),
    },
    "giver": {
        "caregiver": N_("Caregiver"), "child": N_("Child"), "caregiver_and_child": N_("Caregiver, with the child's assent"),
        "supervisor_authorised": N_("Authorised by a supervisor"),
    },
    "decision": {"pending": N_("Waiting for the supervisor"), "approved": N_("Approved"), "returned": N_("Returned")},
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
        "family_media": N_("Photo or file from the family"),
        "feedback": N_("The family gave feedback"),
        "note": N_("Note"),
        "step_changed": N_("Step changed"),
        "approval_requested": N_("Approval requested"),
        "approval_approved": N_("Approved"),
        "approval_returned": N_("Returned"),
        "consent_recorded": N_("Consent given"),
        "consent_refused": N_("Consent refused"),
        "consent_withdrawn": N_("Consent withdrawn"),
        "follow_up": N_("Follow-up logged"),
        "message_to_family": N_("Message to the family"),
        "closed": N_("Case closed"),
        "reopened": N_("Case reopened"),
        "referral": N_("Referral"),
        "assigned": N_("Case assigned"),
        "transfer": N_("Transfer"),
    },
}

# What each casecore.casework.Refused code means, said to the person who filled in the form.
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
    "note_required": N_("Write the note."),
    "message_required": N_("Write the message."),
    "reason_required": N_("Write why the case is reopened."),
    "worker_required": N_("Choose an active case worker of the organisation."),
    "already_assigned": N_("The case is already assigned to this case worker."),
    "text_too_long": N_("The text is too long."),
    "own_request": N_("You made this request: another supervisor must answer it."),
    "already_decided": N_("This request has already been answered."),
    "supervisor_authorises": N_("Only a supervisor can authorise consent in the family's stead."),
    "consent_not_active": N_("This consent is not in force: there is nothing to withdraw."),
    "date_in_future": N_("A follow-up cannot be dated in the future."),
    "closed_case_visit_only": N_("On a closed case only the visit after closure is logged, without a next date."),
    "review_needs_plan": N_("A case plan review needs an approved case plan."),
    "next_due_in_past": N_("The next follow-up must be in the future."),
    "opted_out": N_("This number asked for no more messages (STOP). Nothing was sent."),
    "message_too_long": N_("The message is too long for two SMS. Shorten it."),
    "no_family_number": N_("No family number is linked to this case."),
    "choose_number": N_("Choose the number to write to."),
    "not_closed": N_("Only a closed case can be reopened."),
    "bad_date": N_("Enter the date as YYYY-MM-DD."),
}
INVALID = N_("A value in the form is not valid. Check the form and try again.")
# Refusals about the case's state rather than the form's content: 409 rather than 400.
CONFLICTS = frozenset({"step_not_next", "not_open", "case_closed", "closure_pending", "wrong_step",
                       "approval_pending", "already_decided", "consent_not_active", "not_closed", "opted_out"})


def case_label(kind: str, code: str | None) -> str:
    """The translated label of a case-work code; the code itself when it has none."""
    msgid = CASE_LABELS.get(kind, {}).get(code or "")
    return page_gettext()(msgid) if msgid else (code or "")


def refusal(code: str | None) -> tuple[str, int]:
    """What to tell the person about a refusal, and the HTTP status it is answered with."""
    msgid = REFUSALS.get(code or "", INVALID)
    return page_gettext()(msgid), 409 if code in CONFLICTS else 400
