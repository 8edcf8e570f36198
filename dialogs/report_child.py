"""The community conversation: choose a language, then report a child at risk, one short question at a time."""
from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from casecore.locations import PlaceDirectory
from casecore.reports import ReportDraft, submit_report
from dialogs.engine import Answers, Context, Conversation, Ending, Option, Step

UNKNOWN = "unknown"
REPORT_SUBMITTED = "report_submitted"


@dataclass
class ReportServices:
    """What the report conversation needs from the case store and configuration."""

    places: PlaceDirectory
    # Opens a transaction; only the last step needs one, so earlier steps never touch the database.
    unit_of_work: Callable[[], AbstractContextManager[Session]]
    receiving_organisation: uuid.UUID
    default_region: str
    emergency_contacts: tuple[str, ...]


# Language names are written in their own language, so they are literal on every screen.
LANGUAGES = (
    Option("fr", "Francais", literal=True),
    Option("en", "English", literal=True),
    Option("bm", "Bamanankan", literal=True),
)

MAIN_MENU = (Option("report", "Report a child at risk"),)

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

YES_NO = (Option("yes", "Yes"), Option("no", "No"))
SEXES = (Option("female", "Girl"), Option("male", "Boy"), Option(UNKNOWN, "I don't know"))
AGE_BANDS = (
    Option("0_5", "0-5 years"),
    Option("6_11", "6-11 years"),
    Option("12_17", "12-17 years"),
    Option(UNKNOWN, "I don't know"),
)
CONFIRM = (Option("send", "Send"), Option("cancel", "Cancel"))


def _regions(ctx: Context, _answers: Answers) -> list[Option]:
    places = ctx.services.places.regions
    return [Option(p.code, p.name, literal=True) for p in places] + [Option(UNKNOWN, "I don't know")]


def _communes(ctx: Context, answers: Answers) -> list[Option]:
    places = ctx.services.places.communes(answers["region"])
    return [Option(p.code, p.name, literal=True) for p in places] + [Option(UNKNOWN, "I don't know")]


def _after_region(answers: Answers) -> str:
    return "consent" if answers["region"] == UNKNOWN else "commune"


def _after_consent(answers: Answers) -> str:
    # Contact only makes sense when the reporter lets workers know their number.
    return "contact" if answers["consent"] == "yes" else "confirm"


def _after_confirm(answers: Answers) -> str:
    return "submitted" if answers["confirm"] == "send" else "cancelled"


def _location_code(answers: Answers) -> str | None:
    for key in ("commune", "region"):
        if answers.get(key) not in (None, UNKNOWN):
            return answers[key]
    return None


def _submit(ctx: Context, answers: Answers) -> str:
    services: ReportServices = ctx.services
    language = answers.get("language") or ctx.default_language
    consent = answers["consent"] == "yes"
    draft = ReportDraft(
        channel=ctx.channel,
        channel_session_id=ctx.session_id,
        # Without consent the child's situation is still passed on, but the reporter stays anonymous.
        reporter_phone=ctx.phone if consent else None,
        language=language,
        concern=answers["concern"],
        danger_now=answers["danger"] == "yes",
        child_sex=answers["sex"],
        child_age_band=answers["age"],
        location_code=_location_code(answers),
        may_contact=consent and answers.get("contact") == "yes",
        consent_to_share=consent,
        answers=dict(answers),
    )
    with services.unit_of_work() as session:
        report = submit_report(session, draft, organisation_id=services.receiving_organisation,
                               default_region=services.default_region)
    if report.is_new:
        ctx.events.append((REPORT_SUBMITTED, report.id))
    _ = ctx.gettext(answers)
    lines = [_("Thank you. Your reference: %(reference)s") % {"reference": report.reference}]
    if report.urgent and services.emergency_contacts:
        lines.append(_("Urgent: we alert a supervisor now. Immediate danger: call %(numbers)s")
                     % {"numbers": ", ".join(services.emergency_contacts)})
    else:
        lines.append(_("A child protection worker will review your report."))
    if not consent:
        lines.append(_("Your number was not kept."))
    return "\n".join(lines)


def _cancel(ctx: Context, answers: Answers) -> str:
    _ = ctx.gettext(answers)
    return _("Report cancelled. Nothing was saved.")


COMMUNITY = Conversation(
    start="language",
    home="main",
    keep_on_home=("language",),
    steps={
        "language": Step("language", "Langue / Language", LANGUAGES, "main", literal_prompt=True),
        "main": Step("main", "Relais - child protection", MAIN_MENU, "concern"),
        "concern": Step("concern", "What is happening?", CONCERNS, "danger"),
        "danger": Step("danger", "Is the child in danger right now?", YES_NO, "sex"),
        "sex": Step("sex", "Is the child a girl or a boy?", SEXES, "age"),
        "age": Step("age", "How old is the child?", AGE_BANDS, "region"),
        "region": Step("region", "Where is the child? Region:", _regions, _after_region),
        "commune": Step("commune", "Commune:", _communes, "consent"),
        # Consent is about the reporter: the child's situation goes to workers either way (safeguarding),
        # but without consent the reporter's number is neither kept nor shown.
        "consent": Step("consent", "May child protection workers know your number?", YES_NO, _after_consent),
        "contact": Step("contact", "May we call you on this number?", YES_NO, "confirm"),
        "confirm": Step("confirm", "Send the report?", CONFIRM, _after_confirm),
    },
    endings={"submitted": Ending("submitted", _submit), "cancelled": Ending("cancelled", _cancel)},
)
