"""The alert SMS text: reference and urgency only, one GSM-7 SMS part, in every language we ship."""
from __future__ import annotations

import pytest

from casecore import taxonomy
from casecore.reports.alerts import alert_text

# GSM 03.38 basic character set (without the escape table): what every phone renders in a 160-character part.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
LONGEST_REFERENCE = "WWWWWWWWWWWWWWWW"  # the column allows 16 characters; today's codes have 7


@pytest.mark.parametrize("language", taxonomy.LANGUAGES)
@pytest.mark.parametrize("urgent", [True, False])
def test_alert_fits_one_plain_sms(language, urgent):
    text = alert_text(language, LONGEST_REFERENCE, urgent)
    assert LONGEST_REFERENCE in text
    assert len(text) <= 160
    assert set(text) <= GSM7, set(text) - GSM7


def test_alert_says_whether_it_is_urgent():
    assert "URGENT" in alert_text("fr", "ABC2345", True)
    assert "URGENT" not in alert_text("fr", "ABC2345", False)
    assert alert_text("fr", "ABC2345", False) == "Relais: nouveau signalement ABC2345 dans la file de tri."
    assert alert_text("en", "ABC2345", True) == "Relais: new report ABC2345. URGENT: act now."


def test_an_unknown_language_falls_back_to_english():
    assert alert_text("bm", "ABC2345", False) == alert_text("en", "ABC2345", False)
