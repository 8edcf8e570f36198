"""The SMS a person who asked Relais to trace a missing child gets when staff have news: the request's reference and
how to reach the case worker, nothing else (no child, place or agency: the phone may be shared)."""
from __future__ import annotations

from casecore.i18n import N_, gettext_for

NEWS = N_("Relais: there is news about your search request %(reference)s. Reply to this SMS to reach the case worker.")


def news_text(language: str, reference: str) -> str:
    """The news in the person's language."""
    return gettext_for(language)(NEWS) % {"reference": reference}
