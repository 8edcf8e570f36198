"""A module's text and the positions in it: ast's (line, byte column) turned into offsets in the text, and the
operator token found between two operands (ast records operands, not operators)."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_COMMENT = re.compile(r"#[^\n]*")


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with replacement."""

    start: int
    end: int
    replacement: str


class Source:
    """The text of one module, parsed, with its line starts to turn ast positions into offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tree = ast.parse(text)
        self.lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self.lines:
            self._starts.append(self._starts[-1] + len(line))

    def offset(self, lineno: int, col_offset: int) -> int:
        """The offset in the text of ast's (1-based line, column in UTF-8 bytes)."""
        line = self.lines[lineno - 1] if lineno <= len(self.lines) else ""
        return self._starts[lineno - 1] + len(line.encode("utf-8")[:col_offset].decode("utf-8", errors="ignore"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def line_of(self, offset: int) -> int:
        """The 1-based line holding offset."""
        low, high = 0, len(self._starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node):self.end(node)]

    def token_between(self, after: ast.AST, before: ast.AST, pattern: str) -> tuple[int, int] | None:
        """Where the operator matching pattern stands between two operands: only brackets, blanks and comments
        can stand there besides it."""
        low, high = self.end(after), self.start(before)
        gap = _COMMENT.sub(lambda found: " " * len(found.group()), self.text[low:high])
        found = re.search(pattern, gap)
        return (low + found.start(), low + found.end()) if found else None

    def apply(self, edit: Edit) -> str:
        return self.text[:edit.start] + edit.replacement + self.text[edit.end:]
