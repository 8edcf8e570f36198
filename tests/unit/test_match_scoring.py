"""Scoring a community tracing request against a registered child: the sex and the age rule a request out or in,
the nearest shared place and a name found in the request's words add to it."""
from __future__ import annotations

import uuid

import pytest

from casecore.cases.tracing import PROPOSE_FROM, Child, Request, score

COMMUNE, CERCLE, REGION, ELSEWHERE = (uuid.uuid4() for _ in range(4))


def child(**changes):
    base = dict(sex="female", age=9, places=(COMMUNE, CERCLE, REGION), names=("mariam", "coulibaly"))
    return Child(**{**base, **changes})


def request(**changes):
    base = dict(sex="female", age_band="6_11", places=(None, None, None), description=None)
    return Request(**{**base, **changes})


def test_sex_and_age_agreeing_are_enough_to_propose():
    assert score(child(), request()) == (4, ["sex", "age"]) and 4 >= PROPOSE_FROM


@pytest.mark.parametrize("changes", [dict(sex="male"), dict(age_band="0_5")])
def test_another_sex_or_an_age_far_off_rules_the_request_out(changes):
    assert score(child(), request(**changes)) == (0, [])


def test_an_age_a_year_outside_the_band_still_counts_less():
    assert score(child(age=12), request()) == (3, ["sex", "age_near"])


@pytest.mark.parametrize("places, points, reason", [((COMMUNE, CERCLE, REGION), 3, "same_commune"),
                                                    ((ELSEWHERE, CERCLE, REGION), 2, "same_cercle"),
                                                    ((None, None, REGION), 1, "same_region")])
def test_the_nearest_shared_place_counts(places, points, reason):
    assert score(child(), request(places=places)) == (4 + points, ["sex", "age", reason])


def test_a_name_in_the_request_counts_without_accents_or_case():
    found = score(child(names=("mariam", "kone")), request(description="Ma fille MARIAM, 9 ans, robe bleue"))
    assert found == (7, ["sex", "age", "name"])
    assert score(child(names=("awa",)), request(description="Awadi")) == (4, ["sex", "age"])  # whole words only


def test_unknown_sex_or_age_neither_rules_out_nor_counts():
    assert score(child(sex="unknown", age=None), request(places=(COMMUNE, None, None))) == (3, ["same_commune"])
