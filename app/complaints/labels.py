"""Words for the complaint pages: the labels of complaint codes, and what each refusal of casecore means to a person."""
from __future__ import annotations

from app.web.pages import page_gettext
from app.web.words import CHANNELS, INVALID, LANGUAGES, word
from app.web.words import REFUSALS as SHARED_REFUSALS
from casecore import taxonomy
from casecore.errors import InvalidInput, InvalidPhoneNumber
from casecore.i18n import N_

# English msgids for complaint codes; casecore keeps the codes, the web catalogue the words.
COMPLAINT_LABELS: dict[str, dict[str, str]] = {
    "category": {
        "service_quality": N_("Quality of a service"),
        "no_response": N_("No response to a request"),
        "staff_misconduct": N_("Staff misconduct"),
        "sexual_exploitation_abuse": N_("Sexual exploitation or abuse"),
        "fraud_corruption": N_("Fraud or corruption"),
        "data_breach": N_("Personal data disclosed"),
        "other": N_("Something else"),
    },
    "severity": {"critical": N_("Critical"), "high": N_("High"), "medium": N_("Medium"), "low": N_("Low")},
    # A complaint's own words where a case's would not agree with it ("plainte" is feminine in French).
    "status": {"new": N_("New (complaint)"), "acknowledged": N_("Acknowledged"),
               "investigating": N_("Being investigated"), "resolved": N_("Resolved"),
               "closed": N_("Closed (complaint)")},
    # taxonomy.COMPLAINT_INTAKE_CHANNELS: the report channels, and the two a staff member logs a complaint from.
    "channel": {**{code: CHANNELS[code] for code in taxonomy.COMPLAINT_INTAKE_CHANNELS if code in CHANNELS},
                "in_person": N_("In person"), "phone_call": N_("By phone")},
    # The entries of a complaint's private trail.
    "note": {"note": N_("Note"), "acknowledged": N_("Acknowledged"), "resolved": N_("Resolved"),
             "informed": N_("Complainant informed"), "closed": N_("Closed (complaint)"),
             "severity": N_("Severity changed"),
             "named": N_("Staff member named"), "category": N_("Category changed")},
    "filter": {"open": N_("Not closed"), "closed": N_("Only closed"), "all": N_("Closed or not")},
    "language": LANGUAGES,
    # casecore.periods.PERIODS, on the figures page.
    "period": {
        "this_month": N_("This month"), "last_month": N_("Last month"), "last_90_days": N_("The last 90 days"),
        "this_year": N_("This year"), "custom": N_("Between two dates"),
    },
}
# The line under the category list of the intake form.
CATEGORY_HELP = N_("Sexual exploitation or abuse, staff misconduct, fraud or corruption and personal data disclosed "
                   "are seen only by the complaints focal points.")

# What each casecore.errors.Refused code of complaint handling means, said to the focal point.
REFUSALS: dict[str, str] = {
    "already_acknowledged": N_("This complaint has already been acknowledged."),
    "not_acknowledged": N_("Acknowledge the complaint first."),
    "closed": N_("The complaint is closed."),
    "not_in_hand": N_("Only an acknowledged complaint can be resolved."),
    "not_resolved": N_("The complaint must be resolved first."),
    "not_informed": N_("Inform the complainant of the outcome before closing the complaint."),
    "no_contact": N_("The complainant left no number, or did not agree to be contacted."),
    "already_informed": N_("The complainant has already been informed."),
    "outcome_required": N_("Write the outcome."),
    **SHARED_REFUSALS,
}
# Refusals about the complaint's state rather than the form's content: 409 rather than 400.
CONFLICTS = frozenset({"already_acknowledged", "not_acknowledged", "closed", "not_in_hand", "not_resolved",
                       "not_informed", "no_contact", "already_informed", "opted_out"})


def complaint_label(kind: str, code: str | None) -> str:
    """The translated label of a complaint code; the code itself when it has none."""
    return word(COMPLAINT_LABELS.get(kind, {}), code)


def refusal(error: InvalidInput) -> tuple[str, int]:
    """What to tell the focal point about a refused change, and the HTTP status it is answered with."""
    code = getattr(error, "code", None)
    return page_gettext()(REFUSALS.get(code or "", INVALID)), 409 if code in CONFLICTS else 400


def intake_error(error: Exception) -> str:
    """What to tell the staff member about a complaint form casecore refused."""
    _ = page_gettext()
    if isinstance(error, InvalidPhoneNumber):
        return _("The number to call back is not a valid phone number.")
    return _(INVALID)
