"""Which tests run which line of the modules under test: one run of the whole suite under coverage.py, each test
its own context, kept in .mutation/ and reused while the sources and tests are unchanged."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from scripts.mutation.workspace import PLUGIN, Workspace

# Files whose change may change which test runs which line.
_KEYED_SUFFIXES = (".py", ".ini", ".cfg", ".toml")
_KEYED_NAMES = ("requirements.txt",)


@dataclass
class CoverageMap:
    """tests: node ids in the order the run reported them, with their seconds; failed: those that did not pass
    (never chosen); lines: module -> line -> indexes in tests of the passing tests that ran it; imported: module ->
    the lines run outside any test (at import, collection or a session's set-up, such as a function building a
    model's column)."""

    key: str
    tests: list[str]
    seconds: list[float]
    failed: list[str]
    lines: dict[str, dict[int, set[int]]]
    imported: dict[str, set[int]] = field(default_factory=dict)

    def tests_on(self, lines: dict[str, set[int]]) -> list[str]:
        """The tests that run any of lines (module -> line numbers), fastest first."""
        chosen: set[int] = set()
        for module, numbers in lines.items():
            by_line = self.lines.get(module, {})
            chosen.update(*(by_line.get(line, ()) for line in numbers))
        return self._in_order(chosen)

    def module_tests(self, module: str) -> list[str]:
        """The tests that run any line of module."""
        return self._in_order(set().union(*self.lines.get(module, {}).values()))

    def seconds_of(self, test: str) -> float:
        return self._seconds.get(test, 0.0)

    def _in_order(self, indexes: set[int]) -> list[str]:
        return sorted((self.tests[index] for index in indexes), key=lambda test: (self.seconds_of(test), test))

    def __post_init__(self) -> None:
        self._seconds = dict(zip(self.tests, self.seconds, strict=True))

    def to_json(self) -> dict:
        return {"key": self.key, "tests": self.tests, "seconds": self.seconds, "failed": self.failed,
                "lines": {module: {str(line): sorted(tests) for line, tests in sorted(by_line.items())}
                          for module, by_line in self.lines.items()},
                "imported": {module: sorted(numbers) for module, numbers in self.imported.items()}}

    @classmethod
    def from_json(cls, data: dict) -> CoverageMap:
        lines = {module: {int(line): set(tests) for line, tests in by_line.items()}
                 for module, by_line in data["lines"].items()}
        imported = {module: set(numbers) for module, numbers in data.get("imported", {}).items()}
        return cls(data["key"], data["tests"], data["seconds"], data["failed"], lines, imported)


def cache_key(root: Path, files: list[str], modules: list[str], options: list[str]) -> str:
    """A digest of the sources and tests (what may change the map), the modules measured and the run's options."""
    digest = hashlib.sha256()
    for name in files:
        if name.endswith(_KEYED_SUFFIXES) or name in _KEYED_NAMES:
            digest.update(name.encode() + b"\0" + hashlib.sha256((root / name).read_bytes()).digest())
    digest.update(json.dumps([sorted(modules), options]).encode())
    return digest.hexdigest()


def cached(path: Path, key: str | None) -> CoverageMap | None:
    """The map kept at path, if its key is key (any key when key is None)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return CoverageMap.from_json(data) if key is None or data.get("key") == key else None


def measure(workspace: Workspace, modules: list[str], pytest_args: list[str], workers: int, key: str) -> CoverageMap:
    """Run the suite once in workspace under coverage, each test its own context."""
    out = workspace.tmp / "coverage"
    out.mkdir(parents=True, exist_ok=True)
    settings = {"data_file": str(out / "cov"), "include": [str(workspace.root / module) for module in modules]}
    parallel = ["-n", str(workers)] if workers > 1 else ["-p", "no:xdist"]
    run = workspace.pytest(["-q", "-p", PLUGIN, *parallel, *pytest_args],
                           env={"MUTATION_COVERAGE": json.dumps(settings), "MUTATION_REPORT": str(out / "report")})
    if run.code not in (0, 1):
        raise SystemExit(f"mutate: the coverage run of the suite failed (pytest exit code {run.code}):\n{run.output}")
    tests, seconds, failed, passed = [], [], [], set()
    for report in sorted(out.glob("report.*")):
        for test in json.loads(report.read_text(encoding="utf-8")):
            tests.append(test["id"])
            seconds.append(test["seconds"])
            if test["outcome"] == "failed":
                failed.append(test["id"])
            elif test["outcome"] == "passed":
                passed.add(test["id"])
    return CoverageMap(key, tests, seconds, failed, *_lines(workspace.root, out, passed, tests))


def _lines(root: Path, out: Path, passing: set[str],
           tests: list[str]) -> tuple[dict[str, dict[int, set[int]]], dict[str, set[int]]]:
    import coverage

    index = {test: number for number, test in enumerate(tests)}
    lines: dict[str, dict[int, set[int]]] = {}
    imported: dict[str, set[int]] = {}
    for data_file in sorted(out.glob("cov.*")):
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        for measured in data.measured_files():
            module = Path(measured).resolve().relative_to(root.resolve()).as_posix()
            by_line = lines.setdefault(module, {})
            for line, contexts in data.contexts_by_lineno(measured).items():
                chosen = {index[context] for context in contexts if context in passing}
                if chosen:
                    by_line.setdefault(line, set()).update(chosen)
                if "" in contexts:  # before the first test's context
                    imported.setdefault(module, set()).add(line)
    return lines, imported
