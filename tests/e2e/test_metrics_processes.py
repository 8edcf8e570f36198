"""/metrics sums the counters of every process of a host (prometheus_client's multiprocess mode): two processes writing
to one folder, and the Procfile's web line with two gunicorn workers (gunicorn.conf.py)."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client import generate_latest
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from app.metrics.exposition import Scrape
from tests.e2e.support import ROOT, load_demo, process_env, spawn, stop, wait_until_up
from tests.servers import free_port

TOKEN = "metrics-token-for-the-e2e-tests-0123456789"
CONTINUE = 'relais_ussd_steps_total{outcome="continue"}'
USSD_COUNT = 'relais_webhook_request_duration_seconds_count{code="200",endpoint="africastalking_ussd"}'

pytestmark = pytest.mark.e2e


def value(text: str, sample: str) -> float:
    match = re.search("^" + re.escape(sample) + r" (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in the scrape"
    return float(match.group(1))


class NoReadings:
    """A scrape of the counters alone (no database or Redis to read)."""

    def collect(self):
        return iter(())


def test_two_processes_writing_to_one_folder_are_summed(tmp_path):
    count = ("import sys; from app.metrics.instruments import count_ussd_step\n"
             "for _ in range(int(sys.argv[1])): count_ussd_step('continue')")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", count, str(n)], cwd=ROOT, env=env, check=True, timeout=120)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    text = generate_latest(Scrape(NoReadings(), str(tmp_path))).decode()
    assert value(text, CONTINUE) == 7


def _web_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no web line in the Procfile")


def _first_screen(base: str, n: int) -> None:
    response = requests.post(f"{base}/webhooks/africastalking/ussd", timeout=30, data={
        "sessionId": f"ATUid_metrics_{n}", "serviceCode": "*384*1234#", "phoneNumber": f"+2237670{n:04d}",
        "networkCode": "99999", "text": ""})
    assert response.status_code == 200 and response.text.startswith("CON "), response.text


def _scrape(base: str) -> str:
    response = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture
def demo_env(tmp_path, redis_url):
    env = process_env(tmp_path / "relais.db", redis_url, METRICS_TOKEN=TOKEN, WEB_CONCURRENCY="2",
                      WEB_THREADS="2")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    load_demo(env)
    return env


def test_the_procfile_web_line_sums_its_workers_and_wipes_what_an_earlier_run_left(tmp_path, demo_env):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    # What a master killed before it could clean up left behind: it must not count again.
    stale = MmapedDict(str(folder / "counter_999999.db"))
    stale.write_value(mmap_key("relais_ussd_steps", "relais_ussd_steps_total", ["outcome"], ["continue"],
                               "USSD steps answered, by outcome."), 1000.0, 0)
    stale.close()
    port = free_port()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "web.log"
    web = spawn(["sh", "-c", _web_command()], {**demo_env, "PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(folder)},
                log)
    try:
        wait_until_up(base, web, log, "the web process")
        steps = 16
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: _first_screen(base, n), range(steps)))
        # Each scrape is answered by one worker or the other: every one of them gives the host's totals.
        for _ in range(4):
            text = _scrape(base)
            assert value(text, CONTINUE) == steps
            assert value(text, USSD_COUNT) == steps
        workers = sorted(path.name for path in folder.glob("counter_*.db"))
        assert len(workers) == 2 and "counter_999999.db" not in workers
        per_worker = []
        for name in workers:
            values = MmapedDict.read_all_values_from_file(str(folder / name))
            per_worker.append(sum(v for key, v, *_ in values if '"continue"' in key and "relais_ussd_steps" in key))
        assert sum(per_worker) == steps
    finally:
        stop(web)


def test_without_a_folder_given_the_master_makes_its_own_and_removes_it(tmp_path, demo_env):
    port = free_port()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "web.log"
    web = spawn(["sh", "-c", _web_command()], {**demo_env, "PORT": str(port)}, log)
    try:
        wait_until_up(base, web, log, "the web process")
        _first_screen(base, 1)
        assert value(_scrape(base), CONTINUE) == 1
        found = re.search(r"Prometheus counters of this master's workers are kept in (\S+)", log.read_text())
        assert found, log.read_text()[-2000:]
        folder = Path(found.group(1))
        assert len(list(folder.glob("counter_*.db"))) == 2
    finally:
        stop(web)
    deadline = time.monotonic() + 10  # the shell may end before the master's last hook has run
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not folder.exists()
