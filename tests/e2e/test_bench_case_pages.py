"""`make bench-cases` end to end on a tiny SQLite world: seeding, gunicorn from the Procfile, logins through the form
(CSRF and cookies), every page answered, the report rendered. Nothing is timed: the benchmark is run by hand."""
from __future__ import annotations

import pytest

from bench import case_pages, page_load

pytestmark = pytest.mark.e2e


def test_the_case_pages_benchmark_runs_on_a_tiny_world(capsys):
    assert case_pages.main(["--db", "sqlite", "--reports", "300", "--cases", "60", "--new-reports", "20",
                            "--requests", "4", "--warmup", "1", "--concurrency", "2", "--no-write"]) == 0
    report = capsys.readouterr().out
    table = [line for line in report.splitlines() if line.startswith(("| triage", "| case", "| indicators"))]
    assert len(table) == len(case_pages.pages_for(case_pages.Seeded())) and "## SQLite" in report
    # Every page answered 200 with its content: no errors column other than 0, four requests measured each.
    for line in table:
        cells = [cell.strip() for cell in line.split("|")]
        assert cells[3] == "4" and cells[8] == "0", line


def test_percentiles_are_nearest_rank():
    values = [0.001 * n for n in range(1, 101)]
    assert page_load.percentile(values, 50) == pytest.approx(50)
    assert page_load.percentile(values, 95) == pytest.approx(95)
    assert page_load.percentile(values, 100) == pytest.approx(100)
    assert page_load.percentile([], 95) != page_load.percentile([], 95)  # nan


def test_options_that_cannot_make_a_world_are_refused():
    with pytest.raises(SystemExit):
        case_pages.parse_args(["--reports", "10", "--cases", "20"])
    with pytest.raises(SystemExit):
        case_pages.parse_args(["--requests", "0"])
