"""What `make mutate` reads from the repository: the modules and their target (modules.toml), how pytest is run
on this project, and the mutants marked equivalent (equivalent.toml)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES_FILE = HERE / "modules.toml"
EQUIVALENT_FILE = HERE / "equivalent.toml"


@dataclass(frozen=True)
class Config:
    """modules: paths relative to the repository; target: the least score (percent) each must reach."""

    modules: tuple[str, ...]
    target: float = 95.0
    select: tuple[str, ...] = ()
    sqlite_only: tuple[str, ...] = ()
    shared_dir_env: str = ""
    plugins: tuple[str, ...] | None = None
    declaration_tests: tuple[str, ...] = ()
    equivalent: dict[str, str] = field(default_factory=dict)


def load(root: Path, modules_file: Path = MODULES_FILE, equivalent_file: Path = EQUIVALENT_FILE) -> Config:
    """The configuration, folders expanded to their .py files."""
    settings = tomllib.loads(modules_file.read_text(encoding="utf-8"))
    pytest_settings = settings.get("pytest", {})
    return Config(
        modules=tuple(expand(root, settings["modules"])),
        target=float(settings.get("target", 95)),
        select=tuple(pytest_settings.get("select", ())),
        sqlite_only=tuple(pytest_settings.get("sqlite_only", ())),
        shared_dir_env=pytest_settings.get("shared_dir_env", ""),
        plugins=tuple(pytest_settings["plugins"]) if "plugins" in pytest_settings else None,
        declaration_tests=tuple(pytest_settings.get("declaration_tests", ())),
        equivalent=load_equivalent(equivalent_file),
    )


def expand(root: Path, paths: list[str]) -> list[str]:
    """Each path as given, a folder as its .py files (sorted); an unknown path is an error."""
    found = []
    for path in paths:
        full = root / path
        if full.is_dir():
            found += [p.relative_to(root).as_posix() for p in sorted(full.rglob("*.py"))
                      if "__pycache__" not in p.parts]
        elif full.is_file():
            found.append(Path(path).as_posix())
        else:
            raise SystemExit(f"mutate: no module {path}")
    return list(dict.fromkeys(found))


def load_equivalent(path: Path) -> dict[str, str]:
    """Mutant id -> why it is equivalent."""
    if not path.exists():
        return {}
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
    missing = [entry for entry in entries if not entry.get("id") or not entry.get("why", "").strip()]
    if missing:
        raise SystemExit(f"mutate: {path.name}: every equivalent mutant needs an id and a why ({missing[0]})")
    return {entry["id"]: entry["why"].strip() for entry in entries}
