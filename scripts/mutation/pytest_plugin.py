"""Loaded into the pytest runs of `make mutate` (-p scripts.mutation.pytest_plugin): with MUTATION_COVERAGE set,
measures the modules under test with each test's node id as coverage's context (setup and teardown included);
with MUTATION_REPORT set, writes each test's outcome and duration there as JSON."""
from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest

COVERAGE_ENV = "MUTATION_COVERAGE"  # JSON: {"data_file": ..., "include": [...]}
REPORT_ENV = "MUTATION_REPORT"  # a path; one file per process, suffixed with its pid

_coverage = None
_durations: dict[str, float] = defaultdict(float)
_outcomes: dict[str, str] = {}
_order: list[str] = []


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    # Before the conftest files import the modules under test: what runs at their import is measured too (the
    # coverage map's "imported" lines, such as a function building a model's sealed column).
    _start()


def pytest_configure(config) -> None:
    _start()


def _start() -> None:
    global _coverage
    wanted = os.environ.get(COVERAGE_ENV)
    if wanted and _coverage is None:
        import coverage

        settings = json.loads(wanted)
        _coverage = coverage.Coverage(data_file=settings["data_file"], data_suffix=True, include=settings["include"],
                                      config_file=False, branch=False)
        _coverage.start()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if _coverage is not None:
        _coverage.switch_context(item.nodeid)
    try:
        return (yield)
    finally:
        if _coverage is not None:
            _coverage.switch_context("")


def pytest_runtest_logreport(report) -> None:
    if report.nodeid not in _outcomes:
        _order.append(report.nodeid)
        _outcomes[report.nodeid] = "passed"
    _durations[report.nodeid] += report.duration
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and _outcomes[report.nodeid] == "passed":
        _outcomes[report.nodeid] = "skipped"


def pytest_unconfigure(config) -> None:
    global _coverage
    if _coverage is not None:
        _coverage.stop()
        _coverage.save()
        _coverage = None
    path = os.environ.get(REPORT_ENV)
    # Under pytest-xdist the controller hears every worker's reports: it alone writes them.
    if path and not hasattr(config, "workerinput") and _order:
        tests = [{"id": node, "outcome": _outcomes[node], "seconds": round(_durations[node], 4)} for node in _order]
        with open(f"{path}.{os.getpid()}", "w", encoding="utf-8") as out:
            json.dump(tests, out)
