"""Check a report by its reference: only from the number that made it, and only a status in plain words."""
from __future__ import annotations

from casecore.cases.status import report_status
from casecore.complaints.intake import complaint_status
from casecore.i18n import N_
from casecore.references import clean_reference, is_valid_reference
from dialogs.engine import Answers, Context, Ending, Step

ENTRY = "status.reference"

# Plain words for each status; never a detail of the report or the case.
REPORT_STATUS_TEXT = {
    "new": N_("Your report was received. It is waiting to be reviewed."),
    "accepted": N_("A child protection worker is following up your report."),
    "duplicate": N_("Your report was reviewed together with another report."),
    "not_eligible": N_("Your report was reviewed. No follow-up by our service."),
    "referred": N_("Your report was passed to another service."),
    "closed": N_("The follow-up of your report is finished."),
    # Sent straight to the case management system, where a case was opened for it.
    "handed_over": N_("A child protection worker is following up your report."),
}
COMPLAINT_STATUS_TEXT = {
    "new": N_("Your complaint was received. It will be handled soon."),
    "closed": N_("Your complaint was handled and closed."),
}
COMPLAINT_IN_HAND = N_("Your complaint is being handled.")


def _read_reference(_ctx: Context, _answers: Answers, text: str) -> str | None:
    reference = clean_reference(text)
    return reference if is_valid_reference(reference) else None


def _status(ctx: Context, answers: Answers) -> str:
    services = ctx.services
    reference = answers["status.reference"]
    key = services.phone_key(ctx.phone)
    with services.unit_of_work() as session:
        report = report_status(session, reference, key)
        complaint = None if report else complaint_status(session, reference, key)
    _ = ctx.gettext(answers)
    if report:
        text = REPORT_STATUS_TEXT.get(report, REPORT_STATUS_TEXT["new"])
    elif complaint:
        text = COMPLAINT_STATUS_TEXT.get(complaint, COMPLAINT_IN_HAND)
    else:
        # The same answer whether the reference does not exist or was made from another number.
        text = N_("No report with this reference was made from this number.")
    return f"{reference}: {_(text)}"


STEPS = {
    "status.reference": Step("status.reference", "Type the reference of your report:", (), "status.result",
                             free_text=True, accept=_read_reference,
                             invalid="This is not a valid reference. Check it and try again."),
}

ENDINGS = {"status.result": Ending("status.result", _status)}
