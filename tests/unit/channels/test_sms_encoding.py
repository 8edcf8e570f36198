"""SMS length and cost (providers §4): GSM-7 or UCS-2, units, segments, and rewriting French into GSM-7."""
from __future__ import annotations

import random

import pytest

from casecore.messaging.sms_length import GSM7_BASIC, GSM7_EXTENSION, SmsSize, is_gsm7, measure_sms
from channels.sms.encoding import to_gsm7


@pytest.mark.parametrize("text, expected", [
    # The worked examples of providers §4.
    ("Votre rendez-vous est confirmé à 10h. Merci!", SmsSize("GSM-7", 44, 1)),
    ("ça marche: RDV confirmé.", SmsSize("UCS-2", 24, 1)),
    ("A" * 161, SmsSize("GSM-7", 161, 2)),
    ("ç" * 71, SmsSize("UCS-2", 71, 2)),
    # The edges of one segment and of each part.
    ("A" * 160, SmsSize("GSM-7", 160, 1)),
    ("A" * 306, SmsSize("GSM-7", 306, 2)),
    ("A" * 307, SmsSize("GSM-7", 307, 3)),
    ("ç" * 70, SmsSize("UCS-2", 70, 1)),
    ("ç" * 134, SmsSize("UCS-2", 134, 2)),
    ("ç" * 135, SmsSize("UCS-2", 135, 3)),
    ("", SmsSize("GSM-7", 0, 1)),
])
def test_measure_sms(text, expected):
    assert measure_sms(text) == expected


@pytest.mark.parametrize("char", list("^{}\\[~]|€"))
def test_extension_characters_cost_two_septets(char):
    assert is_gsm7(char)
    assert measure_sms(char) == SmsSize("GSM-7", 2, 1)
    assert measure_sms(char * 80) == SmsSize("GSM-7", 160, 1)
    assert measure_sms(char * 81).segments == 2


def test_an_escape_and_its_character_never_straddle_two_parts():
    # 152 + 2 would be 154 septets in the first part of 153: the € moves whole to the second part.
    text = "a" * 152 + "€" + "a" * 152
    assert measure_sms(text) == SmsSize("GSM-7", 306, 3)


@pytest.mark.parametrize("char", list("éèùìòÇÉàÄÖÑÜäöñüÆæßØøÅå@£$¥¤§¡¿_ΔΦΓΛΩΠΨΣΘΞ\n"))
def test_the_gsm7_letters_of_providers_4(char):
    assert is_gsm7(char) and measure_sms(char).encoding == "GSM-7"


@pytest.mark.parametrize("char", list("çâêîôûëïÿœÀÈÙÂÊÎÔÛ’«»…–—") + ["\u00a0", "\u202f", "ɛ", "😀", "\t", "\x1b"])
def test_characters_outside_gsm7_force_ucs2(char):
    assert not is_gsm7(char)
    assert measure_sms("Bonjour " + char).encoding == "UCS-2"


def test_the_tables_are_gsm_03_38():
    assert len(GSM7_BASIC) == 127  # 128 codes, less the escape to the extension table
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_an_emoji_counts_two_ucs2_units():
    assert measure_sms("😀") == SmsSize("UCS-2", 2, 1)
    assert measure_sms("😀" * 35) == SmsSize("UCS-2", 70, 1)
    assert measure_sms("😀" * 36) == SmsSize("UCS-2", 72, 2)
    # A surrogate pair is never split: 33 emoji fill 66 units of a 67-unit part, the 34th starts the next.
    assert measure_sms("😀" * 67) == SmsSize("UCS-2", 134, 3)


