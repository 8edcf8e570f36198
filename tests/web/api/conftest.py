"""Fixtures for the JSON API (beside the web view's): the app on each database, tokens made as `token create` does."""
from __future__ import annotations

import pytest

from casecore.partners.tokens import create_token, parse_scopes
from tests.factories import make_organisation

ALL_SCOPES = "reports:write,reports:read,cases:read,indicators:read,complaints:read,events,personal_data"


@pytest.fixture
def app(any_db_app):
    """On SQLite and (in CI) PostgreSQL in turn."""
    return any_db_app


@pytest.fixture
def world(uow):
    """Two organisations (a partner of each must never see the other's), and a place code to report from."""
    with uow() as session:
        ours, theirs = make_organisation(session, slug="ours"), make_organisation(session, slug="theirs")
        return {"ours": ours.slug, "theirs": theirs.slug}


@pytest.fixture
def token(uow, world):
    """make(name, scopes, org="ours") -> the bearer token, whole."""
    def make(name: str, scopes: str = ALL_SCOPES, org: str = "ours") -> str:
        with uow() as session:
            return create_token(session, name, org, parse_scopes(scopes))
    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
