"""The SMS a community committee member gets when their report is taken up: its reference and thanks, nothing else
(no child, concern or agency: the phone may be shared)."""
from __future__ import annotations

from casecore.i18n import N_, gettext_for

ACCEPTED = N_("Relais: your report %(reference)s has been taken up. Thank you.")


def accepted_text(language: str, reference: str) -> str:
    """The thanks in the member's language."""
    return gettext_for(language)(ACCEPTED) % {"reference": reference}
