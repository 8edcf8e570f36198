"""Words for the administrator's pages: roles, staff sexes, location levels, and the message log's directions and
statuses; languages are app.web.words'."""
from __future__ import annotations

from app.web.pages import page_gettext
from app.web.words import LANGUAGES
from casecore.i18n import N_

# English msgids for the codes the administrator's pages show.
PEOPLE_LABELS: dict[str, dict[str, str]] = {
    "role": {"supervisor": N_("Supervisor"), "caseworker": N_("Case worker"), "admin": N_("Administrator"),
             "focal_point": N_("Complaints focal point")},
    "sex": {"female": N_("Woman"), "male": N_("Man")},
    "language": LANGUAGES,
    "level": {"1": N_("Regions"), "2": N_("Cercles"), "3": N_("Communes")},
}


def people_label(kind: str, code: object) -> str:
    """The translated label of a role, sex, language or location level code; the code itself when it has none."""
    msgid = PEOPLE_LABELS.get(kind, {}).get(str(code))
    return page_gettext()(msgid) if msgid else str(code)


# English msgids for the codes the log shows; casecore keeps the codes, the web catalogue the words.
LOG_LABELS: dict[str, str] = {
    "in": N_("Inbound"),
    "out": N_("Outbound"),
    "queued": N_("Queued"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "read": N_("Read by the person"),
    "failed": N_("Failed"),
    "received": N_("Received, not processed"),
    "processed": N_("Processed"),
    "limited": N_("Not handled: too many messages from this number"),
    "unknown": N_("Outcome unknown: checking with the provider"),
    "held": N_("Held until the person writes on WhatsApp"),
    "rerouted": N_("Sent by SMS instead"),
}


def log_label(code: str | None) -> str:
    """The translated word for a direction or status code; the code itself when it has none."""
    if not code:
        return ""
    msgid = LOG_LABELS.get(code)
    return page_gettext()(msgid) if msgid else code
