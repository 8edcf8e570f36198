"""Running mutants: each written into a worker's scratch copy, the tests that run its line run with pytest -x, a
hang stopped at its timeout; before them, one baseline run of those tests on the unchanged code (a test that fails
there would count every mutant as killed: it is left out, and said)."""
from __future__ import annotations

import json
import queue
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from scripts.mutation.coverage_map import CoverageMap
from scripts.mutation.mutants import Mutant
from scripts.mutation.readers import readers
from scripts.mutation.workspace import PLUGIN, Workspace

KILLED, TIMEOUT, SURVIVED, UNCOVERED, ERROR, EQUIVALENT = (
    "killed", "timeout", "survived", "uncovered", "error", "equivalent")
# pytest's short summary (-ra): the test that failed.
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)
# pytest's usage error for a test id it cannot collect (a test generated at run time, such as schemathesis's,
# whose id coverage saw but the plugins a run loads do not make; a test renamed since the coverage run).
_NOT_FOUND = re.compile(r"^ERROR: not found: (\S+)", re.MULTILINE)
NOT_COLLECTED = 4  # pytest's exit code for a usage error
# ...which it also gives when a conftest.py cannot be imported: in a mutant's run (the baseline imported it), the
# mutant broke the tests' own set-up (a data key of the length every deployment has refused): killed.
_CONFTEST_FAILED = re.compile(r"^ImportError while loading conftest '([^']+)'", re.MULTILINE)
# How many of a mutant's tests (those most likely to kill it) run first, before the rest (Runner._run_one).
FIRST_STAGE = 20


@dataclass
class Result:
    """What became of a mutant: status (above), its run's seconds and number of tests, and a note (the equivalent
    mutant's why, the end of an error's output)."""

    mutant: Mutant
    status: str
    seconds: float = 0.0
    tests: int = 0
    note: str = ""
    killed_by: str = ""


@dataclass(frozen=True)
class Timeouts:
    """A mutant's run may take factor times its tests' baseline seconds, plus base seconds (start-up)."""

    factor: float = 3.0
    base: float = 30.0

    def of(self, seconds: float) -> float:
        return self.factor * seconds + self.base


