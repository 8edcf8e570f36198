"""The invitations to give feedback: when a case closes, one for the adult and one for the child; after a service
a case was referred to, one to whoever holds the phone ("service").

They open nothing themselves: the family answers with the feedback keyword, which starts the feedback conversation.
Like every SMS to the community they say nothing of the case (no name, concern, reference or agency).
"""
from __future__ import annotations

from collections.abc import Mapping

from casecore.i18n import N_, gettext_for

INVITATIONS = {
    "adult": N_("Relais: your opinion matters. Reply %(keyword)s to tell us how our help went."),
    "child": N_("Relais: your opinion matters to us too. Reply %(keyword)s to tell us how we helped you."),
    "service": N_("Relais: your opinion matters. Reply %(keyword)s to tell us how the help you were offered went."),
}
# The word named when the keyword book has none for the language.
FALLBACK_KEYWORD = "AVIS"


def survey_invitations(language: str, keywords: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The invitations in language (by audience, and "service"), naming that language's feedback keyword (the first
    configured)."""
    _ = gettext_for(language)
    by_language = keywords.get("feedback", {})
    keyword = by_language.get(language) or next(iter(by_language.values()), FALLBACK_KEYWORD)
    return {audience: _(text) % {"keyword": keyword} for audience, text in INVITATIONS.items()}
