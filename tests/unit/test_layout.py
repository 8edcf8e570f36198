"""The layers and the feature packages import only what their docstrings allow: no cycle, nothing reaching up."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each casecore package and what it may import besides the kernel (casecore's top-level modules).
CASECORE = {
    "kernel": set(),
    "people": set(),
    "messaging": {"people"},
    "deadlines": set(),
    "directory": {"people"},
    "reports": {"people", "messaging", "deadlines"},
    "cases": {"people", "messaging", "deadlines", "directory", "reports"},
    "triage": {"people", "messaging", "deadlines", "directory", "reports", "cases"},
    "feedback": {"people", "messaging", "deadlines", "directory", "reports", "cases"},
    "complaints": {"people", "messaging", "deadlines"},
    "accounts": {"people", "cases"},
    "handoff": {"people", "messaging", "deadlines", "directory", "reports", "cases"},
    "indicators": {"people", "deadlines", "directory", "reports", "cases", "complaints"},
    "partners": {"people", "messaging", "deadlines", "directory", "reports", "cases", "complaints", "indicators"},
}
# Modules that stand above every feature: the schema for Alembic, the demo data, the search by reference, and what
# /metrics reads.
CASECORE_TOP = {"casecore.schema", "casecore.demo", "casecore.retention", "casecore.rekey",
                "casecore.reference_search", "casecore.monitoring"}
# Each app package and what it may import besides app's top-level modules (runtime, cli) and the layers below.
APP = {
    "kernel": set(),
    "web": set(),
    "metrics": {"web"},
    "auth": {"web", "metrics"},
    "webhooks": {"web", "metrics"},
    "simulator": {"web", "webhooks"},
    "cases": {"web", "auth"},
    "triage": {"web", "auth", "cases"},
    "complaints": {"web", "auth"},
    "directory": {"web", "auth"},
    "feedback": {"web", "auth", "directory"},
    "admin": {"web", "auth"},
    "handoff": {"web"},
    "indicators": {"web"},
    "search": {"web"},
    "health": {"web"},
    "api": {"web"},
}
# create_app, which wires every feature.
APP_TOP = {"app"}
# The layers (../shared/STYLE.md): what each may import.
LAYERS = {
    "casecore": {"casecore"},
    "channels": {"channels", "casecore"},
    "dialogs": {"dialogs", "casecore"},
    "workers": {"workers", "dialogs", "channels", "casecore", "bootstrap", "settings", "logs"},
    "app": {"app", "workers", "dialogs", "channels", "casecore", "bootstrap", "settings", "logs"},
}
PROJECT = set(LAYERS) | {"bootstrap", "settings", "logs", "gunicorn_logging", "tests", "bench", "scripts"}


def modules(layer: str):
    """(dotted name, parsed tree) of every module of a layer, migrations left out."""
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        yield dotted, ast.parse(path.read_text(encoding="utf-8"))


def imported(tree: ast.AST):
    """The project modules a module imports, each with the line, at any depth of the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            yield node.lineno, node.module, names
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def package(dotted: str) -> str:
    """The feature package of a casecore or app module, or "kernel" for a top-level one."""
    parts = dotted.split(".")
    return parts[1] if len(parts) >= 2 and (ROOT / parts[0] / parts[1]).is_dir() else "kernel"


@pytest.mark.parametrize(("layer", "rules"), [("casecore", CASECORE), ("app", APP)])
def test_every_package_is_listed(layer, rules):
    packages = {p.name for p in (ROOT / layer).iterdir() if (p / "__init__.py").exists()} - {"migrations"}
    assert packages == set(rules) - {"kernel"}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_import_only_below_them(layer):
    wrong = []
    for dotted, tree in modules(layer):
        for line, module, _names in imported(tree):
            top = module.split(".")[0]
            if top in PROJECT and top not in LAYERS[layer]:
                wrong.append(f"{dotted}:{line} imports {module}")
            if layer == "casecore" and top in {"flask", "flask_login", "flask_wtf", "rq", "redis", "twilio"}:
                wrong.append(f"{dotted}:{line} imports {module}")
    assert wrong == []


@pytest.mark.parametrize(("layer", "rules", "top"), [("casecore", CASECORE, CASECORE_TOP), ("app", APP, APP_TOP)])
def test_packages_import_only_those_before_them(layer, rules, top):
    wrong = []
    for dotted, tree in modules(layer):
        if dotted in top:
            continue
        source = package(dotted)
        for line, module, names in imported(tree):
            if module.split(".")[0] != layer:
                continue
            # "from casecore import taxonomy" names a module; "from casecore.cases.models import Case" a name in one.
            targets = {package(name if _is_module(name) else module) for name in names or [module]}
            for target in targets - {source, "kernel"}:
                if target not in rules[source]:
                    wrong.append(f"{dotted}:{line} ({source}) imports {module} ({target})")
    assert wrong == []


def test_casecore_imports_at_the_top_of_each_module():
    """A cycle is fixed by moving a function, never by an import hidden in a function (../shared/STYLE.md)."""
    late = [f"{dotted}:{node.lineno}" for dotted, tree in modules("casecore")
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node not in tree.body]
    assert late == []


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()
