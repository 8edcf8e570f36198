"""/indicators.csv: long format with codes, small counts withheld, for supervisors and administrators only; a bad
period is a 400 that says why."""
from __future__ import annotations

import csv
import io
import re

from app.indicators.views import CSV_COLUMNS
from tests.factories import make_locations, make_report


def _rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_supervisor_downloads_the_months_indicators_with_small_counts_withheld(client, staff, login, uow):
    with uow() as session:
        for _ in range(6):
            make_report(session, organisation_slug=staff["org_slug"], channel="ussd")
        make_report(session, organisation_slug=staff["org_slug"], channel="sms")
    login(staff["supervisor"])
    response = client.get("/indicators.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = _rows(response)
    assert tuple(rows[0]) == CSV_COLUMNS
    total = [r for r in rows if r["indicator"] == "reports_received" and not any(
        r[c] for c in CSV_COLUMNS[4:-2])]
    assert [r["value"] for r in total] == ["7"] and total[0]["organisation"] == staff["org_slug"]
    by_channel = {r["channel"]: r["value"] for r in rows if r["indicator"] == "reports_received" and r["channel"]
                  and not r["sex"]}
    # SMS alone (1) would be found from the total: USSD is withheld with it.
    assert by_channel == {"sms": "<5", "ussd": "<5"}


def test_a_named_month_or_quarter_and_two_dates_are_understood(client, staff, login):
    login(staff["supervisor"])
    for query, start, end in (("period=2026-11", "2026-11-01", "2026-11-30"),
                              ("period=2026-q4", "2026-10-01", "2026-12-31"),
                              ("from=2026-02-01&to=2026-02-28", "2026-02-01", "2026-02-28")):
        [first, *_] = _rows(client.get(f"/indicators.csv?{query}"))
        assert (first["period_start"], first["period_end"]) == (start, end)


def test_a_bad_period_says_why(client, staff, login):
    login(staff["supervisor"])
    response = client.get("/indicators.csv?period=2026-13")
    assert response.status_code == 400 and "AAAA-MM" in response.get_data(as_text=True)
    assert client.get("/indicators.csv?from=2026-03-01&to=2026-02-01").status_code == 400


def test_case_workers_do_not_get_the_indicators(client, staff, login):
    login(staff["caseworker"])
    assert client.get("/indicators.csv").status_code == 403


def test_the_page_shows_tiles_charts_and_tables_in_french(client, staff, login, uow):
    with uow() as session:
        make_locations(session)
        for place in ("ML090101",) * 6 + ("ML09",):
            make_report(session, organisation_slug=staff["org_slug"], concern="child_marriage", channel="ussd",
                        location_code=place)
    login(staff["supervisor"])
    response = client.get("/indicators")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<svg" in html and 'role="img"' in html and "<table" in html
    assert "Mariage précoce" in html and ">7<" in html  # the concern's bar and its table
    assert "/indicators.csv" in html
    # By cercle: Commune I counts in its cercle; the report placed at the region alone is said to be so.
    assert "District de Bamako" in html and "Bamako, cercle non précisé" in html
    assert "+223" not in html
    months = [html.index(f">{m}<") for m in sorted(set(re.findall(r">(20\d\d-\d\d)<", html)))]
    assert months == sorted(months)  # the trend's months in order


def test_the_page_is_not_for_case_workers_and_a_bad_period_says_why(client, staff, login):
    login(staff["caseworker"])
    assert client.get("/indicators").status_code == 403
    login(staff["supervisor"])
    assert client.get("/indicators?period=2026-Q5").status_code == 400


def test_the_indicator_words_are_in_the_catalogues():
    from tests.web.conftest import assert_in_web_catalogues
    assert_in_web_catalogues([("app/indicators/**.py", "python"), ("app/templates/indicators/**.html", "jinja2")])


def test_the_trend_runs_month_after_month():
    from datetime import date

    from casecore.indicators.trends import _months_back
    from casecore.periods import Period
    months = _months_back(Period("month", date(2026, 2, 1), date(2026, 2, 28)), 6)
    assert [m.first.strftime("%Y-%m") for m in months] == ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01",
                                                           "2026-02"]


def test_figures_are_kept_a_while_and_say_when_they_were_computed(client, staff, login, uow):
    login(staff["supervisor"])
    first = client.get("/indicators.csv")
    with uow() as session:
        make_report(session, organisation_slug=staff["org_slug"])
    again = _rows(client.get("/indicators.csv"))
    assert again == _rows(first)  # the same computation, not counted again within ten minutes
    assert again[0]["computed_at"].endswith("Z")
    assert "Calculés le" in client.get("/indicators").get_data(as_text=True)
