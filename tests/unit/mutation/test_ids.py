"""Mutant ids survive unrelated edits: they name the module, the operator, the mutated line's text and its place
among alike mutants, not a line number."""
from __future__ import annotations

import textwrap

from scripts.mutation.mutants import module_mutants

CODE = textwrap.dedent("""
    def due(message, now):
        return message.next_attempt_at <= now and message.status == "queued"

    def late(message, now):
        return message.next_attempt_at <= now and message.status == "queued"
""")


def ids(text: str) -> list[str]:
    return [mutant.id for mutant in module_mutants("casecore/m.py", text)]


def test_ids_are_kept_when_lines_above_change():
    edited = '"""Now with a docstring."""\nimport os\n\nLIMIT = 3\n' + CODE.replace("def due(", "\n\ndef due(")
    before, after = ids(CODE), ids(edited)
    assert set(before) < set(after)
    assert [m.line for m in module_mutants("casecore/m.py", edited) if m.id == before[0]] == [3 + 6]


def test_ids_are_kept_when_a_line_is_re_wrapped_or_re_indented():
    rewrapped = CODE.replace("<= now and", "<=  now  and")
    assert ids(rewrapped) == ids(CODE)


def test_alike_lines_of_two_functions_and_alike_changes_of_one_line_have_their_own_ids():
    found = ids(CODE)
    assert len(found) == len(set(found))
    due = [mutant_id for mutant_id in found if mutant_id.startswith("casecore/m.py:cmp_negate:")]
    # two comparisons on each line: occurrences 0 and 1 of one hash per function
    assert sorted(mutant_id.rsplit(":", 1)[1] for mutant_id in due) == ["0", "0", "1", "1"]
    assert len({mutant_id.split(":")[2] for mutant_id in due}) == 2


def test_a_mutant_shows_its_lines_and_its_diff():
    mutant = next(m for m in module_mutants("casecore/m.py", CODE) if m.operator == "cmp_boundary")
    assert mutant.line == 3
    assert mutant.original.strip() == 'return message.next_attempt_at <= now and message.status == "queued"'
    assert mutant.mutated.strip() == 'return message.next_attempt_at < now and message.status == "queued"'
    diff = mutant.diff(CODE)
    assert diff.startswith("--- a/casecore/m.py\n+++ b/casecore/m.py\n")
    assert '-    return message.next_attempt_at <= now and' in diff
    assert '+    return message.next_attempt_at < now and' in diff
