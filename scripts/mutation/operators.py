"""Where a module can be mutated, and how: each Site is one small change (a flipped comparison, a deleted
`.where(...)` condition, a guard made always false...), as edits of the module's text."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from scripts.mutation.source import Edit, Source

# Comparisons: each operator to its boundary neighbour and to its negation.
BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
NEGATION = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==",
            "is": "is not", "is not": "is", "in": "not in", "not in": "in"}
_COMPARISON = r"<=|>=|==|!=|<|>|\bis\s+not\b|\bnot\s+in\b|\bis\b|\bin\b"
# Calls whose arguments are conditions all of which must hold (SQLAlchemy): one of them deleted at a time.
CONDITION_METHODS = {"where", "filter", "filter_by"}
CONDITION_FUNCTIONS = {"and_", "or_"}
# Calls of a query's chain whose deletion changes which rows, in which order, or how they are locked.
CHAIN_METHODS = CONDITION_METHODS | {"order_by", "limit", "with_for_update"}
SWAPPED_FUNCTIONS = {"any": ("any_all", "all"), "all": ("any_all", "any"),
                     "min": ("min_max", "max"), "max": ("min_max", "min")}
SWAPPED_METHODS = {"asc": ("order_flipped", "desc"), "desc": ("order_flipped", "asc"),
                   "is_": ("sql_negate", "is_not"), "is_not": ("sql_negate", "is_"),
                   "isnot": ("sql_negate", "is_"), "in_": ("sql_negate", "not_in"),
                   "not_in": ("sql_negate", "in_"), "notin_": ("sql_negate", "in_")}
_LOGGERS = {"log", "logger", "logging", "_log", "_logger", "LOG", "LOGGER"}
_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_HEADER_STATEMENTS = (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try, ast.Match,
                      ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Not mutated: what only a type checker reads, and decorators (dataclass(frozen=True) and the like).
_SKIPPED_FIELDS = {"annotation", "returns", "decorator_list", "type_comment", "bases", "type_params"}


@dataclass(frozen=True)
class Site:
    """One mutation: its operator, its edits, the line its id is named after, the lines whose tests run it
    (first, last), and whether it runs when a function is called (else when the module is imported)."""

    operator: str
    edits: tuple[Edit, ...]
    line: int
    covered_by: tuple[int, int]
    in_function: bool
    scope: str


def find_sites(source: Source) -> list[Site]:
    """Every mutation of the module, in the order of the text."""
    finder = _Finder(source)
    finder.visit(source.tree)
    return sorted(finder.sites, key=lambda site: (site.edits[0].start, site.operator))


def is_logging_call(node: ast.AST) -> bool:
    """log.info(...), logger.warning(...), logging.error(...), app.logger.debug(...)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    named = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
    return node.func.attr in _LOG_METHODS and named in _LOGGERS


def _skipped(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True  # before Python 3.12 the positions inside an f-string are unreliable
    if is_logging_call(node) or (isinstance(node, ast.Expr) and is_logging_call(node.value)):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets)
    if isinstance(node, ast.If):
        test = ast.unparse(node.test)
        return test in ("TYPE_CHECKING", "typing.TYPE_CHECKING") or test.startswith("__name__ ==")
    return False


