"""Every action written to the audit trail reads as words on the supervisor's audit page, in French too."""
from __future__ import annotations

import ast
from itertools import product
from pathlib import Path

from babel.messages.pofile import read_po

from app.cases.labels import ACTION_LABELS, OBJECT_LABELS
from casecore import taxonomy
from casecore.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]


def written_actions() -> set[str]:
    """The action codes the code passes to record_event: literal ones, and the few built from lists of values."""
    found = set()
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("casecore/**/*.py"), *ROOT.glob("workers/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None)
            if isinstance(node, ast.Call) and getattr(name, "id", getattr(name, "attr", None)) == "record_event":
                action = node.args[2] if len(node.args) > 2 else None
                if isinstance(action, ast.Constant) and isinstance(action.value, str):
                    found.add(action.value)
    found |= {f"case.{step}_requested" for step in taxonomy.APPROVAL_STEPS}
    found |= {f"case.{step}_{decision}" for step, decision in product(taxonomy.APPROVAL_STEPS, ("approved", "returned"))}
    found |= {f"transfer.{decision}" for decision in ("accepted", "declined")}
    found |= {f"report.{decision}" for decision in taxonomy.TRIAGE_DECISIONS}
    found |= {"service.activated", "service.deactivated", "simulator_used"}
    return found


def test_every_audited_action_and_object_has_words_in_french():
    assert written_actions() - set(ACTION_LABELS) == set()
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "web.po").open("rb") as handle:
        french = {m.id: m.string for m in read_po(handle, locale="fr") if m.id}
    for msgid in [*ACTION_LABELS.values(), *OBJECT_LABELS.values()]:
        assert french.get(msgid), msgid
