"""End to end: the Procfile processes, a whole USSD session over HTTP, the SMS alert, the triage queue."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from casecore.demo import DEMO_ACCOUNTS
from tests.fakes.africastalking import FakeAfricasTalking
from tests.servers import free_port
from tests.web.test_ussd_webhook import FULL_PATH_FR

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN = "e2e-webhook-token"
# French, report, violence, danger now, past the emergency numbers, girl, 6-11, first region and commune,
# consent, may call, send.
PATH = FULL_PATH_FR

pytestmark = pytest.mark.e2e


@pytest.fixture
def system(tmp_path, redis_url):
    """Schema and demo data through the real CLI, then every Procfile process, against a fake AT API."""
    with FakeAfricasTalking(api_key="e2e-api-key") as fake:
        port = free_port()
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'relais.db'}",
            "REDIS_URL": redis_url,
            "SECRET_KEY": "e2e-secret",
            "SMS_BACKEND": "africastalking",
            "AT_API_URL": fake.url,
            "AT_API_KEY": "e2e-api-key",
            "AT_USERNAME": "sandbox",
            "AT_SENDER_ID": "RELAIS",
            "AT_WEBHOOK_TOKEN": TOKEN,
            "PORT": str(port),
            "WEB_BIND": "127.0.0.1",
            "WEB_CONCURRENCY": "2",
            "PYTHONUNBUFFERED": "1",
        }
        for command in (["db", "upgrade"], ["demo"]):
            subprocess.run([str(BIN / "flask"), "--app", "app", *command], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, timeout=120)
        log = (tmp_path / "honcho.log").open("w")
        honcho = subprocess.Popen([str(BIN / "honcho"), "start", "-f", str(ROOT / "Procfile")], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, honcho, tmp_path / "honcho.log")
            yield base, fake
        finally:
            os.killpg(honcho.pid, signal.SIGTERM)
            try:
                honcho.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(honcho.pid, signal.SIGKILL)
            log.close()


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the Procfile processes stopped:\n" + log.read_text()[-4000:])
        try:
            if requests.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail("web did not answer within 60 s:\n" + log.read_text()[-4000:])


def _ussd_step(base: str, text: str) -> str:
    response = requests.post(
        f"{base}/webhooks/africastalking/ussd?token={TOKEN}",
        data={"sessionId": "ATUid_e2e1", "serviceCode": "*384*1234#", "phoneNumber": "+22376701430",
              "networkCode": "99999", "text": text},
        timeout=10,
    )
    assert response.status_code == 200
    return response.text


def test_a_ussd_report_reaches_the_supervisor_by_sms_and_the_top_of_triage(system):
    base, fake = system
    screens = [_ussd_step(base, "*".join(PATH[:n])) for n in range(len(PATH) + 1)]
    assert all(screen.startswith("CON ") for screen in screens[:-1])
    reference = re.search(r"\b([2-9A-HJKMNP-TW-Z]{7})\b", screens[-1]).group(1)

    [sms] = fake.wait_for(1, timeout=60)
    supervisor, supervisor_phone = next(acc for acc in DEMO_ACCOUNTS if acc[0].role == "supervisor")
    assert sms["form"]["to"] == supervisor_phone
    assert sms["form"]["username"] == "sandbox" and sms["form"]["from"] == "RELAIS"
    assert sms["headers"]["apiKey"] == "e2e-api-key"
    message = sms["form"]["message"]
    assert reference in message and "URGENT" in message.upper()
    assert "violence" not in message.lower()

    web = requests.Session()
    login_page = web.get(f"{base}/login", timeout=10).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    email, password = supervisor.email, supervisor.password
    response = web.post(f"{base}/login", data={"email": email, "password": password, "csrf_token": csrf},
                        timeout=10)
    assert response.status_code == 200 and response.url.endswith("/triage")
    triage = web.get(f"{base}/triage", timeout=10).text
    assert reference in triage
    # Top of the queue: the first reference shown is ours.
    references = re.findall(r'class="ref">([A-Z0-9]{7})<', triage)
    assert references[0] == reference
    assert "+22376701430" not in triage
