"""Fixtures for the web view: the real app (CSRF on) on a migrated SQLite database and a real Redis."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import create_app
from casecore.i18n import LOCALE_DIR
from tests.conftest import make_settings
from tests.factories import make_organisation, make_user

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token a page's form carries."""
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def client_for(app, email):
    """A test client logged in as email, through the real login form."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def assert_in_web_catalogues(method_map: list[tuple[str, str]]) -> set[str]:
    """Every string the files of method_map translate is in fr and en web.po, with a French text; returns them."""
    root = LOCALE_DIR.parent
    # A pattern that matches nothing (a file moved or renamed) would check nothing and pass.
    empty = [pattern for pattern, _ in method_map if not list(root.glob(pattern.replace("**.", "**/*.")))]
    assert empty == [], "no file matches these patterns"
    found = extract_from_dir(str(LOCALE_DIR.parent), method_map, keywords={"_": None, "N_": None})
    used = {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}
    for language in ("fr", "en"):
        with (LOCALE_DIR / language / "LC_MESSAGES" / "web.po").open("rb") as handle:
            catalogue = {(m.id if isinstance(m.id, str) else m.id[0]): m.string
                         for m in read_po(handle, locale=language) if m.id}
        assert sorted(used - set(catalogue)) == [], f"strings missing from {language}/web.po"
        if language == "fr":
            assert [msgid for msgid in used if not catalogue[msgid]] == []
    return used


@pytest.fixture
def app(sqlite_url, redis_url):
    """The Flask app as production builds it."""
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url))
    yield flask_app
    flask_app.extensions["relais"].close()


@pytest.fixture
def any_db_app(database_url, redis_url):
    """The Flask app as production builds it, on SQLite and (in CI) PostgreSQL in turn: a module takes it as its
    app with `def app(any_db_app): return any_db_app`."""
    flask_app = create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url))
    yield flask_app
    flask_app.extensions["relais"].close()


@pytest.fixture
def client(app):
    """A test client that keeps cookies between requests."""
    return app.test_client()


@pytest.fixture
def uow(app):
    """Open a unit of work on the app's database: `with uow() as session: ...`."""
    return app.extensions["relais"].unit_of_work


@pytest.fixture
def staff(uow):
    """One organisation with a supervisor and a case worker (ids, emails and names only, as plain values)."""
    with uow() as session:
        org = make_organisation(session)
        supervisor = make_user(session, org, role="supervisor", language="fr")
        caseworker = make_user(session, org, role="caseworker", language="en")
        return {
            "org_id": org.id, "org_slug": org.slug,
            "supervisor": supervisor.email, "supervisor_id": supervisor.id, "supervisor_name": supervisor.display_name,
            "caseworker": caseworker.email, "caseworker_id": caseworker.id, "caseworker_name": caseworker.display_name,
        }


@pytest.fixture
def login(client):
    """Log the client in through the real form: `login(email, password=PASSWORD, next=None)`."""

    def _login(email: str, password: str = PASSWORD, next: str | None = None):
        path = "/login" if next is None else "/login?" + urlencode({"next": next})
        token = csrf_from(client.get(path).get_data(as_text=True))
        return client.post(path, data={"email": email, "password": password, "csrf_token": token})

    return _login
