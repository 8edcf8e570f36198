"""Who consents for a child of each age (domain notes, "Consent"): the caregiver up to 5, the caregiver with the
child's assent from 6 to 14, the child from 15; a supervisor may authorise at any age; any giver while no age is
recorded."""
from __future__ import annotations

import pytest

from casecore.cases.consent_rules import check_consent, consent_rule
from casecore.errors import Refused


@pytest.mark.parametrize("age, code", [(None, "unknown"), (0, "caregiver"), (5, "caregiver"),
                                       (6, "caregiver_with_assent"), (14, "caregiver_with_assent"), (15, "child"),
                                       (17, "child"), (20, "child")])
def test_the_age_bands(age, code):
    assert consent_rule(age).code == code


@pytest.mark.parametrize("age, given_by, assent, expected", [
    (4, "caregiver", None, None),
    (4, "supervisor_authorised", None, None),
    (9, "caregiver", "given", "given"),
    (9, "caregiver_and_child", "refused", "refused"),
    (9, "supervisor_authorised", None, None),
    (12, "caregiver", "not_asked", "not_asked"),
    (16, "child", None, None),
    (None, "caregiver", None, None),
])
def test_what_fits_the_age_is_taken(age, given_by, assent, expected):
    assert check_consent(consent_rule(age), given_by, assent) == expected


@pytest.mark.parametrize("age, given_by, assent, code", [
    (4, "child", None, "consent_giver_caregiver"),
    (9, "child", "given", "consent_giver_caregiver_with_assent"),
    (9, "caregiver", None, "assent_required"),
    (16, "caregiver", None, "consent_giver_child"),
])
def test_what_does_not_fit_the_age_is_refused(age, given_by, assent, code):
    with pytest.raises(Refused) as refused:
        check_consent(consent_rule(age), given_by, assent)
    assert refused.value.code == code
