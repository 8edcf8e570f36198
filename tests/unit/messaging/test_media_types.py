"""What a received file really is: declared types normalised, first bytes recognised, refusals explained."""
from __future__ import annotations

import pytest

from casecore.messaging.media_types import HEAD_BYTES, normalise_type, refusal, sniff_type
from settings import Settings

ALLOWED = Settings().media_types


@pytest.mark.parametrize("head, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "image/jpeg"),
    (b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3", "application/pdf"),
    (b"OggS\x00\x02\x00\x00\x00\x00\x00\x00", "audio/ogg"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
    (b"\xff\xfb\x90\x64\x00\x00\x00\x00", "audio/mpeg"),
    (b"#!AMR\n\x3c\x91\x17\x16", "audio/amr"),
    (b"#!AMR-WB\n\x04\x10", "audio/amr"),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00", "video/mp4"),
    (b"<!DOCTYPE html><html>", None),
    (b"GIF89a\x01\x00\x01\x00", None),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
    (b"PK\x03\x04\x14\x00\x06\x00", None),  # a zip (or an office document)
    (b"\xff\xd8", None),  # cut short
    (b"", None),
])
def test_first_bytes_tell_the_type(head, expected):
    assert sniff_type(head[:HEAD_BYTES]) == expected


@pytest.mark.parametrize("declared, expected", [
    ("image/jpeg", "image/jpeg"), ("IMAGE/JPEG", "image/jpeg"), ("image/jpg", "image/jpeg"),
    ("audio/ogg; codecs=opus", "audio/ogg"), (" application/pdf ", "application/pdf"), ("audio/mp3", "audio/mpeg"),
    ("", ""), (None, ""),
])
def test_declared_types_are_normalised(declared, expected):
    assert normalise_type(declared) == expected


@pytest.mark.parametrize("declared, head, reason", [
    ("image/jpeg", b"\xff\xd8\xff\xe0", None),
    ("application/pdf", b"%PDF-1.7", None),
    ("image/jpeg", b"<html><script>", "type_mismatch"),
    ("image/png", b"\xff\xd8\xff\xe0", "type_mismatch"),  # a real photo, but not the type declared
    ("image/gif", b"GIF89a", "type_not_allowed"),
    ("text/html", b"<html>", "type_not_allowed"),
    ("", b"\xff\xd8\xff", "type_not_allowed"),
    ("image/jpeg", b"", "empty"),
])
def test_refusals(declared, head, reason):
    assert refusal(declared, head, ALLOWED) == reason


def test_the_default_allow_list_and_size():
    settings = Settings()
    assert settings.media_types == {"image/jpeg", "image/png", "image/webp", "application/pdf", "audio/ogg",
                                    "audio/mpeg", "audio/amr", "video/mp4"}
    assert settings.MEDIA_MAX_BYTES == 5 * 1024 * 1024 and settings.MEDIA_ATTACH_HOURS == 24
    assert settings.MEDIA_DIR.endswith("instance/media")
    assert Settings.from_env({"MEDIA_TYPES": " Image/JPEG , application/pdf,"}).media_types == {
        "image/jpeg", "application/pdf"}
