"""Phone normalisation to E.164 (table from ../shared/providers/README.md §5) and masking for lists."""
from __future__ import annotations

import pytest

from casecore.errors import InvalidPhoneNumber
from casecore.phones import mask_phone, normalise_phone


@pytest.mark.parametrize(
    "raw, region, expected",
    [
        ("76 70 14 30", "ML", "+22376701430"),
        ("0022376701430", "ML", "+22376701430"),
        ("20 22 33 44", "ML", "+22320223344"),
        ("0712 345 678", "KE", "+254712345678"),
        ("08031234567", "NG", "+2348031234567"),
        ("70 12 34 56", "BF", "+22670123456"),
        ("07 01 23 45 67", "CI", "+2250701234567"),
        ("0772 123 456", "UG", "+256772123456"),
        # Providers send international numbers; the default region must not change them.
        ("+22376701430", "KE", "+22376701430"),
        ("whatsapp:+22376701430", None, "+22376701430"),
        ("  +223 76 70 14 30 ", "ML", "+22376701430"),
    ],
)
def test_normalise_phone(raw, region, expected):
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw, region",
    [
        ("254711000111", None),  # no + and no region: unreadable
        ("07 12 34 56", "CI"),  # old 8-digit Ivorian format: parses but is not valid
        ("", "ML"),
        ("   ", "ML"),
        (None, "ML"),
        ("not a number", "ML"),
        ("12345", "ML"),
    ],
)
def test_normalise_phone_refuses(raw, region):
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(raw, region)


def test_invalid_phone_number_is_an_invalid_input():
    from casecore.errors import InvalidInput

    assert issubclass(InvalidPhoneNumber, InvalidInput)


