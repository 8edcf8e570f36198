"""The score leaves equivalent mutants out and counts a timeout as a kill; equivalent.toml needs a why for each."""
from __future__ import annotations

import pytest

from scripts.mutation.config import load_equivalent
from scripts.mutation.mutants import module_mutants
from scripts.mutation.report import scores, survivors, table
from scripts.mutation.runner import EQUIVALENT, KILLED, SURVIVED, TIMEOUT, UNCOVERED, Result


def test_the_score_counts_timeouts_as_kills_and_leaves_equivalent_mutants_out():
    mutants = module_mutants("m.py", "def f(a, b):\n    return a <= b and a > 0\n")
    statuses = [KILLED, KILLED, TIMEOUT, SURVIVED, UNCOVERED, EQUIVALENT]
    results = [Result(mutant, status) for mutant, status in zip(mutants, statuses, strict=False)]
    [line] = scores(results, ["m.py"])
    assert (line.mutants, line.killed, line.timed_out, line.survived, line.equivalent) == (6, 2, 1, 2, 1)
    assert line.percent == pytest.approx(60.0)
    assert "60.0 %  < target" in table([line], 95)
    shown = survivors(results)
    assert f"{results[3].mutant.id}\n  m.py:2 (0 tests passed)" in shown
    assert "(no test runs this line)" in shown
    assert "    - return a <= b and a > 0\n    + return " in shown


def test_an_equivalent_mutant_needs_its_why(tmp_path):
    path = tmp_path / "equivalent.toml"
    path.write_text('[[mutant]]\nid = "m.py:cmp_boundary:0123abcd:0"\nwhy = "ids are unique"\n')
    assert load_equivalent(path) == {"m.py:cmp_boundary:0123abcd:0": "ids are unique"}
    path.write_text('[[mutant]]\nid = "m.py:cmp_boundary:0123abcd:0"\n')
    with pytest.raises(SystemExit, match="needs an id and a why"):
        load_equivalent(path)
