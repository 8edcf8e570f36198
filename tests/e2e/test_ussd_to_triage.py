"""End to end: the Procfile processes, a whole USSD session over HTTP, the SMS alert, the triage queue."""
from __future__ import annotations

import re

import pytest
import requests

from casecore.demo import DEMO_ACCOUNTS
from tests.e2e.support import honcho_start, load_demo, process_env, spawn, stop, wait_until_up
from tests.fakes.africastalking import FakeAfricasTalking
from tests.servers import free_port
from tests.web.test_ussd_webhook import FULL_PATH_FR

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
        env = process_env(tmp_path / "relais.db", redis_url, SMS_BACKEND="africastalking",
                          AT_API_URL=fake.url, AT_API_KEY="e2e-api-key", AT_USERNAME="sandbox",
                          AT_SENDER_ID="RELAIS", AT_WEBHOOK_TOKEN=TOKEN, PORT=str(port), WEB_CONCURRENCY="2")
        load_demo(env)
        log = tmp_path / "honcho.log"
        honcho = spawn(honcho_start(), env, log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, honcho, log, "the Procfile processes")
            yield base, fake
        finally:
            stop(honcho)


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
