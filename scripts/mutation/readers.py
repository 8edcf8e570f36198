"""Who reads what runs at import: a mutant of a constant or of a default value changes nothing until a function
uses it, so the tests that can tell are those that run the lines reading it, in its module and in the other
measured modules that import it (not every test that imports the module)."""
from __future__ import annotations

import ast

_ASSIGNMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_HEADERS = (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try, ast.Match, *_FUNCTIONS,
            ast.ClassDef)


def readers(texts: dict[str, str], module: str, first: int) -> dict[str, set[int]] | None:
    """module -> the lines that read what the module-level statement at line first defines (a method's default
    value: its body; a class attribute, a model's column: wherever the class is used); None when that cannot be
    told (a statement that names nothing)."""
    tree = ast.parse(texts[module])
    statement = _containing(tree.body, first)
    if isinstance(statement, ast.ClassDef):
        method = _containing(statement.body, first)
        if isinstance(method, _FUNCTIONS):
            return {module: _body_lines(method)}
        names = {statement.name}
    elif isinstance(statement, _FUNCTIONS):  # a default value: read when the function runs
        return {module: _body_lines(statement)}
    elif isinstance(statement, _ASSIGNMENTS):
        names = _targets(statement)
    else:
        return None
    names = _defined_with_dependents(tree, names)
    if not names:
        return None
    found = {module: _reading_lines(tree, names, set())}
    dotted = module.removesuffix(".py").replace("/", ".")
    for other, text in texts.items():
        if other != module:
            other_tree = ast.parse(text)
            local, aliases = _imported(other_tree, dotted, names)
            lines = _reading_lines(other_tree, local, aliases, names) if local or aliases else set()
            if lines:
                found[other] = lines
    return found


def _containing(body: list[ast.stmt], line: int) -> ast.stmt | None:
    for statement in body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
        if first <= line <= statement.end_lineno:
            return statement
    return None


def _body_lines(function: ast.AST) -> set[int]:
    return set(range(function.body[0].lineno, function.end_lineno + 1))


def _targets(statement: ast.stmt) -> set[str]:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}


def _defined_with_dependents(tree: ast.Module, names: set[str]) -> set[str]:
    """names, and the module-level names computed from them (LENGTH = BODY_LENGTH + 1), and so on."""
    names = set(names)
    grown = True
    while grown:
        grown = False
        for statement in tree.body:
            if isinstance(statement, _ASSIGNMENTS) and statement.value is not None:
                read = {node.id for node in ast.walk(statement.value) if isinstance(node, ast.Name)}
                targets = _targets(statement)
                if read & names and not targets <= names:
                    names |= targets
                    grown = True
    return names


def _imported(tree: ast.Module, dotted: str, names: set[str]) -> tuple[set[str], set[str]]:
    """The local names under which tree imports one of names from dotted, and those it gives dotted itself."""
    local, aliases = set(), set()
    package, _, last = dotted.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == dotted:
            local |= {alias.asname or alias.name for alias in node.names if alias.name in names}
        elif isinstance(node, ast.ImportFrom) and node.module == package:
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == last}
        elif isinstance(node, ast.Import):
            aliases |= {alias.asname for alias in node.names if alias.name == dotted and alias.asname}
    return local, aliases


def _reading_lines(tree: ast.Module, names: set[str], aliases: set[str],
                   attributes: set[str] = frozenset()) -> set[int]:
    """The lines of the statements that read one of names (or alias.name for a name in attributes)."""
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    lines: set[int] = set()
    for node in ast.walk(tree):
        reads = (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names) or (
            isinstance(node, ast.Attribute) and node.attr in attributes
            and isinstance(node.value, ast.Name) and node.value.id in aliases)
        if reads:
            statement = node
            while not isinstance(statement, ast.stmt):
                statement = parents[statement]
            last = node.end_lineno if isinstance(statement, _HEADERS) else statement.end_lineno
            lines |= set(range(statement.lineno, last + 1))
    return lines
