"""A stored file served as a download: saved, never shown inline, never sniffed into something else, never cached,
never compressed or otherwise transformed on the way (a file a stranger sent stays a file, byte for byte)."""
from __future__ import annotations

from flask import Response


def attachment_response(data: bytes, content_type: str, name: str) -> Response:
    """The response for a file download named name (ours, never the sender's)."""
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store, no-transform"  # photos and PDFs are compressed already
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
