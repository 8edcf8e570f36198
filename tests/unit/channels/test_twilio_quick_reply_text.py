"""Which WhatsApp screens become quick replies, the text above the buttons, and the content asked of Twilio."""
from __future__ import annotations

import json

import pytest

from channels.sms import OutboundSms, make_sms_backend
from channels.sms.twilio_content import (
    KEY_PREFIX,
    ContentCache,
    cache_key,
    content_definition,
    quick_reply_for,
    text_above_buttons,
)

PROMPT = "Êtes-vous en sécurité maintenant ?"
SCREEN = f"{PROMPT}\n1 Oui\n2 Non\n0 Retour\n00 Menu"
OPTIONS = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token",
           "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886"}


class DictContentCache(ContentCache):
    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.get(key)

    def remember(self, key, sid):
        return self.values.setdefault(key, sid)

    def forget(self, key):
        self.values.pop(key, None)


def whatsapp(body=SCREEN, options=("Oui", "Non"), channel="whatsapp"):
    return OutboundSms(to="+22376701430", body=body, channel=channel, options=options)


def test_a_yes_no_question_becomes_two_buttons_over_the_question_and_the_typed_commands():
    reply = quick_reply_for(whatsapp())
    assert reply.titles == ("Oui", "Non")
    assert reply.body == f"{PROMPT}\n\n0 Retour\n00 Menu"
    assert json.loads(reply.variables) == {"1": reply.body}


@pytest.mark.parametrize("body, expected", [
    (f"{PROMPT}\n1 Oui\n2 Non", PROMPT),
    (f"Choix invalide.\n{PROMPT}\n1 Oui\n2 Non\n0 Retour", f"Choix invalide.\n{PROMPT}\n\n0 Retour"),
    # A numbered line in the question itself stays: the options are the last block that matches.
    ("Rappel:\n1 Oui\nVraiment ?\n1 Oui\n2 Non\n00 Menu", "Rappel:\n1 Oui\nVraiment ?\n\n00 Menu"),
    (f"{PROMPT}\n1 Oui\n2 Non\n98 Plus\n0 Retour", f"{PROMPT}\n\n98 Plus\n0 Retour"),
])
def test_only_the_numbered_option_lines_are_dropped(body, expected):
    assert text_above_buttons(body, ("Oui", "Non")) == expected


@pytest.mark.parametrize("body", [
    f"{PROMPT}\n1 Yes\n2 No",  # the options are not the body's lines
    f"{PROMPT}\n2 Non\n1 Oui",  # not in order
    f"{PROMPT}\n1 Oui\n0 Retour\n2 Non",  # not one block
    "1 Oui\n2 Non\n0 Retour",  # no question left above the buttons
])
def test_a_body_whose_option_lines_cannot_be_found_stays_plain_text(body):
    assert text_above_buttons(body, ("Oui", "Non")) is None
    assert quick_reply_for(whatsapp(body)) is None


@pytest.mark.parametrize("sms", [
    whatsapp(channel="sms"),
    whatsapp(options=()),
    whatsapp(f"{PROMPT}\n1 A\n2 B\n3 C\n4 D", ("A", "B", "C", "D")),
    whatsapp(f"{PROMPT}\n1 Oui, immédiatement et seul\n2 Non", ("Oui, immédiatement et seul", "Non")),
    whatsapp(f"{PROMPT}\n1 Oui\n2 Oui", ("Oui", "Oui")),
    whatsapp(f"{PROMPT}\n1  \n2 Non", (" ", "Non")),
    whatsapp("x" * 1100 + "\n1 Oui\n2 Non"),
], ids=["sms", "no-options", "four-options", "long-label", "repeated-label", "blank-label", "long-body"])
def test_what_whatsapp_buttons_cannot_carry_stays_plain_text(sms):
    assert quick_reply_for(sms) is None


def test_three_options_of_twenty_characters_still_fit():
    labels = ("a" * 20, "b" * 20, "c" * 20)
    body = PROMPT + "".join(f"\n{n} {label}" for n, label in enumerate(labels, start=1))
    assert quick_reply_for(whatsapp(body, labels)).titles == labels


def test_the_content_has_the_option_numbers_as_button_ids_and_the_text_as_variable_one():
    definition = content_definition(("Oui", "Non"))
    assert definition["types"] == {"twilio/quick-reply": {
        "body": "{{1}}", "actions": [{"title": "Oui", "id": "1"}, {"title": "Non", "id": "2"}]}}
    assert definition["language"] and set(definition["variables"]) == {"1"}
    assert definition["friendly_name"] == content_definition(("Oui", "Non"))["friendly_name"]
    assert definition["friendly_name"] != content_definition(("Yes", "No"))["friendly_name"]


def test_cache_keys_are_per_account_and_per_titles_in_order():
    key = cache_key("AC1", ("Oui", "Non"))
    assert key.startswith(KEY_PREFIX + "AC1:") and key == cache_key("AC1", ("Oui", "Non"))
    assert len({key, cache_key("AC2", ("Oui", "Non")), cache_key("AC1", ("Non", "Oui")),
                cache_key("AC1", ("Yes", "No"))}) == 4


@pytest.mark.parametrize("overrides, enabled", [
    ({"TWILIO_CONTENT_CACHE": DictContentCache()}, True),
    ({"TWILIO_CONTENT_CACHE": DictContentCache(), "TWILIO_QUICK_REPLIES": True}, True),
    ({"TWILIO_CONTENT_CACHE": DictContentCache(), "TWILIO_QUICK_REPLIES": False}, False),
    ({"TWILIO_CONTENT_CACHE": DictContentCache(), "TWILIO_QUICK_REPLIES": "false"}, False),
    ({}, False),  # without a cache every send would create a content: plain text instead
])
def test_quick_replies_need_the_setting_and_a_cache(overrides, enabled):
    backend = make_sms_backend("twilio", {**OPTIONS, **overrides})
    assert backend.quick_replies is enabled


def test_the_content_api_url_comes_from_the_settings():
    assert make_sms_backend("twilio", OPTIONS).content_api_url == "https://content.twilio.com"
    backend = make_sms_backend("twilio", {**OPTIONS, "TWILIO_CONTENT_API_URL": "http://127.0.0.1:9"})
    assert backend.content_api_url == "http://127.0.0.1:9"
