"""Words for the feedback page: its groups, subjects and audiences; channels and service types are worded elsewhere."""
from __future__ import annotations

from app.directory.labels import SERVICE_TYPE_LABELS
from app.web.pages import page_gettext
from app.web.words import CHANNELS
from casecore.feedback import figures as ff
from casecore.i18n import N_

# The rows of the figures (casecore.feedback.figures), what an answer is about (taxonomy.FEEDBACK_ABOUT), who gave it
# (taxonomy.FEEDBACK_AUDIENCES).
GROUP_LABELS = {ff.CASE_MANAGEMENT: N_("Case management"), ff.GENERAL: N_("General")}
ABOUT_LABELS = {
    "service": N_("A service the case was referred to"), "closure": N_("The closure of the case"),
    "case": N_("The case"), "general": N_("Nothing in particular"),
}
AUDIENCE_LABELS = {"adult": N_("Adults"), "child": N_("Children")}


def feedback_label(kind: str, code: str | None) -> str:
    """The translated word for a group, a subject, an audience, a channel or a service type."""
    table = {"group": GROUP_LABELS, "about": ABOUT_LABELS, "audience": AUDIENCE_LABELS, "channel": CHANNELS,
             "service_type": SERVICE_TYPE_LABELS}[kind]
    msgid = table.get(code)
    return page_gettext()(msgid) if msgid else str(code or "")