@pytest.mark.parametrize("text, expected", [
    ("l’enfant « Awa » est là…", "l'enfant \" Awa \" est là..."),
    ("‘oui’ “non”", "'oui' \"non\""),
    ("10\u00a0h\u202f30 – 11 h — fin", "10 h 30 - 11 h - fin"),
    ("Ça marche, français", "Ça marche, francais"),
    ("âge, fête, île, hôpital, sûr, Noël, naïf, L'Haÿ", "age, fete, ile, hopital, sur, Noel, naif, L'Hay"),
    ("cœur, Œuvre", "coeur, OEuvre"),
    ("À ÈTE Ù Â Ê Î Ô Û", "A ETE U A E I O U"),
    ("é è ù ì ò à É Ç Ñ ü ß", "é è ù ì ò à É Ç Ñ ü ß"),
    ("prix: 5€ [max] {ok} ~^|\\", "prix: 5€ [max] {ok} ~^|\\"),
    ("á í ó ú ý Ì Ò Ë ã", "a i o u y I O E a"),
    ("e\u0301te\u0301", "été"),  # combining accents joined to their letter, which GSM-7 has
    ("ﬁn", "fin"),
])
def test_to_gsm7_rewrites_french(text, expected):
    assert to_gsm7(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("ɛ", "è"), ("Ɛ", "E"), ("ɔ", "ò"), ("Ɔ", "O"), ("ɲ", "ny"), ("Ɲ", "Ny"), ("ŋ", "ng"), ("Ŋ", "Ng"),
    ("I ni cɛ, i ka kɛnɛ wa?", "I ni cè, i ka kènè wa?"),
    ("Ɲɔgɔn ka baara kɛ", "Nyògòn ka baara kè"),
    ("Ɛɛ, a ŋɔni", "Eè, a ngòni"),
])
def test_to_gsm7_respells_bambara(text, expected):
    assert to_gsm7(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Merci 🙏😀!", "Merci !"),
    ("a\tb\rc\x00d\x1be\x7ff\x85g\fh", "abcdefgh"),
    ("ligne 1\r\nligne 2\nligne 3", "ligne 1\nligne 2\nligne 3"),
    ("مرحبا שלום 你好", "  "),
    ("", ""),
])
def test_to_gsm7_drops_what_has_no_gsm7_form(text, expected):
    assert to_gsm7(text) == expected


def test_a_french_prompt_fits_one_segment_once_rewritten():
    prompt = "Merci ! Votre signalement est reçu. L’équipe vous rappellera « bientôt »…"
    assert measure_sms(prompt).encoding == "UCS-2"
    assert measure_sms(to_gsm7(prompt)) == SmsSize("GSM-7", len(to_gsm7(prompt)), 1)


# Every kind of character the rewriting meets: the GSM-7 tables, French and Bambara letters, typography,
# other scripts, emoji (astral), combining marks, controls and compatibility forms.
_POOL = (
    "".join(sorted(GSM7_BASIC | GSM7_EXTENSION)) + "çâêîôûëïÿœŒÀÈÙÂÊÎÔÛ’‘“”«»…–—\u00a0\u202f"
    + "ɛƐɔƆɲƝŋŊ" + "áíóúÌÒËãĳﬁ½²™№" + "مرحباשלום你好Привет" + "😀🙏👍🏽❤️" + "\u0301\u0327\u200d\u200f"
    + "\t\r\x00\x1b\x7f\x85"
)


def _random_text(rng: random.Random) -> str:
    length = rng.randint(0, 200)
    if rng.random() < 0.2:
        return "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(length)).encode("utf-8", "replace").decode(
            "utf-8", "replace")
    return "".join(rng.choice(_POOL) for _ in range(length))


def test_to_gsm7_always_gives_gsm7_and_is_idempotent():
    rng = random.Random(20240603)
    for _ in range(3000):
        text = _random_text(rng)
        once = to_gsm7(text)
        assert measure_sms(once).encoding == "GSM-7", repr(text)
        assert is_gsm7(once), repr(text)
        assert to_gsm7(once) == once, repr(text)
        assert once.count("\n") == text.count("\n"), repr(text)
        assert all(ch == "\n" or ord(ch) >= 32 for ch in once), repr(text)


def test_gsm7_text_is_left_alone_except_for_control_characters():
    rng = random.Random(7)
    printable = sorted((GSM7_BASIC | GSM7_EXTENSION) - {"\r", "\f"})
    for _ in range(1000):
        text = "".join(rng.choice(printable) for _ in range(rng.randint(0, 300)))
        assert to_gsm7(text) == text
