"""Two separate web processes (the Procfile's web line, one worker each) answer alternate steps of one USSD session.

Nothing of a conversation may live in process memory (issue 3): the session record and the unfinished conversation
are in the shared Redis, the language and the report in the shared database.
"""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from casecore.reports.models import Report
from tests.e2e.support import ROOT, load_demo, process_env, spawn, stop, wait_until_up
from tests.servers import free_port

TOKEN = "two-web-token"
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TW-Z]{7}\b")
PHONE = "+22376701430"
# Numbers that never dialled before: each conversation starts at the language screen.
SINGLE_PHONE = "+22376701431"
DROPPING_PHONE = "+22376701432"
# French, report, violence, not in danger now, girl, 6-11, first region, first commune, consent, may call, send.
PATH = ["1", "1", "1", "2", "1", "2", "1", "1", "1", "1", "1"]

pytestmark = pytest.mark.e2e


def _web_command() -> str:
    """The Procfile's web line, run as written."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no web line in the Procfile")


@pytest.fixture
def two_webs(tmp_path, redis_url):
    """Schema and demo data through the real CLI, then two web processes on their own ports, same DB and Redis."""
    database = tmp_path / "relais.db"
    # The same secret everywhere: a number's key (where its unfinished conversation is kept) depends on it.
    env = process_env(database, redis_url, SMS_BACKEND="console",
                      AT_WEBHOOK_TOKEN=TOKEN, WEB_CONCURRENCY="1")
    load_demo(env)
    webs = []
    try:
        for n in range(2):
            port = free_port()
            log = tmp_path / f"web{n}.log"
            webs.append((f"http://127.0.0.1:{port}",
                         spawn(["sh", "-c", _web_command()], {**env, "PORT": str(port)}, log), log))
        for base, process, log in webs:
            wait_until_up(base, process, log, f"the web process for {base}")
        yield [base for base, _, _ in webs], f"sqlite:///{database}"
    finally:
        for _, process, _ in webs:
            stop(process)


def _step(base: str, session: str, inputs: list[str], phone: str = PHONE) -> str:
    response = requests.post(
        f"{base}/webhooks/africastalking/ussd?token={TOKEN}",
        data={"sessionId": session, "serviceCode": "*384*1234#", "phoneNumber": phone, "networkCode": "99999",
              "text": "*".join(inputs)},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith(("CON ", "END ")), response.text
    return response.text


def _reports(database_url: str) -> list[Report]:
    engine = create_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            found = list(session.scalars(select(Report)))
            session.expunge_all()
        return found
    finally:
        engine.dispose()


def test_one_session_alternating_between_two_web_processes_and_a_resume_on_the_other(two_webs):
    bases, database_url = two_webs

    # One session, each step on the other process, through to the reference.
    screens = [_step(bases[n % 2], "ATUid_alternate", PATH[:n]) for n in range(len(PATH) + 1)]
    assert all(screen.startswith("CON ") for screen in screens[:-1])
    assert screens[-1].startswith("END ")
    [reference] = REFERENCE.findall(screens[-1])
    # The same steps on one process give the same screens (the last one aside: a new reference).
    same = [_step(bases[0], "ATUid_single", PATH[:n], SINGLE_PHONE) for n in range(len(PATH))]
    assert same == screens[:-1]
    # The final step retried on the other process: the same answer.
    assert _step(bases[(len(PATH) + 1) % 2], "ATUid_alternate", PATH) == screens[-1]

    # A session dropped mid-report on one process, resumed from a new session on the other.
    drop_at = 6
    first = [_step(bases[n % 2], "ATUid_dropped", PATH[:n], DROPPING_PHONE) for n in range(drop_at + 1)]
    # The last step of the dropped session was on bases[drop_at % 2]: the new session starts on the other.
    offer = _step(bases[(drop_at + 1) % 2], "ATUid_resumed", [], DROPPING_PHONE)
    assert offer.startswith("CON "), offer
    assert re.findall(r"^(\d+) ", offer[4:], re.MULTILINE) == ["1", "2"], offer  # continue / start again
    assert _step(bases[drop_at % 2], "ATUid_resumed", ["1"], DROPPING_PHONE) == first[-1]
    rest = PATH[drop_at:]
    resumed = [_step(bases[(drop_at + 1 + n) % 2], "ATUid_resumed", ["1", *rest[:n]], DROPPING_PHONE)
               for n in range(1, len(rest) + 1)]
    assert all(screen.startswith("CON ") for screen in resumed[:-1])
    [resumed_reference] = REFERENCE.findall(resumed[-1])

    # The demo data holds a report of its own, from the web channel.
    by_session = {report.channel_session_id: report for report in _reports(database_url) if report.channel == "ussd"}
    assert set(by_session) == {"ATUid_alternate", "ATUid_dropped"}  # ATUid_single never sent
    assert by_session["ATUid_alternate"].reference == reference
    assert by_session["ATUid_dropped"].reference == resumed_reference != reference
    for report in by_session.values():
        assert (report.channel, report.concern, report.child_sex, report.child_age_band) == (
            "ussd", "physical_abuse", "female", "6_11")
