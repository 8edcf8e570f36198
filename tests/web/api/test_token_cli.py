"""`flask --app app token create | list | revoke`: the token printed once on the last line, never listed; a mistake
is one line and exit status 1, never a traceback."""
from __future__ import annotations

import pytest

from tests.web.api.conftest import bearer


@pytest.fixture
def cli(app, world):
    """Run a `flask --app app token ...` command line against the test app (organisations "ours" and "theirs")."""
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["token", *args])


def _lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_create_prints_the_token_on_its_last_line_and_it_works(cli, client):
    made = cli("create", "hotline-logger", "--org", "ours", "--scopes", "reports:write, reports:read")
    assert made.exit_code == 0, made.output
    token = _lines(made)[-1]
    assert token.startswith("rls_") and " " not in token
    assert "reports:write, reports:read" in made.output and "never shown again" in made.output
    assert client.get("/api/v1/reports", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_list_shows_every_token_and_never_a_secret(cli, client):
    token = _lines(cli("create", "dashboard", "--org", "theirs", "--scopes", "indicators:read"))[-1]
    client.get("/api/v1/reports", headers=bearer(token))
    listed = cli("list")
    assert listed.exit_code == 0, listed.output
    [line] = _lines(listed)
    name, org, scopes, created, used, state = line.split("\t")
    assert (name, org, scopes, state) == ("dashboard", "theirs", "indicators:read", "active")
    assert created.startswith("created ") and used != "never used"
    secret = token.split("_", 2)[2]  # rls_<prefix>_<secret>: the secret may hold "_" itself
    assert len(secret) >= 32
    assert token not in listed.output and secret not in listed.output and secret[:8] not in listed.output


def test_list_with_no_token_says_so(cli):
    assert _lines(cli("list")) == ["No tokens."]


def test_a_revoked_token_is_refused_and_listed_as_revoked(cli, client):
    token = _lines(cli("create", "old-kiosk", "--org", "ours", "--scopes", "reports:write"))[-1]
    revoked = cli("revoke", "old-kiosk")
    assert (revoked.exit_code, _lines(revoked)) == (0, ["Token 'old-kiosk' revoked."])
    assert client.get("/api/v1/reports", headers=bearer(token)).status_code == 401
    assert _lines(cli("list"))[0].split("\t")[-1].startswith("revoked ")
    # Revoked, its name stays taken: the audit trail names it.
    again = cli("create", "old-kiosk", "--org", "ours", "--scopes", "reports:write")
    assert again.exit_code == 1


@pytest.mark.parametrize(("args", "says"), [
    (("create", "kiosk", "--org", "ours", "--scopes", "reports:write,reports:delete"), "reports:delete"),
    (("create", "kiosk", "--org", "ours", "--scopes", " , "), "at least one scope"),
    (("create", "kiosk", "--org", "nobody", "--scopes", "reports:write"), "'nobody' does not exist"),
    (("create", "kiosk", "--scopes", "reports:write"), "several organisations"),
    (("create", "a kiosk", "--org", "ours", "--scopes", "reports:write"), "a token name has"),
    (("create", "taken", "--org", "ours", "--scopes", "reports:write"), "exists already"),
    (("revoke", "nobody"), "no token named 'nobody'"),
])
def test_a_mistake_is_one_line_and_exit_status_1(cli, args, says):
    assert cli("create", "taken", "--org", "theirs", "--scopes", "events").exit_code == 0
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.exc_info
    [line] = _lines(result)
    assert line.startswith("Error: ") and says in line, line
    assert "Traceback" not in result.output and "rls_" not in result.output
