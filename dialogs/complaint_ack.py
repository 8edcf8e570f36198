"""The SMS acknowledging a complaint made on USSD or logged by staff for someone who came in person or called: its
reference, nothing else (no category, name or agency: the phone may be shared)."""
from __future__ import annotations

from casecore.i18n import N_, gettext_for

ACKNOWLEDGED = N_("Relais: we have your message. Your reference: %(reference)s")


def acknowledgement_text(language: str, reference: str) -> str:
    """The acknowledgement in the complainant's language."""
    return gettext_for(language)(ACKNOWLEDGED) % {"reference": reference}
