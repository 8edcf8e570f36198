"""For a mutant that runs at import (a constant, a default value), the lines whose tests can tell: those that read
the changed value, in its module and in the modules that import it."""
from __future__ import annotations

import textwrap

from scripts.mutation.readers import readers

OUTBOX = textwrap.dedent("""
    MAX_TRIES = 20
    LAST_TRY = MAX_TRIES - 1
    UNUSED = 3


    def give_up(tries):
        if tries >= LAST_TRY:
            return True
        return False


    def claim(limit=50):
        return list(range(limit))


    class Claims:
        def take(self, count=2):
            return count
""")
DELIVERY = textwrap.dedent("""
    from casecore.outbox import MAX_TRIES as LIMIT
    from casecore import outbox


    def retry(tries):
        ok = tries < LIMIT
        return ok and outbox.MAX_TRIES > 0
""")
TEXTS = {"casecore/outbox.py": OUTBOX, "casecore/delivery.py": DELIVERY}


def test_a_constant_is_read_where_it_and_what_is_computed_from_it_are_used_in_every_module():
    assert readers(TEXTS, "casecore/outbox.py", 2) == {"casecore/outbox.py": {3, 8},
                                                      "casecore/delivery.py": {7, 8}}


def test_a_constant_nobody_reads_has_no_reader_lines():
    assert readers(TEXTS, "casecore/outbox.py", 4) == {"casecore/outbox.py": set()}


def test_a_default_value_is_read_by_its_function_body():
    assert readers(TEXTS, "casecore/outbox.py", 13) == {"casecore/outbox.py": {14}}
    assert readers(TEXTS, "casecore/outbox.py", 18) == {"casecore/outbox.py": {19}}


def test_a_class_attribute_is_read_wherever_the_class_is_used():
    texts = {"casecore/models.py": "class Deadline:\n    kind = 24\n",
             "casecore/timelines.py": "from casecore.models import Deadline\n\n\ndef due():\n"
                                      "    return Deadline.kind\n"}
    assert readers(texts, "casecore/models.py", 2) == {"casecore/models.py": set(), "casecore/timelines.py": {5}}
