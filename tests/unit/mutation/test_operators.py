"""Each mutation operator on a small module: the mutated line it yields, and what it leaves alone."""
from __future__ import annotations

import textwrap

from scripts.mutation.mutants import module_mutants


def changes(code: str, operator: str) -> list[str]:
    """The mutated lines (blanks normalised) of the mutants operator makes of code."""
    text = textwrap.dedent(code)
    return [" ".join(m.mutated.split()) for m in module_mutants("m.py", text) if m.operator == operator]


def test_comparisons_are_moved_to_their_boundary_and_negated():
    code = """
    def f(a, b):
        return a <= b, a < b, a >= b, a > b
    """
    assert changes(code, "cmp_boundary") == [
        "return a < b, a < b, a >= b, a > b", "return a <= b, a <= b, a >= b, a > b",
        "return a <= b, a < b, a > b, a > b", "return a <= b, a < b, a >= b, a >= b"]
    assert changes(code, "cmp_negate") == [
        "return a > b, a < b, a >= b, a > b", "return a <= b, a >= b, a >= b, a > b",
        "return a <= b, a < b, a < b, a > b", "return a <= b, a < b, a >= b, a <= b"]


def test_equality_identity_and_membership_are_negated():
    code = """
    def f(a, b):
        return a == b or a is None or a not in (b,)
    """
    assert changes(code, "cmp_negate") == ["return a != b or a is None or a not in (b,)",
                                           "return a == b or a is not None or a not in (b,)",
                                           "return a == b or a is None or a in (b,)"]
    assert changes(code, "bool_op") == ["return a == b and a is None and a not in (b,)"]


def test_a_not_and_an_sql_not_are_removed():
    code = """
    def f(a, q, Model):
        return not a, ~q, not_(Model.x == 1)
    """
    assert changes(code, "not_removed") == ["return a, ~q, not_(Model.x == 1)", "return not a, q, not_(Model.x == 1)",
                                            "return not a, ~q, (Model.x == 1)"]


def test_a_guard_is_made_always_false_and_always_true():
    code = """
    def f(a):
        if a > 1:
            return 1
        elif a:
            return 2
        while a:
            a = 0
    """
    assert changes(code, "cond_false") == ["if False:", "elif False:", "while False:"]
    assert changes(code, "cond_true") == ["if True:", "elif True:", "while True:"]


def test_each_condition_of_a_where_is_deleted_in_turn():
    code = """
    def f(select, M, now):
        return select(M).where(M.a == 1, M.b <= now).filter_by(c=2, d=3)
    """
    assert changes(code, "arg_deleted") == [
        "return select(M).where(M.b <= now).filter_by(c=2, d=3)",
        "return select(M).where(M.a == 1).filter_by(c=2, d=3)",
        "return select(M).where(M.a == 1, M.b <= now).filter_by(d=3)",
        "return select(M).where(M.a == 1, M.b <= now).filter_by(c=2)"]


def test_each_condition_of_and_or_is_deleted_over_several_lines():
    code = """
    def f(M):
        return and_(
            M.a == 1,
            or_(M.b == 2, M.c == 3),
        )
    """
    mutated = [m.apply(textwrap.dedent(code)) for m in module_mutants("m.py", textwrap.dedent(code))
               if m.operator == "arg_deleted"]
    assert [" ".join(text.split()) for text in mutated] == [
        "def f(M): return and_( or_(M.b == 2, M.c == 3), )",
        "def f(M): return and_( M.a == 1, )",
        "def f(M): return and_( M.a == 1, or_(M.c == 3), )",
        "def f(M): return and_( M.a == 1, or_(M.b == 2), )"]


def test_a_single_condition_is_deleted_with_its_where_and_ordering_limits_and_locks_too():
    code = """
    def f(select, M):
        return (
            select(M)
            .where(M.a == 1)
            .order_by(M.created_at.asc())
            .limit(5)
            .with_for_update()
        )
    """
    text = textwrap.dedent(code)
    mutated = [" ".join(m.apply(text).split()) for m in module_mutants("m.py", text)
               if m.operator == "chain_call_deleted"]
    assert mutated == [
        "def f(select, M): return ( select(M) .order_by(M.created_at.asc()) .limit(5) .with_for_update() )",
        "def f(select, M): return ( select(M) .where(M.a == 1) .limit(5) .with_for_update() )",
        "def f(select, M): return ( select(M) .where(M.a == 1) .order_by(M.created_at.asc()) .with_for_update() )",
        "def f(select, M): return ( select(M) .where(M.a == 1) .order_by(M.created_at.asc()) .limit(5) )"]
    assert changes(code, "order_flipped") == [".order_by(M.created_at.desc())"]


def test_sql_conditions_joined_with_and_or_lose_one_side():
    code = """
    def f(M, o):
        return (M.org == o) & ~M.hidden
    """
    assert changes(code, "operand_deleted") == ["return ((M.org == o))", "return (~M.hidden)"]
    assert changes(code, "bit_op") == ["return (M.org == o) | ~M.hidden"]
    assert changes("def f(M):\n    return M.a.is_(None), M.b.in_([1])\n", "sql_negate") == [
        "return M.a.is_not(None), M.b.in_([1])", "return M.a.is_(None), M.b.not_in([1])"]


def test_builtins_are_swapped_for_their_opposite():
    code = """
    def f(xs, func):
        return any(xs), all(xs), min(xs), max(xs), func.max(xs)
    """
    assert changes(code, "any_all") == ["return all(xs), all(xs), min(xs), max(xs), func.max(xs)",
                                        "return any(xs), any(xs), min(xs), max(xs), func.max(xs)"]
    assert changes(code, "min_max")[-1] == "return any(xs), all(xs), min(xs), max(xs), func.min(xs)"


def test_numbers_and_booleans_are_changed():
    code = """
    LIMIT = 20
    RATE = 0.5
    def f(x):
        return x[-1], True
    """
    assert changes(code, "int_plus") == ["LIMIT = 21", "return x[-2], True"]
    assert changes(code, "int_minus") == ["LIMIT = 19", "return x[-0], True"]
    assert changes(code, "float_double") == ["RATE = 1.0"]
    assert changes(code, "bool_flipped") == ["return x[-1], False"]


def test_statements_with_effects_are_deleted_and_results_dropped():
    code = """
    def f(session, message, now, items):
        message.sent_at = now
        message.attempts += 1
        session.flush()
        items.append(now)
        local = now
        return local + 1
    """
    assert changes(code, "attr_assign_deleted") == ["pass", "pass"]
    assert changes(code, "call_deleted") == ["pass", "pass"]
    assert changes(code, "return_none") == ["return None"]
    assert changes(code, "add_sub") == ["message.attempts -= 1", "return local - 1"]


def test_docstrings_logging_annotations_all_and_type_checking_are_left_alone():
    code = '''
    """A module: 1 < 2."""
    import logging
    from typing import TYPE_CHECKING
    __all__ = ["f"]
    log = logging.getLogger(__name__)
    if TYPE_CHECKING:
        X = 1
    def f(a: "list[int]" = None) -> bool:
        """True when a > 1."""
        log.info("a is %d", a == 1)
        greeting = f"{a + 1}"
        return greeting
    '''
    assert [m.operator for m in module_mutants("m.py", textwrap.dedent(code))] == ["return_none"]
