"""The runner on a tiny project of its own: a mutant the tests notice is killed, one they miss survives, one on a
line no test runs is uncovered, one that hangs is stopped at its timeout; the project itself is never written to."""
from __future__ import annotations

import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scripts.mutation import coverage_map
from scripts.mutation.mutants import module_mutants
from scripts.mutation.runner import KILLED, SURVIVED, TIMEOUT, UNCOVERED, Runner, Timeouts
from scripts.mutation.workspace import Workspace, project_files

AGES = textwrap.dedent("""
    def is_adult(age):
        return age >= 18


    def countdown(n):
        while n > 0:
            n -= 1
        return n


    def label(age):
        return "adult" if is_adult(age) else "child"
""")
TESTS = textwrap.dedent("""
    from ages import countdown, is_adult


    def test_adults_and_children():
        assert is_adult(30) and not is_adult(5)


    def test_countdown_ends_at_zero():
        assert countdown(3) == 0
""")


def test_mutants_are_killed_survive_are_uncovered_or_time_out(tmp_path):
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "ages.py").write_text(AGES)
    (project / "tests" / "test_ages.py").write_text(TESTS)
    files = project_files(project)
    workspaces = [Workspace(tmp_path / f"worker{n}", project, files) for n in range(2)]
    # This project needs no installed pytest plugin: without them, pytest starts in a fraction of the time.
    workspaces[0].env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    coverage = coverage_map.measure(workspaces[0], ["ages.py"], [], workers=1, key="k")
    assert sorted(coverage.tests) == ["tests/test_ages.py::test_adults_and_children",
                                      "tests/test_ages.py::test_countdown_ends_at_zero"]
    mutants = {m.operator + str(m.line): m for m in module_mutants("ages.py", AGES)}
    chosen = [mutants["cmp_negate3"], mutants["cmp_boundary3"], mutants["return_none13"]]
    runner = Runner(workspaces[:1], {"ages.py": AGES}, coverage, say=lambda line: None, plugins=())
    assert runner.tests_for(mutants["cmp_negate3"]) == ["tests/test_ages.py::test_adults_and_children"]
    runner.baseline(sorted({test for mutant in chosen for test in runner.tests_for(mutant)}))
    assert runner.excluded == {}
    # The one that hangs on a worker of its own with a short timeout, beside the others (a loaded machine may take
    # longer than that to start pytest).
    hanging = Runner(workspaces[1:], {"ages.py": AGES}, coverage, Timeouts(factor=1, base=1.5), say=lambda _: None,
                     plugins=())

    with ThreadPoolExecutor(1) as pool:
        stopped = pool.submit(hanging.run, [mutants["cond_true7"]], lambda result: None)
        results = runner.run(chosen, done=lambda result: None)
    results.append(stopped.result()[0])

    assert [result.status for result in results] == [KILLED, SURVIVED, UNCOVERED, TIMEOUT]
    assert [result.tests for result in results] == [1, 1, 0, 1]
    assert results[0].killed_by == "tests/test_ages.py::test_adults_and_children"
    assert (project / "ages.py").read_text() == AGES
    assert not (project / "__pycache__").exists()
    for workspace in workspaces:
        assert (workspace.root / "ages.py").read_text() == AGES
        workspace.remove()
    assert sorted(path.name for path in Path(tmp_path).iterdir()) == ["project"]
