"""The mutants of a module, each named by an id that survives unrelated edits: module, operator, a hash of the
mutated line's text (blanks normalised) in its function, and which occurrence of that on the line's text it is."""
from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from dataclasses import dataclass, replace

from scripts.mutation.operators import Site, find_sites
from scripts.mutation.source import Edit, Source


@dataclass(frozen=True)
class Mutant:
    """One change of one module; original and mutated are the whole lines it touches, before and after."""

    id: str
    module: str
    operator: str
    line: int
    covered_by: tuple[int, int]
    in_function: bool
    edits: tuple[Edit, ...]
    original: str
    mutated: str

    def apply(self, text: str) -> str:
        """The module's text with this mutant's change."""
        for edit in sorted(self.edits, key=lambda edit: edit.start, reverse=True):
            text = text[:edit.start] + edit.replacement + text[edit.end:]
        return text

    def diff(self, text: str) -> str:
        """A unified diff of the module's text to the mutant's."""
        return "".join(difflib.unified_diff(text.splitlines(keepends=True), self.apply(text).splitlines(keepends=True),
                                            f"a/{self.module}", f"b/{self.module}"))


def normalised(line: str) -> str:
    return " ".join(line.split())


def line_hash(scope: str, line: str) -> str:
    return hashlib.sha1(f"{scope}\n{normalised(line)}".encode()).hexdigest()[:8]


def module_mutants(module: str, text: str) -> list[Mutant]:
    """Every mutant of the module at path module (relative to the repository) whose text is text; a mutant that
    would not compile or that repeats an earlier one's text is left out."""
    source = Source(text)
    seen = {text}
    occurrences: Counter[tuple[str, str]] = Counter()
    mutants = []
    for site in find_sites(source):
        mutant = _mutant(module, source, site, "")
        mutated_text = mutant.apply(text)
        if mutated_text in seen or not _compiles(mutated_text):
            continue
        seen.add(mutated_text)
        digest = line_hash(site.scope, source.lines[site.line - 1])
        key = (site.operator, digest)
        mutants.append(replace(mutant, id=f"{module}:{site.operator}:{digest}:{occurrences[key]}"))
        occurrences[key] += 1
    return mutants


def _mutant(module: str, source: Source, site: Site, mutant_id: str) -> Mutant:
    first = source.line_of(min(edit.start for edit in site.edits))
    last = source.line_of(max(max(edit.end - 1, edit.start) for edit in site.edits))
    region_start, region_end = source.offset(first, 0), source.offset(last, 0) + len(source.lines[last - 1])
    region = source.text[region_start:region_end]
    for edit in sorted(site.edits, key=lambda edit: edit.start, reverse=True):
        start, end = edit.start - region_start, edit.end - region_start
        region = region[:start] + edit.replacement + region[end:]
    original = "".join(source.lines[first - 1:last])
    return Mutant(mutant_id, module, site.operator, site.line, site.covered_by, site.in_function, site.edits,
                  original.rstrip("\n"), region.rstrip("\n"))


def _compiles(text: str) -> bool:
    try:
        compile(text, "<mutant>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
