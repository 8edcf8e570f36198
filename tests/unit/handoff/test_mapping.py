"""What each Relais code becomes in a Primero instance, and what the instance would refuse."""
from __future__ import annotations

import json

import pytest

from casecore import taxonomy
from casecore.errors import InvalidInput
from casecore.handoff.mapping import (
    DISABLED_VALUE,
    NO_TARGET,
    UNKNOWN_LOCATION,
    UNKNOWN_VALUE,
    Problem,
    load_mapping,
    mapping_problems,
    stock_mapping,
)
from channels.primero.client import Lookup
from tests.fakes.primero import STOCK_LOOKUPS


def lookups(**changes) -> dict[str, Lookup]:
    """Stock Primero's lookups, with some lists replaced (unique_id with _ for -)."""
    found = {uid: Lookup(uid, frozenset(values)) for uid, values in STOCK_LOOKUPS.items()}
    for key, lookup in changes.items():
        found[key.replace("_", "-")] = lookup
    return found


def test_stock_primero_takes_every_relais_code():
    mapping = stock_mapping()
    assert set(mapping.concerns) == set(taxonomy.PROTECTION_CONCERNS)
    assert mapping_problems(mapping, lookups(), {"ML0101"}, ["ML0101"]) == []
    assert mapping.concern_values(["physical_abuse", "emotional_abuse", "caafag"]) == [
        "physically_or_mentally_abused", "caafag"]  # each value once
    assert mapping.sexes["unknown"] is None  # not sent rather than guessed


def test_a_deployment_file_renames_values_over_stock(tmp_path):
    path = tmp_path / "mali.json"
    path.write_text(json.dumps({"concerns": {**{c: ["other"] for c in taxonomy.PROTECTION_CONCERNS},
                                             "physical_abuse": ["physical_abuse_violence"],
                                             "trafficking": ["slavery_sale_abduction", "trafficked_smuggled"]},
                                "locations": {"ML0101": "MLI0101"}, "users": {"Agent@Demo.org ": "cp_worker"}}))
    mapping = load_mapping(path)
    assert mapping.concern_values(["trafficking"]) == ["slavery_sale_abduction", "trafficked_smuggled"]
    assert mapping.risk_levels == stock_mapping().risk_levels  # a section left out is stock's
    assert mapping.location_code("ML0101") == "MLI0101" and mapping.location_code("ML02") == "ML02"
    assert mapping.user_name("agent@demo.org") == "cp_worker" and mapping.user_name("other@demo.org") is None

    mali = lookups(lookup_protection_concerns=Lookup("lookup-protection-concerns", frozenset(
        {"physical_abuse_violence", "slavery_sale_abduction", "other"})))
    assert mapping_problems(mapping, mali, {"MLI0101"}, ["ML0101"]) == [
        Problem(UNKNOWN_VALUE, "concerns", "trafficking", "trafficked_smuggled")]


def test_the_same_mapping_as_csv(tmp_path):
    path = tmp_path / "mali.csv"
    path.write_text("section,relais_code,primero_value\n"
                    "concerns,trafficking,slavery_sale_abduction\nconcerns,trafficking,trafficked_smuggled\n"
                    "sexes,unknown,\nlocations,ML0101,MLI0101\nusers,agent@demo.org,cp_worker\n")
    mapping = load_mapping(path)
    assert mapping.concern_values(["trafficking"]) == ["slavery_sale_abduction", "trafficked_smuggled"]
    assert mapping.concerns == {"trafficking": ("slavery_sale_abduction", "trafficked_smuggled")}
    assert mapping.sexes == {"unknown": None} and mapping.user_name("agent@demo.org") == "cp_worker"


def test_every_problem_an_instance_can_have():
    mapping = stock_mapping()
    gender = Lookup("lookup-gender", frozenset({"male"}), disabled=frozenset({"female"}))
    without_risk = {k: v for k, v in lookups(lookup_gender=gender).items() if k != "lookup-risk-level"}
    problems = mapping_problems(mapping, without_risk, {"ML01"}, ["ML01", "ML0101"])
    assert Problem(DISABLED_VALUE, "sexes", "female", "female") in problems
    assert [p for p in problems if p.section == "risk_levels"] == [
        Problem(UNKNOWN_VALUE, "risk_levels", code, code) for code in taxonomy.CASE_RISK_LEVELS]
    assert Problem(UNKNOWN_LOCATION, "locations", "ML0101", "ML0101") in problems
    assert not any(p.relais_code == "ML01" for p in problems)


def test_a_code_left_without_a_target_is_listed(tmp_path):
    path = tmp_path / "partial.json"
    concerns = {c: ["other"] for c in taxonomy.PROTECTION_CONCERNS if c != "fgm"}
    path.write_text(json.dumps({"concerns": {**concerns, "neglect": []}}))
    problems = mapping_problems(load_mapping(path), lookups(), set())
    assert problems == [Problem(NO_TARGET, "concerns", "neglect"), Problem(NO_TARGET, "concerns", "fgm")]


@pytest.mark.parametrize(("name", "text", "says"), [
    ("m.json", "{not json", "is not JSON"),
    ("m.json", '{"concerns": ["x"]}', "each an object of codes"),
    ("m.json", '{"places": {}}', "each an object of codes"),
    ("m.json", '{"concerns": {"beaten": ["other"]}}', "concerns beaten"),
    ("m.csv", "kind,code,value\n", "the columns are"),
    ("m.csv", "section,relais_code,primero_value\nplaces,ML01,X\n", "line 2"),
])
def test_a_file_it_cannot_use_is_refused_with_the_reason(tmp_path, name, text, says):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidInput, match=says):
        load_mapping(path)
    with pytest.raises(InvalidInput, match="cannot read"):
        load_mapping(tmp_path / "missing.json")
