"""Choices and steps several conversations share: yes/no, places, consent, confirmation."""
from __future__ import annotations

from casecore.free_text import short_text
from casecore.i18n import N_
from casecore.people.locations import PlaceDirectory
from casecore.phones import is_business_scoped_id
from dialogs.engine import Answers, Context, Option, Step

UNKNOWN = "unknown"
TEXT_CHANNELS = ("sms", "whatsapp")

YES_NO = (Option("yes", "Yes"), Option("no", "No"))
CONFIRM = (Option("send", "Send"), Option("cancel", "Cancel"))
SKIP = (Option("", "Skip"),)
CONTINUE = (Option("continue", "Continue"),)
SEXES = (Option("female", "Girl"), Option("male", "Boy"), Option(UNKNOWN, "I don't know"))
AGE_BANDS = (
    Option("0_5", "0-5 years"),
    Option("6_11", "6-11 years"),
    Option("12_17", "12-17 years"),
    Option(UNKNOWN, "I don't know"),
)
# What a short free-text answer may hold (what casecore stores of a description or a comment).
DESCRIPTION_LENGTH = 500
# The apology when the service cannot answer (a store down, nothing configured to offer instead).
SERVICE_UNAVAILABLE = N_("Sorry, the service is not available right now. Please try again later.")


def language_of(ctx: Context, answers: Answers) -> str:
    """The language the conversation is held in."""
    return answers.get("language") or ctx.default_language


# A USSD screen has room for two numbers beside its text and the complaint line; EMERGENCY_CONTACTS is read in order,
# the most important first, and the text channels give them all.
USSD_EMERGENCY_NUMBERS = 2


def emergency_numbers(ctx: Context) -> str:
    """The configured emergency numbers, as read out on a screen (the first two on USSD)."""
    contacts = ctx.services.emergency_contacts
    if ctx.channel not in TEXT_CHANNELS:
        contacts = contacts[:USSD_EMERGENCY_NUMBERS]
    return ", ".join(contacts)


def place_steps(flow: str, region_prompt: str, after: str) -> dict[str, Step]:
    """Region then commune (skipped when the region is unknown), from the location data."""
    region, commune = f"{flow}.region", f"{flow}.commune"

    def regions(ctx: Context, _answers: Answers) -> tuple[Option, ...]:
        return place_options(ctx.services.places, None)

    def communes(ctx: Context, answers: Answers) -> tuple[Option, ...]:
        return place_options(ctx.services.places, answers[region])

    return {
        region: Step(region, region_prompt, regions, lambda ctx, a: after if a[region] == UNKNOWN else commune),
        commune: Step(commune, "Commune:", communes, after, reveals_answers=True),
    }


# Menu options per directory and region, built once per directory (reloaded every PLACES_CACHE_SECONDS): every
# USSD step replays the place questions before it.
_PLACE_OPTIONS: dict[tuple[int, str | None], tuple[PlaceDirectory, tuple[Option, ...]]] = {}


def place_options(places: PlaceDirectory, region: str | None) -> tuple[Option, ...]:
    """The regions (region None) or a region's communes as options, with "I don't know" last."""
    key = (id(places), region)
    cached = _PLACE_OPTIONS.get(key)
    if cached is not None and cached[0] is places:
        return cached[1]
    listed = places.regions if region is None else places.communes(region)
    options = tuple(Option(p.code, p.name, literal=True) for p in listed) + (Option(UNKNOWN, "I don't know"),)
    if len(_PLACE_OPTIONS) > 512:
        _PLACE_OPTIONS.clear()  # directories come and go; old ones are simply built again if ever asked for
    _PLACE_OPTIONS[key] = (places, options)
    return options


def location_code(flow: str, answers: Answers) -> str | None:
    """The most precise place chosen in a flow, or None."""
    for key in (f"{flow}.commune", f"{flow}.region"):
        if answers.get(key) not in (None, UNKNOWN):
            return answers[key]
    return None


def can_be_called(ctx: Context) -> bool:
    """Whether the person writing has a number we could call or text back: not when they write on WhatsApp from a
    business-scoped id, their number hidden behind a username."""
    return not is_business_scoped_id(ctx.phone)


def consent_steps(flow: str, after: str) -> dict[str, Step]:
    """May workers know the number, then (only after a yes, and when there is a number to call) may they call it."""
    consent, contact = f"{flow}.consent", f"{flow}.contact"
    return {
        # Consent is about the reporter: the child's situation goes to workers either way (safeguarding),
        # but without consent the reporter's number is neither kept nor shown.
        consent: Step(consent, "May child protection workers know your number?", YES_NO,
                      lambda ctx, a: contact if a[consent] == "yes" and can_be_called(ctx) else after),
        # Asked only after a yes to the consent question, so showing it reveals that answer.
        contact: Step(contact, "May we call you on this number?", YES_NO, after, reveals_answers=True),
    }


def description_step(name: str, prompt: str, after: str) -> Step:
    """An optional short free text, on the text channels only: on USSD a `*` typed in it would answer the next step."""
    return Step(name, prompt, SKIP, after, free_text=True, accept=_short_text, channels=TEXT_CHANNELS)


def confirm_step(flow: str, prompt: str, sent: str, cancelled: str) -> Step:
    """Send or cancel, leading to the flow's two endings."""
    name = f"{flow}.confirm"
    return Step(name, prompt, CONFIRM, lambda ctx, a: sent if a[name] == "send" else cancelled)


def _short_text(_ctx: Context, _answers: Answers, text: str) -> str | None:
    return short_text(" ".join(text.split()), DESCRIPTION_LENGTH)


def answered(answers: Answers, name: str) -> str | None:
    """A free-text answer, or None when it was skipped or not asked on this channel."""
    return answers.get(name) or None

