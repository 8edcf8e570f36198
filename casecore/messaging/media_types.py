"""What a received file really is: its declared content type, normalised, and the type its first bytes show."""
from __future__ import annotations

# Enough of a file to recognise every type below.
HEAD_BYTES = 16
# File name extensions for the types we store: a download's name is ours, never the sender's.
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf", "audio/ogg": "ogg",
    "audio/mpeg": "mp3", "audio/amr": "amr", "video/mp4": "mp4",
}
# Other spellings senders and providers use for the types we accept.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/amr-nb": "audio/amr",
    "application/x-pdf": "application/pdf",
}


def normalise_type(declared: str | None) -> str:
    """A content type as a provider declared it, lower case, without parameters (`; codecs=opus`) or aliases."""
    base = (declared or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def sniff_type(head: bytes) -> str | None:
    """The content type a file's first bytes show, among the types Relais may accept; None when unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):  # AMR and AMR-WB (#!AMR-WB) voice recordings
        return "audio/amr"
    if head[4:8] == b"ftyp":  # ISO base media: MP4 video (WhatsApp's own videos are MP4)
        return "video/mp4"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"  # an ID3 tag, or an MPEG audio frame's sync bits
    return None


def refusal(declared: str, head: bytes, allowed: frozenset[str]) -> str | None:
    """Why a file is refused (a reason code), or None when its declared type is allowed and its bytes match it."""
    if declared not in allowed:
        return "type_not_allowed"
    if not head:
        return "empty"
    if sniff_type(head) != declared:
        # A page or a script sent as a photo: never stored, never offered for download.
        return "type_mismatch"
    return None
