"""The community conversation: language, the main menu, help, and every flow a community member can start."""
from __future__ import annotations

import re
from typing import Mapping

from casecore.i18n import gettext_for
from dialogs import case_message, complaint, feedback, report_child, status_check, tracing
from dialogs.common import TEXT_CHANNELS, emergency_numbers, language_of
from dialogs.engine import Answers, Context, Conversation, Option, Step

LANGUAGE, MAIN, HELP = "language", "main", "help"

# Language names are written in their own language, so they are literal on every screen.
LANGUAGES = (
    Option("fr", "Francais", literal=True),
    Option("en", "English", literal=True),
    Option("bm", "Bamanankan", literal=True),
)

# The main menu, in the order it is shown; keywords on SMS and WhatsApp lead to the same entries.
MAIN_MENU = (
    Option("report", "Report a child at risk"),
    Option("tracing", "Report a missing child"),
    Option("message", "Message my case worker"),
    Option("feedback", "Give feedback"),
    Option("complaint", "Make a complaint"),
    Option("status", "Check a report"),
    Option("help", "Help, language"),
)
ACTIONS = tuple(option.value for option in MAIN_MENU)

_ENTRIES = {
    "report": report_child.ENTRY,
    "tracing": tracing.ENTRY,
    "feedback": feedback.ENTRY,
    "complaint": complaint.ENTRY,
    "status": status_check.ENTRY,
    "help": HELP,
}


def _after_main(ctx: Context, answers: Answers) -> str:
    action = answers[MAIN]
    return case_message.entry(ctx) if action == "message" else _ENTRIES[action]


def _help_prompt(ctx: Context, answers: Answers, _) -> str:
    lines = [_("Relais protects children. Free and confidential.")]
    if ctx.services.emergency_contacts:
        lines.append(_("Danger now: call %(numbers)s.") % {"numbers": emergency_numbers(ctx)})
    if ctx.channel in TEXT_CHANNELS:
        keywords = ctx.services.keywords
        language = language_of(ctx, answers)
        lines.append(_("Send %(report)s to report, %(complaint)s to complain, STOP to stop our messages.") % {
            "report": keywords.get("report", {}).get(language, main_menu_token("report")),
            "complaint": complaint_keyword(keywords, language)})
    else:
        lines.append(_("To complain: choose %(option)s in the menu.") % {"option": main_menu_token("complaint")})
    return "\n".join(lines)


def main_menu_token(action: str) -> str:
    """What a person would type at the main menu to start action (keywords replay it)."""
    return str(ACTIONS.index(action) + 1)


# A dialled code worth naming: `*`, digits and `#`, short enough for the hint to fit under every last screen
# (the screen tests measure it with an 8-character code); anything else is left out rather than shown.
_DIAL_CODE = re.compile(r"\*[0-9]+(\*[0-9]+)*#")
DIAL_CODE_LENGTH = 8
# The word named when the keyword book has no complaint keyword at all (SMS_KEYWORDS emptied it).
FALLBACK_COMPLAINT_KEYWORD = "PLAINTE"


def complaint_keyword(keywords: Mapping[str, Mapping[str, str]], language: str) -> str:
    """The complaint keyword of language (the first configured), else that of another language."""
    by_language = keywords.get("complaint", {})
    return by_language.get(language) or next(iter(by_language.values()), FALLBACK_COMPLAINT_KEYWORD)


def complaint_hint(channel: str, language: str, keywords: Mapping[str, Mapping[str, str]],
                   ussd_code: str = "") -> str:
    """The short line under every last message: how to complain on this channel (a keyword, or a menu option)."""
    _ = gettext_for(language)
    if channel in TEXT_CHANNELS:
        return _("Complaint: send %(keyword)s") % {"keyword": complaint_keyword(keywords, language)}
    option = main_menu_token("complaint")
    code = ussd_code.strip()
    if len(code) <= DIAL_CODE_LENGTH and _DIAL_CODE.fullmatch(code):
        return _("Complaint: %(code)s, option %(option)s") % {"code": code, "option": option}
    return _("Complaint: menu option %(option)s") % {"option": option}


def _sign_off(ctx: Context, answers: Answers) -> str:
    services = ctx.services
    return complaint_hint(ctx.channel, language_of(ctx, answers), services.keywords, services.ussd_code)


STEPS = {
    LANGUAGE: Step(LANGUAGE, "Langue / Language", LANGUAGES, MAIN, literal_prompt=True),
    MAIN: Step(MAIN, "Relais - child protection", MAIN_MENU, _after_main),
    HELP: Step(HELP, _help_prompt, (Option("language", "Change language"),), LANGUAGE),
    **report_child.STEPS,
    **tracing.STEPS,
    **case_message.STEPS,
    **feedback.STEPS,
    **complaint.STEPS,
    **status_check.STEPS,
}

COMMUNITY = Conversation(
    start=LANGUAGE,
    home=MAIN,
    keep_on_home=(LANGUAGE,),
    steps=STEPS,
    endings={
        **report_child.ENDINGS,
        **tracing.ENDINGS,
        **case_message.ENDINGS,
        **feedback.ENDINGS,
        **complaint.ENDINGS,
        **status_check.ENDINGS,
    },
    # Every last screen says how to complain (issue 6, "telling communities").
    sign_off=_sign_off,
)

# Where nothing is worth offering to continue: a dropped session there is simply started again.
NOT_RESUMABLE = frozenset({LANGUAGE, MAIN, HELP})


def start_for(language: str | None) -> tuple[str, dict[str, str]]:
    """Where a new conversation starts: the main menu in a remembered language, else the language choice."""
    return (MAIN, {LANGUAGE: language}) if language else (LANGUAGE, {})