class Runner:
    """Runs mutants on a pool of workspaces, one pytest at a time in each. originals: the text of every measured
    module (those that import a mutated constant are searched for its readers)."""

    def __init__(self, workspaces: list[Workspace], originals: dict[str, str], coverage: CoverageMap,
                 timeouts: Timeouts = Timeouts(), say: Callable[[str], None] = print,
                 plugins: tuple[str, ...] | None = None, declaration_tests: tuple[str, ...] = (),
                 first_stage: int = FIRST_STAGE) -> None:
        self.workspaces = workspaces
        self.first_stage = first_stage
        # Run for every mutant of code run at import (a column's type, an index): coverage sees no test run it.
        self.declaration_tests = declaration_tests
        # None: pytest loads every installed plugin; else only these (the runs start faster).
        self.plugin_args = [] if plugins is None else [arg for plugin in plugins for arg in ("-p", plugin)]
        self.plugin_env = {} if plugins is None else {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        self.originals = originals
        self.coverage = coverage
        # Per module, how many of its mutants each test killed: those tests run first for the next ones.
        self.kills: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.timeouts = timeouts
        self.say = say
        self.excluded: dict[str, str] = {}  # test -> why it is never chosen
        self.seconds: dict[str, float] = {}
        self._free: queue.Queue[Workspace] = queue.Queue()
        for workspace in workspaces:
            self._free.put(workspace)
        self._stopping = threading.Event()

    def tests_for(self, mutant: Mutant) -> list[str]:
        """The tests that run the mutated line (for a mutant run at import, or in a function only run at import,
        the lines reading what it changes, and the declaration tests); the fastest first, those that killed most of
        the module's mutants before them."""
        first, last = mutant.covered_by
        lines = set(range(first, last + 1))
        tests = self.coverage.tests_on({mutant.module: lines}) if mutant.in_function else []
        only_at_import = not tests and bool(lines & self.coverage.imported.get(mutant.module, set()))
        if not mutant.in_function or only_at_import:
            reading = readers(self.originals, mutant.module, first)
            tests = (reading and self.coverage.tests_on(reading)) or self.coverage.module_tests(mutant.module)
            tests = list(dict.fromkeys([*self.declaration_tests, *tests]))
        kills = self.kills[mutant.module]
        return sorted((test for test in tests if test not in self.excluded), key=lambda test: -kills[test])

    def baseline(self, tests: list[str]) -> None:
        """Run tests on the unchanged code, split among the workspaces; those that do not pass are excluded."""
        for failed in self.coverage.failed:
            self.excluded[failed] = "failed in the coverage run"
        tests = [test for test in tests if test not in self.excluded]
        chunks = [chunk for chunk in _split(tests, self.coverage.seconds_of, len(self.workspaces)) if chunk]
        self.say(f"baseline: {len(tests)} tests on the unchanged code, in {len(chunks)} run(s)")
        reported = self._map(chunks, self._baseline_chunk)
        for chunk, outcomes in zip(chunks, reported, strict=True):
            for test in chunk:
                outcome, seconds = outcomes.get(test, ("missing", 0.0))
                self.seconds[test] = seconds
                if outcome != "passed":
                    self.excluded[test] = f"{outcome} in the baseline run"
        for test, why in sorted(self.excluded.items()):
            if test in tests or why.startswith("failed in the coverage"):
                self.say(f"  left out: {test} ({why})")

    def run(self, mutants: list[Mutant], done: Callable[[Result], None]) -> list[Result]:
        """Every mutant's result, in the order given; done is told of each as it comes."""
        results = self._map(mutants, self._run_one, done)
        return [result for result in results if result is not None]

    # -- one job each

    def _baseline_chunk(self, workspace: Workspace, tests: list[str]) -> dict[str, tuple[str, float]]:
        report = workspace.tmp / "baseline"
        outcomes: dict[str, tuple[str, float]] = {}
        while True:
            for old in workspace.tmp.glob("baseline.*"):
                old.unlink()
            run = workspace.pytest(["-q", "-p", "no:xdist", *self.plugin_args, "-p", PLUGIN, *tests],
                                   env={"MUTATION_REPORT": str(report), **self.plugin_env})
            # The output is cut to its end: ids are taken from it until none is left to take.
            reported = {_relative(found, workspace) for found in _NOT_FOUND.findall(run.output)}
            # pytest names the test without a parameter id it could not parse ("[GET /cases][sqlite]").
            missing = {test for test in tests if test in reported or test.split("[", 1)[0] in reported}
            if run.code != NOT_COLLECTED or not missing:
                break
            for test in missing:
                outcomes[test] = ("not collected by its id", 0.0)
            tests = [test for test in tests if test not in missing]
            if not tests:
                return outcomes
        if run.code not in (0, 1):
            raise SystemExit(f"mutate: the baseline run failed (pytest exit code {run.code}):\n{run.output}")
        for path in workspace.tmp.glob("baseline.*"):
            for test in json.loads(path.read_text(encoding="utf-8")):
                outcomes[test["id"]] = (test["outcome"], test["seconds"])
        return outcomes

    def _run_one(self, workspace: Workspace, mutant: Mutant) -> Result:
        tests = self.tests_for(mutant)
        if not tests:
            return Result(mutant, UNCOVERED)
        # Most mutants die on one of their first tests: a first run of those collects a few test files instead of
        # every file of a line many tests run (2,000 tests, 10 s of collection); the rest only for the others.
        stages = [tests[:self.first_stage], tests[self.first_stage:]]
        workspace.write(mutant.module, mutant.apply(self.originals[mutant.module]))
        seconds = 0.0
        try:
            for stage in filter(None, stages):
                timeout = self.timeouts.of(sum(self.seconds.get(test, self.coverage.seconds_of(test))
                                               for test in stage))
                run = workspace.pytest(["-x", "-q", "-p", "no:xdist", *self.plugin_args, *stage], timeout=timeout,
                                       env=self.plugin_env)
                seconds += run.seconds
                if run.timed_out or run.code != 0:
                    break
        finally:
            workspace.restore(mutant.module)
        if run.timed_out:
            return Result(mutant, TIMEOUT, seconds, len(tests))
        status = {0: SURVIVED, 1: KILLED, 2: KILLED, 3: KILLED}.get(run.code, ERROR)
        failed = _FAILED.search(run.output) if status == KILLED else None
        if failed:
            self.kills[mutant.module][failed.group(1)] += 1
        conftest = _CONFTEST_FAILED.search(run.output) if run.code == NOT_COLLECTED else None
        if conftest:
            return Result(mutant, KILLED, seconds, len(tests), killed_by=_relative(conftest.group(1), workspace))
        return Result(mutant, status, seconds, len(tests), run.output if status == ERROR else "",
                      failed.group(1) if failed else "")

    # -- the pool

    def _map(self, jobs: list, work: Callable, done: Callable | None = None) -> list:
        """work(workspace, job) for each job on the first free workspace; the results in the jobs' order."""
        results: list = [None] * len(jobs)

        def one(index: int):
            if self._stopping.is_set():
                return index, None
            workspace = self._free.get()
            try:
                return index, work(workspace, jobs[index])
            finally:
                self._free.put(workspace)

        pool = ThreadPoolExecutor(max_workers=len(self.workspaces))
        try:
            for future in as_completed([pool.submit(one, index) for index in range(len(jobs))]):
                index, result = future.result()
                results[index] = result
                if done is not None and result is not None:
                    done(result)
        except BaseException:
            self._stopping.set()
            for workspace in self.workspaces:
                workspace.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        return results


def _relative(path: str, workspace: Workspace) -> str:
    """A test id as pytest reports it (an absolute path) as the coverage map names it (from the copy's root)."""
    root = f"{workspace.root}/"
    return path[len(root):] if path.startswith(root) else path


def _split(tests: list[str], seconds: Callable[[str], float], parts: int) -> list[list[str]]:
    """tests in parts of about equal seconds, a file's tests kept together."""
    files: dict[str, list[str]] = {}
    for test in tests:
        files.setdefault(test.split("::")[0], []).append(test)
    chunks: list[list[str]] = [[] for _ in range(max(parts, 1))]
    loads = [0.0] * len(chunks)
    for name in sorted(files, key=lambda name: -sum(seconds(test) for test in files[name])):
        lightest = loads.index(min(loads))
        chunks[lightest] += files[name]
        loads[lightest] += sum(seconds(test) for test in files[name]) + 0.01
    return chunks