class _Finder:
    """Walks a module keeping what a site needs: the statement around it, the function it is in."""

    def __init__(self, source: Source) -> None:
        self.src = source
        self.sites: list[Site] = []
        self.scope: list[str] = []
        self.in_function = False
        self.statement: ast.stmt | None = None

    # -- walking

    def visit(self, node: ast.AST) -> None:
        if _skipped(node):
            return
        handler = getattr(self, f"visit_{type(node).__name__}", None)
        if isinstance(node, ast.stmt):
            outer, self.statement = self.statement, node
            try:
                (handler or self.visit_children)(node)
            finally:
                self.statement = outer
        else:
            (handler or self.visit_children)(node)

    def visit_children(self, node: ast.AST) -> None:
        for field, value in ast.iter_fields(node):
            if field in _SKIPPED_FIELDS:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    self.visit(child)

    def _inside(self, name: str | None, body: list[ast.AST], in_function: bool) -> None:
        outer = self.in_function
        self.in_function = in_function
        if name:
            self.scope.append(name)
        for child in body:
            self.visit(child)
        if name:
            self.scope.pop()
        self.in_function = outer

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.visit(node.args)  # default values: computed where the function is defined
        self._inside(node.name, node.body, in_function=True)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._inside(node.name, node.body, in_function=self.in_function)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self._inside(None, [node.body], in_function=True)

    # -- recording

    def add(self, operator: str, edits: list[Edit] | Edit, node: ast.AST, line: int | None = None) -> None:
        edits = (edits,) if isinstance(edits, Edit) else tuple(edits)
        statement = self.statement
        if node is statement or not isinstance(statement, _HEADER_STATEMENTS):
            covered = (statement.lineno, statement.end_lineno)
        else:  # a compound statement's header: its own lines, not its body's
            covered = (statement.lineno, max(statement.lineno, node.end_lineno))
        self.sites.append(Site(operator, edits, line or self.src.line_of(edits[0].start), covered,
                               self.in_function, ".".join(self.scope)))

    def replace(self, operator: str, node: ast.AST, text: str, line: int | None = None) -> None:
        self.add(operator, Edit(self.src.start(node), self.src.end(node), text), node, line)

    # -- statements

    def visit_If(self, node: ast.If | ast.While) -> None:
        self.replace("cond_false", node.test, "False", node.test.lineno)
        self.replace("cond_true", node.test, "True", node.test.lineno)
        self.visit_children(node)

    visit_While = visit_If

    def visit_Assign(self, node: ast.Assign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(target, ast.Attribute) for target in targets):
            self.replace("attr_assign_deleted", node, "pass")
        self.visit_children(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit_Assign(node)
        if isinstance(node.op, ast.Add | ast.Sub):
            found = self.src.token_between(node.target, node.value, r"[+-]=")
            if found:
                self.add("add_sub", Edit(*found, "-=" if isinstance(node.op, ast.Add) else "+="), node)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(call, ast.Call):
            self.replace("call_deleted", node, "pass")
        self.visit_children(node)

    def visit_Return(self, node: ast.Return) -> None:
        # return False -> return None: both false wherever a caller asks; the flip to True is the mutant that tells.
        if node.value is not None and not _is_none_or_false(node.value):
            self.replace("return_none", node.value, "None")
        self.visit_children(node)

    # -- expressions

    def visit_Compare(self, node: ast.Compare) -> None:
        before = node.left
        for comparator in node.comparators:
            found = self.src.token_between(before, comparator, _COMPARISON)
            if found:
                operator = " ".join(self.src.text[found[0]:found[1]].split())
                if operator in BOUNDARY:
                    self.add("cmp_boundary", Edit(*found, BOUNDARY[operator]), node)
                self.add("cmp_negate", Edit(*found, NEGATION[operator]), node)
            before = comparator
        self.visit_children(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        swapped = "or" if isinstance(node.op, ast.And) else "and"
        pairs = zip(node.values[:-1], node.values[1:], strict=True)
        tokens = [self.src.token_between(a, b, r"\b(and|or)\b") for a, b in pairs]
        if all(tokens):
            self.add("bool_op", [Edit(*token, swapped) for token in tokens], node)
        self.visit_children(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Add | ast.Sub) and not any(_is_text(side) for side in (node.left, node.right)):
            found = self.src.token_between(node.left, node.right, r"[+-]")
            if found:
                self.add("add_sub", Edit(*found, "-" if isinstance(node.op, ast.Add) else "+"), node)
        elif isinstance(node.op, ast.BitAnd | ast.BitOr):
            # SQLAlchemy's `a & b` and `a | b`: swapped, and each side deleted in turn, as for and_(a, b).
            found = self.src.token_between(node.left, node.right, r"[&|]")
            if found:
                start, end = self.src.start(node), self.src.end(node)
                self.add("bit_op", Edit(*found, "|" if isinstance(node.op, ast.BitAnd) else "&"), node)
                left = self.src.text[start:found[0]].strip()
                right = self.src.text[found[1]:end].strip()
                self.add("operand_deleted", Edit(start, end, f"({left})"), node, node.right.lineno)
                self.add("operand_deleted", Edit(start, end, f"({right})"), node, node.left.lineno)
        self.visit_children(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not | ast.Invert):
            start = self.src.start(node)
            keyword = re.match(r"(not\b|~)\s*", self.src.text[start:])
            if keyword:
                self.add("not_removed", Edit(start, start + keyword.end(), ""), node)
        self.visit_children(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _called_name(node)
        method = isinstance(node.func, ast.Attribute)
        arguments = sorted([*node.args, *node.keywords], key=lambda arg: (arg.lineno, arg.col_offset))
        if (method and name in CONDITION_METHODS) or name in CONDITION_FUNCTIONS:
            if len(arguments) > 1:
                for index, argument in enumerate(arguments):
                    self.add("arg_deleted", self._argument_deleted(arguments, index), node, argument.lineno)
        if method and name in CHAIN_METHODS and (name not in CONDITION_METHODS or len(arguments) == 1):
            self.add("chain_call_deleted", Edit(self.src.end(node.func.value), self.src.end(node), ""), node,
                     node.func.end_lineno)
        if name in SWAPPED_FUNCTIONS and (not method or _owner_name(node.func) == "func"):
            operator, other = SWAPPED_FUNCTIONS[name]
            self._rename(operator, node, other)
        elif method and name in SWAPPED_METHODS:
            operator, other = SWAPPED_METHODS[name]
            self._rename(operator, node, other)
        elif name in ("asc", "desc") and not method:
            self._rename("order_flipped", node, "desc" if name == "asc" else "asc")
        elif name == "not_" and len(node.args) == 1 and not node.keywords:
            self.replace("not_removed", node, f"({self.src.segment(node.args[0])})")
        self.visit_children(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self.replace("bool_flipped", node, str(not value))
        elif isinstance(value, int):
            self.replace("int_plus", node, str(value + 1))
            self.replace("int_minus", node, str(value - 1))
        elif isinstance(value, float) and value * 2 != value:
            self.replace("float_double", node, repr(value * 2))

    # -- helpers

    def _argument_deleted(self, arguments: list[ast.AST], index: int) -> Edit:
        """Arguments[index] and one comma beside it deleted."""
        if index + 1 < len(arguments):
            return Edit(self.src.start(arguments[index]), self.src.start(arguments[index + 1]), "")
        return Edit(self.src.end(arguments[index - 1]), self.src.end(arguments[index]), "")

    def _rename(self, operator: str, node: ast.Call, other: str) -> None:
        end = self.src.end(node.func)
        old = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        self.add(operator, Edit(end - len(old), end, other), node)


def _called_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _owner_name(func: ast.Attribute) -> str:
    return func.value.id if isinstance(func.value, ast.Name) else ""


def _is_none_or_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and (node.value is None or node.value is False)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str | bytes))
