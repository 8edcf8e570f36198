"""A supervisor in a real browser (headless Chromium) plays a whole USSD report, then an SMS, on the simulator page.

The conversation's wording is still changing: the test answers by option numbers and checks stable things only
(CON/END, the reference's pattern, screen sizes, numbered lines).
"""
from __future__ import annotations

import re

import pytest

from casecore.messaging.outbox import queue_message
from tests.e2e.support import add_supervisor, log_in, serving_app

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"[2-9A-HJKMNP-TW-Z]{7}")
PHONE = "+22376000100"  # SIMULATOR_NUMBERS by default: the demo family's number, then a demo number with no case
SECOND = "+22376000199"
MAX_STEPS = 25


@pytest.fixture
def live_server(runtime):
    """The Flask app behind a real HTTP server on 127.0.0.1, with one organisation, its places and a supervisor."""
    with runtime.unit_of_work() as session:
        add_supervisor(session)
    with serving_app() as base:
        yield base


def wait_for_answer(page) -> None:
    """The script clears the input and enables Send again once the answer is drawn."""
    page.wait_for_function(
        "() => document.getElementById('sim-input').value === '' && !document.getElementById('sim-send').disabled")


def note_error(problems: list[str], message) -> None:
    """Keep console errors (a script refused by the Content-Security-Policy shows up here) but the favicon's 404."""
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        problems.append(message.text)


def test_a_supervisor_plays_a_ussd_report_then_an_sms_menu(browser, live_server, runtime):
    base = live_server
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: note_error(problems, message))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{base}/triage")
    log_in(page, base)
    page.get_by_role("link", name="Simulateur").click()
    page.wait_for_url(f"{base}/simulator")

    screen, status = page.locator("#sim-screen"), page.locator("#sim-status")
    number = page.get_by_label("Numéro du téléphone simulé")
    # Only the test numbers of SIMULATOR_NUMBERS can be played: offered in a select, none typed; the first chosen.
    assert number.evaluate("element => element.tagName") == "SELECT"
    assert number.locator("option").all_inner_texts() == [PHONE, SECOND]
    assert number.input_value() == PHONE
    assert page.locator("#sim-input").input_value() == "*384*1234#"
    page.locator("#sim-input").focus()
    page.keyboard.press("Enter")  # dial
    wait_for_answer(page)

    steps = 0
    while status.inner_text().startswith("CON"):
        text = screen.inner_text()
        assert len(text) <= 156 and len(text.splitlines()) >= 2  # a prompt and its numbered choices
        assert re.search(r"^1 ", text, re.M)
        steps += 1
        assert steps < MAX_STEPS, f"no END after {MAX_STEPS} screens; last one:\n{text}"
        if steps == 1:
            page.locator('#sim-keypad button[data-key="1"]').click()  # the on-screen keypad types too
        else:
            page.keyboard.type("1")
        page.keyboard.press("Enter")
        wait_for_answer(page)

    assert steps > 5  # language, menu, concern, ..., send
    assert status.inner_text().startswith("END")
    last = screen.inner_text()
    assert REFERENCE.search(last), last
    assert page.locator("#sim-keys").is_hidden()
    assert page.get_by_role("link", name="Nouvelle session").is_visible()

    page.get_by_label("SMS").check()
    page.get_by_role("button", name="Nouvelle session").click()
    page.wait_for_url(re.compile(r"/simulator\?channel=sms"))
    page.get_by_label("Message").fill("MENU")
    page.keyboard.press("Enter")
    page.locator(".bubble.received").first.wait_for()
    assert page.locator(".bubble.sent").inner_text().startswith("Envoyé :")
    reply = page.locator(".bubble.received").inner_text()
    assert len(re.findall(r"^\d+ ", reply, re.M)) >= 5, reply  # the main menu, in the language chosen on USSD

    # A reply written later, as the scheduler writes the end of an abandoned dialogue, arrives by polling.
    with runtime.unit_of_work() as session:
        queue_message(session, purpose_key="e2e-later", to_phone=PHONE, body="Au revoir", backend="simulator")
    page.locator(".bubble.received", has_text="Au revoir").wait_for(timeout=10_000)
    assert page.locator(".bubble.received").count() == 2
    assert problems == []
