"""The family-message alert: that a family wrote and nothing else, one GSM-7 SMS part, in every staff language."""
from __future__ import annotations

import pytest

from casecore import taxonomy
from casecore.cases.alerts import family_message_text
from tests.unit.reports.test_alert_text import GSM7


@pytest.mark.parametrize("language", taxonomy.LANGUAGES)
def test_the_alert_fits_one_plain_sms(language):
    text = family_message_text(language)
    assert len(text) <= 160
    assert set(text) <= GSM7, set(text) - GSM7


def test_the_alert_is_translated():
    assert family_message_text("fr") == (
        "Relais: nouveau message d'une famille sur un de vos dossiers. Connectez-vous pour le lire.")
    assert family_message_text("en") == "Relais: a family sent a new message on one of your cases. Log in to read it."
    assert family_message_text("bm") == family_message_text("en")