@pytest.mark.parametrize(
    "e164, masked",
    [
        ("+22376701430", "+223******30"),
        ("+254712345678", "+254*******78"),
        ("+2348031234567", "+234********67"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(e164, masked):
    assert mask_phone(e164) == masked


def test_mask_phone_keeps_no_more_than_two_digits_of_the_subscriber_number():
    masked = mask_phone("+22376701430")
    assert len(masked) == len("+22376701430")
    assert "7670" not in masked and "1430" not in masked


def test_mask_phone_hides_everything_when_too_short_to_mask():
    assert set(mask_phone("+1")) == {"*"}


def test_phone_key_is_a_keyed_hash_of_32_hex_characters():
    import hashlib
    import hmac

    from casecore.phones import phone_key

    key = phone_key("+22376701430", "secret")
    assert key == hmac.new(b"secret", b"+22376701430", hashlib.sha256).hexdigest()[:32]
    assert len(key) == 32 and int(key, 16) >= 0
    assert "76701430" not in key


def test_phone_key_is_the_same_for_one_number_whatever_the_channel_and_differs_otherwise():
    from casecore.phones import phone_key

    key = phone_key("+22376701430", "secret")
    assert phone_key("whatsapp:+22376701430", "secret") == key
    assert phone_key(" +223 76 70 14 30 ", "secret") == key
    assert phone_key("+22376701431", "secret") != key
    assert phone_key("+22376701430", "another secret") != key


def test_phone_key_still_keys_a_number_the_library_does_not_know():
    from casecore.phones import phone_key

    assert phone_key("+999123", "secret") == phone_key("whatsapp:+999 123", "secret")


@pytest.mark.parametrize("phone, secret", [("+22376701430", ""), ("", "secret"), ("   ", "secret")])
def test_phone_key_needs_a_number_and_a_secret(phone, secret):
    from casecore.errors import InvalidInput
    from casecore.phones import phone_key

    with pytest.raises(InvalidInput):
        phone_key(phone, secret)


@pytest.mark.parametrize("raw, expected", [
    ("+22376701430", "+22376701430"),
    ("whatsapp:+22376701430", "+22376701430"),
    (" +223 76 70 14 30 ", "+22376701430"),
    # Shaped like E.164 but unknown to the library's metadata (a new range): kept as sent.
    ("+22300000000", "+22300000000"),
    ("WhatsApp:+22300000000", "+22300000000"),
])
def test_sender_phone(raw, expected):
    from casecore.phones import sender_phone

    assert sender_phone(raw) == expected


@pytest.mark.parametrize("raw", ["76 70 14 30", "Orange", "", None, "+0123456789", "+12345", "+1234567890123456"])
def test_sender_phone_refuses_what_is_not_international(raw):
    from casecore.phones import sender_phone

    with pytest.raises(InvalidPhoneNumber):
        sender_phone(raw)


# -- WhatsApp business-scoped user ids ----------------------------------------------------------------------------

BSUID = "US.13491208655302741918"


@pytest.fixture
def no_number_parsing(monkeypatch):
    """The phone-number library, made to fail the test if a business-scoped id ever reaches it."""
    import phonenumbers

    def parse(text, region=None, *args, **kwargs):
        if "." in str(text):
            pytest.fail("a business-scoped id was handed to the phone-number library")
        return real(text, region, *args, **kwargs)

    real = phonenumbers.parse
    monkeypatch.setattr(phonenumbers, "parse", parse)


@pytest.mark.parametrize("address, expected", [
    (BSUID, True),
    (f"whatsapp:{BSUID}", True),
    ("ML.abcDEF123", True),  # letters as well as digits, kept as they came
    ("US.ENT.11815799212886844830", True),  # a parent id
    ("US.1", True),
    ("US." + "7" * 128, True),
    ("US." + "7" * 129, False),
    ("us.1234", False),  # the country code is ISO 3166 alpha-2, upper case
    ("USA.1234", False),
    ("US.", False),
    ("US.12-34", False),
    ("US.12.34", False),
    ("+22376701430", False),
    ("22376701430", False),
    ("", False),
    (None, False),
])
def test_is_business_scoped_id(address, expected):
    from casecore.phones import is_business_scoped_id

    assert is_business_scoped_id(address) is expected


@pytest.mark.parametrize("raw, expected", [
    (BSUID, BSUID),
    (f"whatsapp:{BSUID}", BSUID),
    (f"WhatsApp:{BSUID}", BSUID),
    ("ML.abcDEF123", "ML.abcDEF123"),  # never upper-cased nor otherwise changed: Twilio wants it back as it came
    ("whatsapp:+22376701430", "+22376701430"),
    ("+223 76 70 14 30", "+22376701430"),
])
def test_sender_address_keeps_an_id_as_it_came_and_a_number_in_e164(raw, expected, no_number_parsing):
    from casecore.phones import sender_address

    assert sender_address(raw) == expected


@pytest.mark.parametrize("raw", ["us.1234", "Orange", "76 70 14 30", ""])
def test_sender_address_refuses_what_is_neither(raw):
    from casecore.phones import sender_address

    with pytest.raises(InvalidPhoneNumber):
        sender_address(raw)


def test_a_business_scoped_id_is_never_read_as_a_phone_number(no_number_parsing):
    from casecore.phones import contact_phone, sender_phone

    for read in (normalise_phone, sender_phone, contact_phone):
        with pytest.raises(InvalidPhoneNumber, match="business-scoped"):
            read(BSUID)
        with pytest.raises(InvalidPhoneNumber, match="business-scoped"):
            read(f"whatsapp:{BSUID}")


def test_a_business_scoped_id_is_keyed_as_it_came_never_parsed(no_number_parsing):
    import hashlib
    import hmac

    from casecore.phones import phone_key

    key = phone_key(BSUID, "secret")
    assert key == hmac.new(b"secret", BSUID.encode(), hashlib.sha256).hexdigest()[:32]
    assert phone_key(f"whatsapp:{BSUID}", "secret") == key
    assert phone_key("US.13491208655302741919", "secret") != key


@pytest.mark.parametrize("address, masked", [
    (BSUID, "US.********18"),
    (f"whatsapp:{BSUID}", "US.********18"),
    ("US.ENT.11815799212886844830", "US.********30"),
    ("ML.abcDEF123", "ML.********23"),
    ("US.12345", "US.********45"),
    ("US.1234", "US.****"),  # too short to show any of it
    ("US.1", "US.*"),
])
def test_mask_phone_masks_a_business_scoped_id_like_a_number(address, masked, no_number_parsing):
    assert mask_phone(address) == masked


def test_business_scoped_ids_in_a_text_are_masked_or_replaced():
    from casecore.phones import hide_business_scoped_ids

    reason = f"Twilio 21211: The 'To' number whatsapp:{BSUID} is not a valid phone number."
    assert hide_business_scoped_ids(reason) == (
        "Twilio 21211: The 'To' number whatsapp:US.********18 is not a valid phone number.")
    assert hide_business_scoped_ids(reason, "<id>") == "Twilio 21211: The 'To' number whatsapp:<id> is not a valid " \
                                                       "phone number."
    for untouched in ("Invalid phone number +22376701430", "HTTP 500. Try again.", "U.S. carrier refused"):
        assert hide_business_scoped_ids(untouched) == untouched
