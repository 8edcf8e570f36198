"""`flask --app app primero check` against the fake Primero: a complete mapping, a broken one, an unreachable one."""
from __future__ import annotations

import io
import json

import pytest

from app import create_app
from casecore import taxonomy
from casecore.people.locations import import_locations
from tests.conftest import make_settings
from tests.factories import make_organisation, make_user
from tests.fakes.primero import PASSWORD, USERNAME, FakePrimero, Instance
from tests.servers import free_port


@pytest.fixture
def primero():
    with FakePrimero() as fake:
        yield fake


@pytest.fixture
def world(app):
    """A case worker and a supervisor, and the places reports may name: ML01 and ML0101."""
    with app.extensions["relais"].unit_of_work() as session:
        org = make_organisation(session)
        make_user(session, org, email="sup@demo.org", role="supervisor")
        make_user(session, org, email="agent@demo.org", role="caseworker")
        make_user(session, org, email="admin@demo.org", role="admin")  # sees no case: needs no Primero user
        import_locations(session, io.StringIO("code,name,level,parent_code\nML01,Kayes,1,\nML0101,Kayes,2,ML01\n"))


def run_check(sqlite_url, redis_url, **settings):
    app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, **settings))
    try:
        return app.test_cli_runner().invoke(args=["primero", "check"])
    finally:
        app.extensions["relais"].close()


def settings_for(primero, mapping=None, password=PASSWORD):
    found = {"PRIMERO_URL": primero.url, "PRIMERO_USERNAME": USERNAME, "PRIMERO_PASSWORD": password}
    if mapping is not None:
        found["PRIMERO_MAPPING"] = str(mapping)
    return found


def test_a_complete_mapping_passes_and_lists_who_is_who(world, primero, sqlite_url, redis_url, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"users": {"sup@demo.org": "cp_supervisor", "agent@demo.org": "cp_worker"}}))
    result = run_check(sqlite_url, redis_url, **settings_for(primero, mapping))
    assert result.exit_code == 0, result.output
    assert "agent@demo.org (caseworker) -> cp_worker" in result.output
    assert "sup@demo.org (supervisor) -> cp_supervisor" in result.output and "admin@demo.org" not in result.output
    assert "Every Relais code has a value in the instance" in result.output
    assert {r["path"] for r in primero.requests} == {"/api/v2/lookups", "/api/v2/locations"}


def test_a_broken_mapping_names_each_problem_and_fails(world, sqlite_url, redis_url, tmp_path):
    renamed = Instance()
    renamed.lookups["lookup-protection-concerns"] = ["physical_abuse_violence", "other"]
    renamed.locations = [row for row in renamed.locations if row["code"] != "ML0101"]
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("section,relais_code,primero_value\nconcerns,physical_abuse,physical_abuse_violence\n"
                       "users,agent@demo.org,cp_worker\n")
    with FakePrimero(instance=renamed) as primero:
        result = run_check(sqlite_url, redis_url, **settings_for(primero, mapping))
    assert result.exit_code == 1
    assert "concerns physical_abuse" not in result.output  # mapped to the instance's own value
    # The mapping file's concerns replace stock's: the other codes have no value to send.
    assert "concerns sexual_abuse: no value to send" in result.output
    assert "locations ML0101 -> ML0101: not a location of the instance" in result.output
    assert "sup@demo.org (supervisor) -> none" in result.output
    missing = (len(taxonomy.PROTECTION_CONCERNS) - 1) + 1  # the other concerns, and ML0101
    assert f"{missing} code(s) without a valid target and 1 staff account(s)" in result.output


def test_what_it_cannot_do_is_said_in_one_line(world, primero, sqlite_url, redis_url, tmp_path):
    result = run_check(sqlite_url, redis_url, **settings_for(primero, password="wrong"))
    assert result.exit_code == 1 and "Invalid User name or password." in result.output
    result = run_check(sqlite_url, redis_url, PRIMERO_URL=f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 1 and "did not answer the check" in result.output
    result = run_check(sqlite_url, redis_url, **settings_for(primero, tmp_path / "missing.json"))
    assert result.exit_code == 1 and "cannot read the Primero mapping" in result.output
    result = run_check(sqlite_url, redis_url)
    assert result.exit_code == 1 and "PRIMERO_URL is not set" in result.output


def test_an_organisation_is_checked_against_its_own_instance_with_its_own_staff(app, primero, sqlite_url, redis_url,
                                                                                tmp_path):
    with app.extensions["relais"].unit_of_work() as session:
        ours, theirs = make_organisation(session, slug="ngo-a"), make_organisation(session, slug="ngo-b")
        make_user(session, ours, email="agent@ngo-a.org", role="caseworker")
        make_user(session, theirs, email="agent@ngo-b.org", role="caseworker")
    mapping = tmp_path / "mapping-b.json"
    mapping.write_text(json.dumps({"users": {"agent@ngo-b.org": "cp_worker"}}))
    own = tmp_path / "organisations.json"
    own.write_text(json.dumps({"ngo-b": {"PRIMERO_URL": primero.url, "PRIMERO_USERNAME": USERNAME,
                                         "PRIMERO_PASSWORD": PASSWORD, "PRIMERO_MAPPING": str(mapping)}}))
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, PRIMERO_ORGANISATIONS=str(own)))
    try:
        result = flask_app.test_cli_runner().invoke(args=["primero", "check", "--organisation", "ngo-b"])
    finally:
        flask_app.extensions["relais"].close()
    assert result.exit_code == 0, result.output
    assert "agent@ngo-b.org (caseworker) -> cp_worker" in result.output and "ngo-a" not in result.output
