"""Report a child at risk: what is happening, danger now, who and where, consent, then a reference."""
from __future__ import annotations

from casecore.reports.intake import ReportDraft, submit_report
from dialogs.common import (
    AGE_BANDS,
    CONTINUE,
    SEXES,
    YES_NO,
    answered,
    can_be_called,
    confirm_step,
    consent_steps,
    description_step,
    emergency_numbers,
    language_of,
    location_code,
    place_steps,
)
from dialogs.engine import Answers, Context, Ending, Option, Step

FLOW = "report"
ENTRY = "report.concern"
REPORT_SUBMITTED = "report_submitted"

# The short list a reporter can choose from on a basic phone; codes are the inter-agency taxonomy's.
CONCERNS = (
    Option("physical_abuse", "Violence, beating"),
    Option("sexual_abuse", "Sexual abuse"),
    Option("neglect", "Neglect"),
    Option("child_marriage", "Child marriage"),
    Option("child_labour", "Child labour"),
    Option("separated", "Separated child"),
    Option("other", "Other"),
)


def _emergency_prompt(ctx: Context, _answers: Answers, _) -> str:
    if not ctx.services.emergency_contacts:
        return _("We will alert a supervisor at once.")
    return _("Danger now: call %(numbers)s. We will alert a supervisor at once.") % {
        "numbers": emergency_numbers(ctx)}


def submit(ctx: Context, answers: Answers, *, kind: str, flow: str, concern: str, danger_now: bool,
           **extra) -> str:
    """Store a report from a flow's answers and say what happens next; shared with the tracing flow."""
    services = ctx.services
    consent = answers[f"{flow}.consent"] == "yes"
    # A WhatsApp business-scoped id hides the number: such a reporter stays anonymous, whatever they answered.
    keeps_number = consent and can_be_called(ctx)
    draft = ReportDraft(
        channel=ctx.channel,
        channel_session_id=ctx.session_id,
        # Without consent the child's situation is still passed on, but the reporter stays anonymous.
        reporter_phone=ctx.phone if keeps_number else None,
        language=language_of(ctx, answers),
        concern=concern,
        danger_now=danger_now,
        child_sex=answers[f"{flow}.sex"],
        child_age_band=answers[f"{flow}.age"],
        location_code=location_code(flow, answers),
        may_contact=keeps_number and answers.get(f"{flow}.contact") == "yes",
        consent_to_share=consent,
        answers=dict(answers),
        kind=kind,
        description=answered(answers, f"{flow}.description"),
        # Kept even for an anonymous report: only this number can later ask where the report stands.
        reporter_key=services.phone_key(ctx.phone),
        **extra,
    )
    with services.unit_of_work() as session:
        report = submit_report(session, draft, organisation_id=services.receiving_organisation,
                               default_region=services.default_region, timelines=services.timelines)
    if report.is_new:
        ctx.events.append((REPORT_SUBMITTED, report.id))
    _ = ctx.gettext(answers)
    lines = [_("Thank you. Reference: %(reference)s") % {"reference": report.reference}]
    if report.urgent and services.emergency_contacts:
        lines.append(_("Urgent: supervisor alerted. In danger, call %(numbers)s")
                     % {"numbers": emergency_numbers(ctx)})
    else:
        lines.append(_("A child protection worker will review your report."))
    if not keeps_number:
        lines.append(_("Your number is not given to the workers."))
    return "\n".join(lines)


def cancelled(ctx: Context, answers: Answers) -> str:
    """Nothing stored; said plainly."""
    _ = ctx.gettext(answers)
    return _("Report cancelled. Nothing was saved.")


def _submit(ctx: Context, answers: Answers) -> str:
    return submit(ctx, answers, kind="child_at_risk", flow=FLOW, concern=answers["report.concern"],
                  danger_now=answers["report.danger"] == "yes")


STEPS = {
    "report.concern": Step("report.concern", "What is happening?", CONCERNS, "report.danger"),
    "report.danger": Step("report.danger", "Is the child in danger right now?", YES_NO,
                          lambda ctx, a: "report.emergency" if a["report.danger"] == "yes" else "report.sex"),
    # The danger-now branch says who to call before anything else is asked.
    "report.emergency": Step("report.emergency", _emergency_prompt, CONTINUE, "report.sex", reveals_answers=True),
    "report.sex": Step("report.sex", "Is the child a girl or a boy?", SEXES, "report.age"),
    "report.age": Step("report.age", "How old is the child?", AGE_BANDS, "report.region"),
    **place_steps(FLOW, "Where is the child? Region:", "report.description"),
    "report.description": description_step("report.description", "In a few words, what is happening? (optional)",
                                           "report.consent"),
    **consent_steps(FLOW, "report.confirm"),
    "report.confirm": confirm_step(FLOW, "Send the report?", "report.submitted", "report.cancelled"),
}

ENDINGS = {
    "report.submitted": Ending("report.submitted", _submit),
    "report.cancelled": Ending("report.cancelled", cancelled),
}
