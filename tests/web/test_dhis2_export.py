"""`flask --app app dhis2 export`: the month's indicators as a DHIS2 dataValueSet with the same numbers as the CSV,
what has no mapping listed, and --push to a fake DHIS2 printing its import summary."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from app import create_app
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_locations, make_organisation, make_report, make_user
from tests.fakes.dhis2 import PASSWORD, USERNAME, FakeDhis2, Metadata
from tests.web.conftest import csrf_from

NOVEMBER = datetime(2026, 11, 12, 9, 0, tzinfo=timezone.utc)
MAPPING = {
    "organisations": {"ngo-a": "OuNgoA"},
    "locations": {"ML09": "OuBamako", "ML0901": "OuDistrictBamako"},
    "data": [
        {"indicator": "reports_received", "by": {}, "dataElement": "DeReports"},
        {"indicator": "reports_received", "by": {"sex": "female"}, "dataElement": "DeReports",
         "categoryOptionCombo": "CocGirl"},
        {"indicator": "reports_received", "by": {"sex": "male"}, "dataElement": "DeReports",
         "categoryOptionCombo": "CocBoy"},
        {"indicator": "reports_received", "by": {"region": "*"}, "dataElement": "DeReportsByPlace"},
        {"indicator": "reports_received", "by": {"cercle": "*"}, "dataElement": "DeReportsByPlace"},
    ],
}


@pytest.fixture
def mapping_file(tmp_path):
    path = tmp_path / "dhis2.json"
    path.write_text(json.dumps(MAPPING))
    return path


@pytest.fixture
def dhis2():
    metadata = Metadata(data_elements={"DeReports": {"CocGirl", "CocBoy"}, "DeReportsByPlace": set()},
                        org_units={"OuNgoA", "OuBamako", "OuDistrictBamako"})
    with FakeDhis2(metadata=metadata) as fake:
        yield fake


@pytest.fixture
def app(sqlite_url, redis_url, mapping_file, dhis2):
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, DHIS2_MAPPING=str(mapping_file),
                                         DHIS2_URL=dhis2.url, DHIS2_USERNAME=USERNAME, DHIS2_PASSWORD=PASSWORD))
    with flask_app.extensions["relais"].unit_of_work() as session:
        org = make_organisation(session, slug="ngo-a")
        make_locations(session)
        make_user(session, org, role="supervisor", email="sup@ngo-a.org")
        for sex, count in (("female", 6), ("male", 5)):
            for _ in range(count):
                make_report(session, organisation_slug="ngo-a", child_sex=sex, location_code="ML090101")
        session.execute(update(Report).values(received_at=NOVEMBER))
    yield flask_app
    flask_app.extensions["relais"].close()


def _export(app, *args):
    return app.test_cli_runner().invoke(args=["dhis2", "export", "--period", "2026-11", *args])


def test_the_export_holds_the_csvs_numbers_and_lists_what_has_no_mapping(app, tmp_path):
    output = tmp_path / "values.json"
    result = _export(app, "--output", str(output))
    assert result.exit_code == 0, result.output + result.stderr
    values = {(v["dataElement"], v.get("categoryOptionCombo"), v["orgUnit"]): v["value"]
              for v in json.loads(output.read_text())["dataValues"]}
    assert values == {("DeReports", None, "OuNgoA"): "11", ("DeReports", "CocGirl", "OuNgoA"): "6",
                      ("DeReports", "CocBoy", "OuNgoA"): "5", ("DeReportsByPlace", None, "OuBamako"): "11",
                      ("DeReportsByPlace", None, "OuDistrictBamako"): "11"}
    assert all(v["period"] == "202611" for v in json.loads(output.read_text())["dataValues"])
    assert "not mapped: cases_opened" in result.stderr and "5 data value(s)" in result.stderr
    client = app.test_client()
    client.post("/login", data={"email": "sup@ngo-a.org", "password": "correct horse battery",
                                "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    rows = list(csv.DictReader(io.StringIO(client.get("/indicators.csv?period=2026-11").get_data(as_text=True))))
    by_sex = {r["sex"]: r["value"] for r in rows if r["indicator"] == "reports_received" and r["sex"]
              and not r["age_band"]}
    assert by_sex == {"female": "6", "male": "5"}  # the same numbers as DHIS2 gets


def test_push_prints_dhis2s_import_summary_and_a_second_push_updates(app, dhis2):
    first = _export(app, "--push")
    assert first.exit_code == 0, first.stderr
    assert "DHIS2: SUCCESS; imported 5, updated 0, ignored 0, conflicts 0" in first.stderr
    second = _export(app, "--push")
    assert "imported 0, updated 5" in second.stderr
    [request, *_] = dhis2.requests
    assert request["user"] == USERNAME and request["content_type"].startswith("application/json")


def test_what_dhis2_refuses_is_named_and_fails_the_command(app, dhis2):
    dhis2.metadata.org_units.discard("OuBamako")
    result = _export(app, "--push")
    assert result.exit_code == 1
    assert "ignored 1, conflicts 1" in result.stderr and "OuBamako" in result.stderr


@pytest.mark.parametrize("by", [{"region": "ML09"}, {"region": "*", "cercle": "*"}])
def test_a_rule_naming_places_other_than_by_star_is_refused(app, mapping_file, by):
    mapping_file.write_text(json.dumps({**MAPPING, "data": [{"indicator": "reports_received", "by": by,
                                                              "dataElement": "DeReportsByPlace"}]}))
    result = _export(app)
    assert result.exit_code == 1 and "reports_received names places" in result.stderr


def test_values_of_reports_with_no_place_are_counted_not_sent(app, tmp_path):
    with app.extensions["relais"].unit_of_work() as session:
        for _ in range(5):
            make_report(session, organisation_slug="ngo-a", child_sex="female")
        session.execute(update(Report).values(received_at=NOVEMBER))
    result = _export(app, "--output", str(tmp_path / "values.json"))
    assert result.exit_code == 0, result.stderr
    # By region and by cercle: the five with no place are one value each, not sent.
    assert "2 of reports with no such place given (not sent)" in result.stderr
    assert "no org unit: none" not in result.stderr


@pytest.mark.parametrize("args, says", [(["--period", "2026-13"], "YYYY-MM"),
                                        (["--period", "2026-11", "--organisation", "nobody"], "nobody")])
def test_bad_input_is_one_clear_line(app, args, says):
    result = app.test_cli_runner().invoke(args=["dhis2", "export", *args])
    assert result.exit_code == 1 and says in result.stderr and "Traceback" not in result.stderr


def test_a_wrong_password_is_said_plainly(app, dhis2, mapping_file, sqlite_url, redis_url):
    other = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, DHIS2_MAPPING=str(mapping_file),
                                     DHIS2_URL=dhis2.url, DHIS2_USERNAME=USERNAME, DHIS2_PASSWORD="wrong"))
    try:
        result = _export(other, "--push")
    finally:
        other.extensions["relais"].close()
    assert result.exit_code == 1 and "refused the account" in result.stderr
