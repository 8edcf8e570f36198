"""Words for the hand-off's statuses and triggers on the web view."""
from __future__ import annotations

from app.web.pages import page_gettext
from casecore.i18n import N_

HANDOFF_LABELS = {
    "status": {
        "waiting": N_("Waiting to be sent"),
        "sending": N_("Being sent"),
        "unknown": N_("Outcome unknown: being checked in CPIMS+"),
        "sent": N_("In CPIMS+"),
        "failed": N_("Failed"),
    },
    "trigger": {
        "off": N_("Not handed over"),
        "on_accept": N_("When a supervisor accepts a report"),
        "on_report": N_("As soon as a report arrives (triage in CPIMS+)"),
    },
}


def handoff_label(kind: str, code: str | None) -> str:
    """The translated words for a hand-off code; the code itself when it has none."""
    msgid = HANDOFF_LABELS.get(kind, {}).get(code or "")
    return page_gettext()(msgid) if msgid else (code or "")
