"""What a run found: per module its mutants, killed, timed out, survived, equivalent and score; every survivor
with its id, place, and the line before and after; the same as JSON in .mutation/."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from scripts.mutation.mutants import Mutant
from scripts.mutation.runner import EQUIVALENT, ERROR, KILLED, SURVIVED, TIMEOUT, UNCOVERED, Result


@dataclass(frozen=True)
class Score:
    module: str
    mutants: int
    killed: int
    timed_out: int
    survived: int
    equivalent: int
    errors: int

    @property
    def percent(self) -> float | None:
        """Killed (a timeout is a kill) out of the mutants that are not equivalent; None without any."""
        counted = self.mutants - self.equivalent
        return 100.0 * (self.killed + self.timed_out) / counted if counted else None


def scores(results: list[Result], modules: list[str]) -> list[Score]:
    """One line per module that has mutants, in the order of modules."""
    found = []
    for module in modules:
        statuses = [result.status for result in results if result.mutant.module == module]
        if statuses:
            found.append(Score(module, len(statuses), statuses.count(KILLED), statuses.count(TIMEOUT),
                               statuses.count(SURVIVED) + statuses.count(UNCOVERED), statuses.count(EQUIVALENT),
                               statuses.count(ERROR)))
    return found


def table(lines: list[Score], target: float) -> str:
    header = f"{'module':44} {'mutants':>7} {'killed':>7} {'timeout':>7} {'survived':>8} {'equiv.':>6} {'score':>7}"
    rows = [header, "-" * len(header)]
    for line in lines:
        percent = line.percent
        shown = "n/a" if percent is None else f"{percent:.1f} %"
        flag = "" if percent is None or percent >= target else "  < target"
        rows.append(f"{line.module:44} {line.mutants:7} {line.killed:7} {line.timed_out:7} {line.survived:8} "
                    f"{line.equivalent:6} {shown:>7}{flag}")
    return "\n".join(rows)


def survivors(results: list[Result]) -> str:
    """Each surviving mutant: id, file:line, the original and the mutated lines."""
    blocks = []
    for result in results:
        if result.status in (SURVIVED, UNCOVERED):
            mutant = result.mutant
            how = "no test runs this line" if result.status == UNCOVERED else f"{result.tests} tests passed"
            blocks.append(f"{mutant.id}\n  {mutant.module}:{mutant.line} ({how})\n"
                          f"{_indented('- ', mutant.original, mutant.original)}\n"
                          f"{_indented('+ ', mutant.mutated, mutant.original)}")
    return "\n".join(blocks)


def listing(mutants: list[Mutant], equivalent: dict[str, str]) -> str:
    """Mutants one per line: id, line, and what changes."""
    rows = []
    for mutant in mutants:
        mark = "  (equivalent)" if mutant.id in equivalent else ""
        before, after = " ".join(mutant.original.split()), " ".join(mutant.mutated.split())
        rows.append(f"{mutant.id}  line {mutant.line}{mark}\n    {_short(before)}\n ->  {_short(after)}")
    return "\n".join(rows)


def write_json(path: Path, results: list[Result], lines: list[Score], target: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "target": target,
        "modules": [{**line.__dict__, "score": line.percent} for line in lines],
        "mutants": [{"id": r.mutant.id, "module": r.mutant.module, "line": r.mutant.line,
                     "operator": r.mutant.operator, "status": r.status, "seconds": round(r.seconds, 2),
                     "tests": r.tests, "original": r.mutant.original, "mutated": r.mutant.mutated,
                     **({"killed_by": r.killed_by} if r.killed_by else {}),
                     **({"note": r.note} if r.note else {})} for r in results],
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _indented(prefix: str, text: str, original: str) -> str:
    """text's lines after prefix, without the indentation of original's first line."""
    indent = len(original) - len(original.lstrip(" "))
    lines = text.splitlines() or [""]
    return "\n".join(f"    {prefix}{line[min(indent, len(line) - len(line.lstrip(' '))):]}" for line in lines)


def _short(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."
