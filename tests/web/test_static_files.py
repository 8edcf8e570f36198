"""Static files under URLs holding their content's hash: kept a year by the browser, asked for again only when the
file changed; an old or wrong hash is never kept; gzipped once at start-up."""
from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path

import pytest
from flask import url_for

from app.web import static_files
from app.web.static_files import KEPT, StaticFiles

STATIC = Path(static_files.__file__).resolve().parent.parent / "static"
YEAR = "public, max-age=31536000, immutable"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_every_page_links_the_stylesheet_by_its_hash(client):
    html = client.get("/login").get_data(as_text=True)
    digest = _digest((STATIC / "relais.css").read_bytes())
    assert f'href="/static/{digest}/relais.css"' in html


def test_a_hashed_url_is_kept_a_year_and_gzipped_for_a_browser_that_takes_it(client):
    data = (STATIC / "relais.css").read_bytes()
    url = f"/static/{_digest(data)}/relais.css"
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url)
    assert KEPT == YEAR and packed.headers["Cache-Control"] == plain.headers["Cache-Control"] == YEAR
    assert packed.headers["Content-Encoding"] == "gzip" and gzip.decompress(packed.data) == data
    assert "Content-Encoding" not in plain.headers and plain.data == data
    assert packed.mimetype == "text/css" and packed.headers["Vary"] == "Accept-Encoding"
    # No session: a "Vary: Cookie" or a new cookie would have the browser fetch it again at every page.
    assert "Set-Cookie" not in packed.headers


def test_a_logged_in_browser_gets_no_cookie_with_the_stylesheet(client, staff, login):
    login(staff["supervisor"])
    response = client.get(f"/static/{_digest((STATIC / 'case.css').read_bytes())}/case.css")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers["Vary"]


def test_a_browser_asking_again_with_the_etag_gets_304(client):
    url = f"/static/{_digest((STATIC / 'simulator.js').read_bytes())}/simulator.js"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("digest", ["0000000000000000", "old", "relais"])
def test_an_old_or_wrong_hash_gets_the_file_of_today_never_kept(client, digest):
    response = client.get(f"/static/{digest}/relais.css")
    assert response.status_code == 200 and response.data == (STATIC / "relais.css").read_bytes()
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_url_without_hash_still_gets_the_file_never_kept(client):
    response = client.get("/static/relais.css")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/static/0000/nothing.css", "/static/0000/../settings.py", "/static/x/"])
def test_no_other_file_is_served(client, path):
    assert client.get(path).status_code == 404


def test_the_hash_in_the_url_changes_when_the_file_changes(app, client, tmp_path):
    css = tmp_path / "relais.css"
    css.write_text("body { color: black; }")
    app.extensions["relais.static"] = StaticFiles(tmp_path, live=True)
    with app.test_request_context():
        before = url_for("static", filename="relais.css")
    css.write_text("body { color: navy; }")
    later = os.stat(css).st_mtime_ns + 1_000_000
    os.utime(css, ns=(later, later))
    with app.test_request_context():
        after = url_for("static", filename="relais.css")
    assert before != after and after == f"/static/{_digest(b'body { color: navy; }')}/relais.css"
    assert client.get(after).headers["Cache-Control"] == YEAR
    # A page drawn before the change asks for the old URL: it gets the new file, not kept.
    old = client.get(before)
    assert old.data == b"body { color: navy; }" and old.headers["Cache-Control"] == "no-cache"


def test_a_file_is_read_and_gzipped_once_when_not_live(tmp_path):
    css = tmp_path / "a.css"
    css.write_text("p { margin: 0; }\n" * 100)
    files = StaticFiles(tmp_path)
    first = files.get("a.css")
    css.write_text("changed")
    assert files.get("a.css") is first and gzip.decompress(first.gzipped) == ("p { margin: 0; }\n" * 100).encode()
    assert StaticFiles(tmp_path).get("a.css").digest != first.digest  # the next start reads it again


def test_a_template_naming_no_static_file_fails_where_it_names_it(app):
    with app.test_request_context(), pytest.raises(LookupError, match="nothing.css"):
        url_for("static", filename="nothing.css")


def test_every_static_link_of_the_templates_names_a_file(app):
    templates = STATIC.parent / "templates"
    named = {m for path in templates.rglob("*.html")
             for m in re.findall(r"url_for\('static', filename='([^']+)'\)", path.read_text())}
    assert named and named <= {p.name for p in STATIC.iterdir()}
