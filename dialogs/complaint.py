"""Make a complaint: category, an optional description, anonymous or not; a reference to follow it up."""
from __future__ import annotations

from casecore.complaints.intake import ComplaintDraft, submit_complaint
from dialogs.common import YES_NO, answered, can_be_called, confirm_step, description_step, language_of
from dialogs.engine import Answers, Context, Ending, Option, Step

ENTRY = "complaint.category"
COMPLAINT_SUBMITTED = "complaint_submitted"

CATEGORIES = (
    Option("service_quality", "Poor service"),
    Option("no_response", "No answer, delays"),
    Option("staff_misconduct", "Staff behaviour"),
    Option("sexual_exploitation_abuse", "Sexual exploitation, abuse"),
    Option("fraud_corruption", "Fraud, bribes"),
    Option("data_breach", "Misuse of personal data"),
    Option("other", "Other"),
)


def _submit(ctx: Context, answers: Answers) -> str:
    services = ctx.services
    anonymous = answers["complaint.anonymous"] == "yes"
    # From a WhatsApp business-scoped id there is no number to call back, named or not.
    callable_back = not anonymous and can_be_called(ctx)
    draft = ComplaintDraft(
        organisation_id=services.receiving_organisation,
        channel=ctx.channel,
        channel_session_id=ctx.session_id,
        category=answers["complaint.category"],
        anonymous=anonymous,
        contact_phone=ctx.phone if callable_back else None,
        may_contact=callable_back,
        description=answered(answers, "complaint.description"),
        language=language_of(ctx, answers),
        complainant_key=services.phone_key(ctx.phone),
    )
    with services.unit_of_work() as session:
        complaint = submit_complaint(session, draft, default_region=services.default_region,
                                     timelines=services.timelines)
    if complaint.is_new:
        ctx.events.append((COMPLAINT_SUBMITTED, complaint.id))
    _ = ctx.gettext(answers)
    lines = [_("Thank you. Reference: %(reference)s") % {"reference": complaint.reference},
             _("Handled in confidence by people not involved.")]
    lines.append(_("We may call you on this number.") if callable_back
                 else _("Your number is not given to the workers."))
    return "\n".join(lines)


def _cancelled(ctx: Context, answers: Answers) -> str:
    _ = ctx.gettext(answers)
    return _("Complaint cancelled. Nothing was saved.")


STEPS = {
    "complaint.category": Step("complaint.category", "Your complaint is about:", CATEGORIES,
                               "complaint.description"),
    # On the text channels only: on USSD a `*` typed in free text would answer the next question.
    "complaint.description": description_step("complaint.description", "Describe it in a few words (optional):",
                                              "complaint.anonymous"),
    "complaint.anonymous": Step("complaint.anonymous", "Stay anonymous?", YES_NO, "complaint.confirm"),
    "complaint.confirm": confirm_step("complaint", "Send the complaint?", "complaint.submitted",
                                      "complaint.cancelled"),
}

ENDINGS = {
    "complaint.submitted": Ending("complaint.submitted", _submit),
    "complaint.cancelled": Ending("complaint.cancelled", _cancelled),
}
