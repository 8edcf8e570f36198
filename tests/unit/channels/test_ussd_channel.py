"""Africa's Talking USSD format: reading the posted fields, writing CON/END screens."""
import logging

import pytest

from channels.africastalking_ussd import InvalidUssdRequest, parse_ussd_request, render_ussd, ussd_length

FORM = {"sessionId": "ATUid_1", "serviceCode": "*384*1234#", "phoneNumber": "+22376701430", "networkCode": "99999"}


@pytest.mark.parametrize("text, inputs", [("", ()), ("1", ("1",)), ("1*2", ("1", "2")), ("1**x", ("1", "", "x"))])
def test_text_is_every_input_joined_with_stars(text, inputs):
    assert parse_ussd_request({**FORM, "text": text}).inputs == inputs


@pytest.mark.parametrize("missing", ["sessionId", "phoneNumber", "text"])
def test_a_missing_field_is_refused_with_its_name(missing):
    form = {**FORM, "text": ""}
    del form[missing]
    with pytest.raises(InvalidUssdRequest, match=missing):
        parse_ussd_request(form)


def test_screens_are_plain_ascii_and_bambara_letters_are_respelt():
    assert render_ussd("Où est l'enfant ?\n1 Ɔwɔ\n2 ɲɛ", final=False) == "CON Ou est l'enfant ?\n1 Owo\n2 nye"
    assert render_ussd("Merci", final=True) == "END Merci"
    assert ussd_length("ɲɛ") == 3


def test_a_screen_too_long_is_cut_and_said_so(caplog):
    with caplog.at_level(logging.WARNING):
        body = render_ussd("x" * 200, final=False)
    assert len(body) == 160 and "cut to 160" in caplog.text
