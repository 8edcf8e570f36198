"""deploy/systemd: units systemd accepts (`systemd-analyze verify`, where it is installed: .ci/run installs it), that
run what the Procfile runs, as the relais user, with the settings file and hardening."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from configparser import ConfigParser
from pathlib import Path

import pytest

from scripts.run_local import procfile_commands

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
PREFIX = "/opt/relais"
SERVICES = ["relais-release.service", "relais-web.service", "relais-worker@.service", "relais-scheduler.service"]


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with every value it is given (systemd allows repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in (UNITS / name).read_text().splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            current.setdefault(key, []).append(value)
    return sections


def exec_start(name: str) -> list[str]:
    """The unit's command as systemd splits it (%% read as %), the program by its name only."""
    (line,) = unit(name)["Service"]["ExecStart"]
    argv = shlex.split(line.replace("%%", "%"))
    return [Path(argv[0]).name, *argv[1:]]


def procfile(name: str) -> list[str]:
    """The Procfile's command, split as the shell would, ${VAR:-default} read as ${VAR}."""
    return shlex.split(re.sub(r"\$\{(\w+):-[^}]*\}", r"${\1}", procfile_commands()[name]))


def test_the_units_are_all_there():
    assert sorted(p.name for p in UNITS.iterdir()) == sorted([*SERVICES, "relais.target"])


def test_each_unit_runs_the_procfiles_command():
    assert exec_start("relais-web.service") == procfile("web")
    assert exec_start("relais-worker@.service") == [*procfile("worker"), "--queues", "${WORKER_QUEUES}"]
    assert exec_start("relais-scheduler.service") == procfile("scheduler")
    assert exec_start("relais-release.service") == procfile("release")
    assert unit("relais-release.service")["Service"]["Type"] == ["oneshot"]


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_as_relais_with_the_settings_file_and_hardening(name):
    service = unit(name)["Service"]
    assert service["User"] == ["relais"] and service["WorkingDirectory"] == [PREFIX]
    assert service["EnvironmentFile"][0] == "/etc/relais/relais.env"
    assert service["ExecStart"][0].startswith(f"{PREFIX}/.venv/bin/")
    for setting, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                           ("PrivateTmp", "yes"), ("CapabilityBoundingSet", ""), ("StateDirectory", "relais")):
        assert service[setting] == [value], setting
    if name != "relais-release.service":
        assert service["Restart"] == ["always"]
        assert unit(name)["Install"]["WantedBy"] == ["relais.target"]
        assert unit(name)["Unit"]["PartOf"] == ["relais.target"]


def test_the_units_parse_as_ini_files():
    for path in UNITS.iterdir():
        ConfigParser(strict=False, interpolation=None).read_string(path.read_text())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian's systemd package; .ci/run installs it)")
def test_systemd_analyze_verify_accepts_every_unit(tmp_path):
    # verify checks that each ExecStart program exists: the units are verified installed under a folder of the
    # test's, its .venv/bin holding stand-ins; no systemd need be running.
    prefix = tmp_path / "opt-relais"
    (prefix / ".venv" / "bin").mkdir(parents=True)
    for program in ("gunicorn", "python", "flask"):
        stand_in = prefix / ".venv" / "bin" / program
        stand_in.write_text("#!/bin/sh\n")
        stand_in.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS.iterdir():
        (units / path.name).write_text(path.read_text().replace(PREFIX, str(prefix)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in units.iterdir())],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""  # not even a warning
