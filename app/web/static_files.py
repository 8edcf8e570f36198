"""The static files (app/static): read and gzipped once at start-up, served under a URL holding a hash of their
content, so a browser keeps each for a year and asks again only when the file changed. url_for("static",
filename=...) gives that URL: templates need nothing else."""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, current_app, request

from app.web.paths import STATIC_URL_PREFIX

# A URL holding the content's hash never changes content: a browser may keep it for a year without asking.
KEPT = "public, max-age=31536000, immutable"
# An old or wrong hash (a page cached before a deployment, a typed URL): the file of today, asked for again next time.
NOT_KEPT = "no-cache"


@dataclass(frozen=True)
class StaticFile:
    """One file as it is served: its bytes, gzipped bytes (None when not smaller), the hash in its URL."""

    path: Path
    mtime_ns: int
    data: bytes
    gzipped: bytes | None
    digest: str
    mimetype: str


def read_file(path: Path) -> StaticFile:
    """A file of the static folder, hashed and gzipped (at the highest level: done once)."""
    data = path.read_bytes()
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return StaticFile(path, path.stat().st_mtime_ns, data, packed if len(packed) < len(data) else None,
                      hashlib.sha256(data).hexdigest()[:16], mimetype)


class StaticFiles:
    """The static folder's files by name ("relais.css", "fonts/x.woff2"); live: a file read again when it changed
    (DEVELOPMENT, where someone edits the CSS with the server running; a new file needs a restart)."""

    def __init__(self, folder: Path, live: bool = False) -> None:
        self.live = live
        self._files = {path.relative_to(folder).as_posix(): read_file(path)
                       for path in sorted(folder.rglob("*")) if path.is_file()}

    def get(self, name: str) -> StaticFile | None:
        """The file served as name, or None."""
        found = self._files.get(name)
        if found is not None and self.live:
            try:
                if found.path.stat().st_mtime_ns != found.mtime_ns:
                    found = self._files[name] = read_file(found.path)
            except OSError:  # removed (or being replaced) while the server runs
                return None
        return found


def _files() -> StaticFiles:
    return current_app.extensions["relais.static"]


def fingerprint(endpoint: str, values: dict) -> None:
    """url_defaults: a static URL gets its file's hash; a name that is no file fails where the template names it."""
    if endpoint == "static" and "digest" not in values:
        found = _files().get(values.get("filename", ""))
        if found is None:
            raise LookupError(f"no static file {values.get('filename')!r} in app/static")
        values["digest"] = found.digest


def serve(digest: str, filename: str) -> Response:
    """A static file, gzipped when the browser takes it; kept a year when the URL's hash is the file's own."""
    found = _files().get(filename)
    if found is None:
        abort(404)
    gzipped = found.gzipped is not None and bool(request.accept_encodings["gzip"])
    response = Response(found.gzipped if gzipped else found.data, mimetype=found.mimetype)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(found.digest + ("-gzip" if gzipped else ""))
    response.headers["Cache-Control"] = KEPT if digest == found.digest else NOT_KEPT
    return response.make_conditional(request)


def init_app(app: Flask, live: bool = False) -> None:
    """Read the static folder and serve it at /static/<hash>/<name> (the app is built with static_folder=None)."""
    app.extensions["relais.static"] = StaticFiles(Path(app.root_path) / "static", live)
    app.add_url_rule(f"{STATIC_URL_PREFIX}/<digest>/<path:filename>", endpoint="static", view_func=serve)
    # A page drawn before hashed URLs (a process of the previous version during a deployment) still gets its CSS.
    app.add_url_rule(f"{STATIC_URL_PREFIX}/<filename>", endpoint="static", view_func=serve, defaults={"digest": ""})
    app.url_defaults(fingerprint)
