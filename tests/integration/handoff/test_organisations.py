"""Several organisations sharing one Relais, each with its own Primero (or its own account there): each report goes
to its organisation's instance, as its account, with its mapping; a process refuses settings that leave an
organisation handing over with no instance."""
from __future__ import annotations

import json

import pytest

from bootstrap import Runtime, bootstrap
from casecore.handoff.models import Handoff
from tests.conftest import make_settings
from tests.factories import make_organisation, make_report, make_user
from tests.fakes.primero import PASSWORD, USERNAME, FakePrimero, Instance
from workers.handoff import follow_cases, send_handoff
from workers.jobs import alert_supervisors

OTHER_USER, OTHER_PASSWORD = "ngo_b_api", "other-secret"


@pytest.fixture
def second_primero():
    instance = Instance(users={OTHER_USER: OTHER_PASSWORD}, user_names={OTHER_USER, "b_worker"})
    with FakePrimero(instance=instance) as fake:
        yield fake
    assert fake.violations == []


def test_each_organisation_hands_over_to_its_own_instance(database_url, redis_url, primero, second_primero,
                                                          tmp_path):
    mapping_b = tmp_path / "mapping-b.json"
    mapping_b.write_text(json.dumps({"risk_levels": {"high": "high", "medium": "medium", "low": "low"}}))
    own = tmp_path / "organisations.json"
    own.write_text(json.dumps({"ngo-b": {"PRIMERO_URL": second_primero.url, "PRIMERO_USERNAME": OTHER_USER,
                                         "PRIMERO_PASSWORD": OTHER_PASSWORD, "PRIMERO_MAPPING": str(mapping_b)}}))
    rt = bootstrap(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, PRIMERO_URL=primero.url,
                                 PRIMERO_USERNAME=USERNAME, PRIMERO_PASSWORD=PASSWORD,
                                 PRIMERO_HANDOFF="off,ngo-a=on_report,ngo-b=on_report",
                                 PRIMERO_ORGANISATIONS=str(own)))
    try:
        reports = {}
        with rt.unit_of_work() as session:
            for slug in ("ngo-a", "ngo-b", "ngo-c"):
                org = make_organisation(session, slug=slug)
                make_user(session, org, role="supervisor")
                reports[slug] = make_report(session, organisation_slug=slug).id
        for report_id in reports.values():
            alert_supervisors(str(report_id))
        with rt.unit_of_work(read_only=True) as session:
            rows = {row.report_id: row.id for row in session.query(Handoff)}
        assert set(rows) == {reports["ngo-a"], reports["ngo-b"]}  # ngo-c hands nothing over
        for handoff_id in rows.values():
            assert send_handoff(rt, str(handoff_id)) == "sent"
        assert len(primero.cases) == len(second_primero.cases) == 1
        assert {r["user"] for r in second_primero.requests} == {OTHER_USER}
        assert all(r["user"] == USERNAME for r in primero.requests)
        [case_b] = second_primero.cases.values()
        second_primero.close_case(case_b["id"])
        assert follow_cases(rt, [str(i) for i in rows.values()]) == 1  # each read from its own instance
    finally:
        rt.close()


@pytest.mark.parametrize("handoff, organisations, named", [
    ("on_accept", None, "PRIMERO_URL is not set"),
    ("off,ngo-b=on_accept", None, "for ngo-b"),
    ("off", "not json", "PRIMERO_ORGANISATIONS"),
    ("off", {"ngo-b": {"PRIMERO_PASSWORD": 3}}, "PRIMERO_ORGANISATIONS"),
    ("off", {"ngo-b": {"SECRET_KEY": "x"}}, "PRIMERO_ORGANISATIONS"),
])
def test_settings_that_cannot_work_stop_the_process_at_start(tmp_path, handoff, organisations, named):
    path = ""
    if organisations is not None:
        file = tmp_path / "organisations.json"
        file.write_text(organisations if isinstance(organisations, str) else json.dumps(organisations))
        path = str(file)
    with pytest.raises(ValueError, match=named):
        Runtime(make_settings(PRIMERO_HANDOFF=handoff, PRIMERO_ORGANISATIONS=path))


def test_an_organisation_with_its_own_instance_needs_no_global_one(tmp_path):
    file = tmp_path / "organisations.json"
    file.write_text(json.dumps({"ngo-b": {"PRIMERO_URL": "https://cpims-b.example.org"}}))
    rt = Runtime(make_settings(PRIMERO_HANDOFF="off,ngo-b=on_accept", PRIMERO_ORGANISATIONS=str(file)))
    assert rt.primero_configured and rt.primero("ngo-b") is not None and rt.primero("ngo-a") is None
