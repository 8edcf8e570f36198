"""Words for the triage pages: the report's codes, with the case's and the shared lists' words they show too."""
from __future__ import annotations

from app.cases.labels import CASE_FILTER, CASE_STATUS, DEADLINE, RISK, STEP
from app.web.pages import page_gettext
from app.web.words import CHANNELS, LANGUAGES
from casecore.i18n import N_

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
    "channel": CHANNELS,
    "risk": RISK,
    "step": STEP,
    "case_status": CASE_STATUS,
    "report_status": {
        "new": N_("New"),
        "accepted": N_("Accepted: a case was opened"),
        "duplicate": N_("Duplicate"),
        "not_eligible": N_("Not eligible"),
        "referred": N_("Referred to another organisation"),
        "closed": N_("Closed"),
        "handed_over": N_("Handed over to CPIMS+"),
    },
    "deadline": DEADLINE,
    "not_eligible": {
        "no_protection_concern": N_("No child protection concern"),
        "outside_area": N_("Outside the organisation's area"),
        "insufficient_information": N_("Not enough information to find the child"),
        "adult": N_("The person is 18 or older"),
        "false_report": N_("False or malicious report"),
        "other": N_("Other reason"),
    },
    "language": LANGUAGES,
    "case_filter": CASE_FILTER,
}

# English msgids for an item's status and reason codes (casecore.messaging.media, channels.media_download).
STATUSES = {
    "pending": N_("Being downloaded"),
    "stored": N_("Received"),
    "refused": N_("Refused"),
    "failed": N_("Could not be downloaded"),
}
REASONS = {
    "too_big": N_("the file is too big"),
    "type_not_allowed": N_("this type of file is not accepted"),
    "type_mismatch": N_("the file is not what it claims to be"),
    "empty": N_("the file is empty"),
    "not_found": N_("the provider no longer has it"),
    "unauthorized": N_("the provider refused access"),
    "gave_up": N_("too many failed attempts"),
    "retention": N_("removed at the end of its retention period"),
    "host_not_allowed": N_("the link does not lead to the provider"),
    "internal_address": N_("the link leads to an internal address"),
    "too_many_redirects": N_("the link does not lead to the provider"),
    "bad_url": N_("the link does not lead to the provider"),
}


def label(kind: str, code: str) -> str:
    """The translated label of a list-of-values code; the code itself when it has none."""
    msgid = LABELS.get(kind, {}).get(code)
    return page_gettext()(msgid) if msgid else code
