"""What the end-to-end tests share: the application's processes started as deployed (the real CLI, the Procfile's
commands) and stopped again, and the app served in this process for a browser, with a supervisor to log in as.

The headless Chromium those tests drive is the `browser` fixture, in tests/e2e/conftest.py.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from app import create_app
from casecore.people.models import Organisation, User
from scripts.run_local import procfile_commands, services
from tests.conftest import TEST_KEYS_ENV
from tests.factories import make_locations, make_organisation, make_user
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SUPERVISOR_EMAIL = "awa@example.org"
SUPERVISOR_PASSWORD = "mot de passe sur"
SUPERVISOR_NAME = "Awa Traoré"  # how the pages show the supervisor


# -- the application's processes, as deployed ------------------------------------------------------------------
def process_env(database: Path, redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of the application's processes: this one's, with this venv's bin first on PATH, the SQLite
    database and Redis given, the web server on the loopback only, unbuffered output, and settings."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": redis_url,
        "WEB_BIND": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        "DEVELOPMENT": "true",  # a test may open the Africa's Talking webhooks; those that give a token check it
        # The test's own keys, so that what the processes seal the test reads, and the other way round.
        **TEST_KEYS_ENV,
        **settings,
    }


def load_demo(env: dict[str, str]) -> None:
    """The schema through the Procfile's release line, as a deploy runs it, then the demo data through the real CLI
    (`flask demo`)."""
    subprocess.run(["bash", "-c", procfile_commands()["release"]], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=120)
    subprocess.run([str(BIN / "flask"), "--app", "app", "demo"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=120)


def honcho_start() -> list[str]:
    """`honcho start` of the Procfile's long-running processes (the release is load_demo's)."""
    return [str(BIN / "honcho"), "start", "-f", str(ROOT / "Procfile"), *services()]


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start command in the repository, in a process group of its own (stop() ends all it starts), its output to
    log."""
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_until_up(base: str, process: subprocess.Popen, log: Path, what: str) -> None:
    """Wait until base answers GET /login with 200; fail with the end of log if what (process) stops first, or after
    60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} stopped:\n" + log.read_text()[-4000:])
        try:
            if requests.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or still importing the app on a busy machine: the first request waits
        time.sleep(0.2)
    pytest.fail(f"{base} did not answer within 60 s:\n" + log.read_text()[-4000:])


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group spawn() started, SIGKILL if it is still there 20 s later."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# -- the app in this process, for a browser ---------------------------------------------------------------------
def add_supervisor(session) -> tuple[Organisation, User]:
    """One organisation, its places, and its supervisor (SUPERVISOR_EMAIL, SUPERVISOR_PASSWORD, SUPERVISOR_NAME);
    returns both."""
    org = make_organisation(session)
    make_locations(session)
    supervisor = make_user(session, org, email=SUPERVISOR_EMAIL, display_name=SUPERVISOR_NAME,
                           password=SUPERVISOR_PASSWORD, phone="+22376000011")
    return org, supervisor


@contextmanager
def serving_app() -> Iterator[str]:
    """The Flask app behind a real HTTP server on 127.0.0.1, in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", free_port(), create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def log_in(page, base: str, email: str = SUPERVISOR_EMAIL, password: str = SUPERVISOR_PASSWORD,
           lands_on: str = "/triage") -> None:
    """On the login page, log in with the keyboard (the supervisor unless told), and land on lands_on."""
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{lands_on}")


def unfold(page, section: str) -> None:
    """Open a folded section of the case page by a click on its title, as a person would (nothing if open)."""
    fold = page.locator(f"#{section} > details.fold")
    if fold.get_attribute("open") is None:
        fold.locator("> summary").click()


def log_out(page, base: str) -> None:
    """Press the menu's "Se déconnecter" button and land on the login page."""
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{base}/login")
