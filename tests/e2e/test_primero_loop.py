"""End to end, the Procfile's processes with a CPIMS+ (fake Primero) beside them: a USSD report, accepted by the
supervisor on the web, becomes a Primero case owned by the case worker's Primero user; closed in Primero (its
webhook), the family's closure surveys go out by SMS and the family's status check says the follow-up is over."""
from __future__ import annotations

import json
import re
import time

import pytest
import requests

from casecore.demo import DEMO_ACCOUNTS, DEMO_CASE_WORKER
from tests.e2e.support import honcho_start, load_demo, process_env, spawn, stop, wait_until_up
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.primero import PASSWORD, USERNAME, FakePrimero, Instance
from tests.servers import free_port
from tests.web.test_ussd_webhook import FULL_PATH_FR

TOKEN = "e2e-webhook-token"
HOOK_KEY = "e2e-primero-key"
FAMILY = "+22376701430"
# "Check a report", the sixth entry of the main menu (the number chose French before: no language screen).
STATUS_PATH = ["6"]

pytestmark = pytest.mark.e2e


@pytest.fixture
def system(tmp_path, redis_url):
    """Demo data, every Procfile process, a fake Africa's Talking and a fake Primero whose webhooks reach Relais."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mapping = tmp_path / "primero-mapping.json"
    mapping.write_text(json.dumps({"users": {DEMO_CASE_WORKER: "cp_worker"}}))
    instance = Instance(webhook_url=f"{base}/webhooks/primero", webhook_key=HOOK_KEY, webhook_auto=True)
    with FakeAfricasTalking(api_key="e2e-api-key") as sms, FakePrimero(instance=instance) as primero:
        env = process_env(tmp_path / "relais.db", redis_url, SMS_BACKEND="africastalking",
                          AT_API_URL=sms.url, AT_API_KEY="e2e-api-key", AT_USERNAME="sandbox",
                          AT_SENDER_ID="RELAIS", AT_WEBHOOK_TOKEN=TOKEN, PORT=str(port), WEB_CONCURRENCY="1",
                          PRIMERO_URL=primero.url, PRIMERO_USERNAME=USERNAME, PRIMERO_PASSWORD=PASSWORD,
                          PRIMERO_HANDOFF="on_accept", PRIMERO_WEBHOOK_KEY=HOOK_KEY, PRIMERO_MAPPING=str(mapping),
                          SCHEDULER_INTERVAL_SECONDS="2")
        load_demo(env)
        log = tmp_path / "honcho.log"
        honcho = spawn(honcho_start(), env, log)
        try:
            wait_until_up(base, honcho, log, "the Procfile processes")
            yield base, sms, primero, log
        finally:
            stop(honcho)
    assert primero.violations == []


def _ussd(base: str, session: str, answers: list[str]) -> str:
    response = requests.post(
        f"{base}/webhooks/africastalking/ussd?token={TOKEN}",
        data={"sessionId": session, "serviceCode": "*384*1234#", "phoneNumber": FAMILY, "networkCode": "99999",
              "text": "*".join(answers)}, timeout=10)
    assert response.status_code == 200
    return response.text


def _wait(condition, what: str, log, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s:\n" + log.read_text()[-4000:])


def _logged_in(base: str) -> requests.Session:
    supervisor = next(login for login, _phone in DEMO_ACCOUNTS if login.role == "supervisor")
    web = requests.Session()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', web.get(f"{base}/login", timeout=10).text).group(1)
    web.post(f"{base}/login", data={"email": supervisor.email, "password": supervisor.password, "csrf_token": csrf},
             timeout=10)
    return web


def test_a_ussd_report_becomes_a_primero_case_and_its_closure_there_reaches_the_family(system):
    base, sms, primero, log = system
    last = [_ussd(base, "ATUid_loop", FULL_PATH_FR[:n]) for n in range(len(FULL_PATH_FR) + 1)][-1]
    reference = re.search(r"\b([2-9A-HJKMNP-TW-Z]{7})\b", last).group(1)

    web = _logged_in(base)
    triage = web.get(f"{base}/triage", timeout=10).text
    report_path = re.search(r'href="(/reports/[0-9a-f-]{36})"', triage).group(1)
    page = web.get(f"{base}{report_path}", timeout=10).text
    worker_name = next(login.name for login, _phone in DEMO_ACCOUNTS if login.email == DEMO_CASE_WORKER)
    worker_id = re.search(r'name="assigned_to_id" value="([0-9a-f-]{36})"[^>]*>\s*' + re.escape(worker_name),
                          page).group(1)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    accepted = web.post(f"{base}{report_path}/accept", timeout=10,
                        data={"csrf_token": csrf, "risk_level": "high", "assigned_to_id": worker_id})
    assert accepted.status_code == 200

    [case] = _wait(lambda: list(primero.cases.values()), "no Primero case", log)
    assert case["other_agency_id"] == reference and case["owned_by"] == "cp_worker"
    assert case["risk_level"] == "high" and case["module_id"] == "primeromodule-cp"
    shown = _wait(lambda: case["case_id_display"] in web.get(f"{base}{report_path}", timeout=10).text,
                  "the Primero short id not on the report page", log)
    assert shown

    before = len(sms.requests)
    primero.close_case(case["id"])
    surveys = _wait(lambda: [r for r in sms.requests[before:] if r["form"]["to"] == FAMILY],
                    "no closure survey to the family", log)
    assert surveys and all(reference not in r["form"]["message"] for r in surveys)

    path = [*STATUS_PATH, reference]
    answer = [_ussd(base, "ATUid_status", path[:n]) for n in range(len(path) + 1)][-1]
    assert answer.startswith("END") and "signalement est termine" in answer  # respelt for every handset
