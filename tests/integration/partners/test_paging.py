"""The paging both partner lists share (casecore.partners.paging), on both databases: rows that share one moment
come out once each, in (time, id) order, across pages whose cursors went through their text form; status, since and
until narrow each list on its own time (a report's reception, a case's opening)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from casecore.cases.models import Case
from casecore.partners.cases import list_cases
from casecore.partners.paging import Cursor, ListFilters
from casecore.partners.reports import list_reports
from casecore.partners.tokens import create_token, parse_scopes, token_holder
from casecore.reports.models import Report
from tests.factories import make_case, make_organisation

MOMENT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
# Three rows at the same moment (their ids decide), one before and one after; the fourth case is closed, its report
# a duplicate.
OFFSETS = (timedelta(0), timedelta(0), timedelta(hours=-1), timedelta(0), timedelta(hours=5))


@pytest.fixture
def rt(any_db_runtime):
    """Five cases (each from its report) of our organisation, the times of both set to OFFSETS; our token."""
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session, slug="ours")
        for n, offset in enumerate(OFFSETS):
            case = make_case(session, organisation_slug="ours", status="closed" if n == 3 else "open")
            report = session.get(Report, case.report_id)
            case.opened_at = report.received_at = MOMENT + offset
            if n == 3:
                report.status = "duplicate"
        secret = create_token(session, "sync", "ours", parse_scopes("reports:read,cases:read"))
        any_db_runtime.holder = token_holder(session, secret)
    return any_db_runtime


def _reports(rt, filters, limit):
    with rt.unit_of_work() as session:
        page, more = list_reports(session, rt.holder, filters, limit)
        return [(report.received_at, report.id) for report, _place, _case in page], more


def _cases(rt, filters, limit):
    with rt.unit_of_work() as session:
        page, more = list_cases(session, rt.holder, filters, limit, personal=False)
        return [(found.case.opened_at, found.case.id) for found in page], more


def _walk(lister, rt, limit=2, **filters):
    """Every page in turn, each started from the text of the cursor of the last row before it."""
    rows, after = [], None
    for _page in range(len(OFFSETS) + 1):
        page, more = lister(rt, ListFilters(after=after, **filters), limit)
        assert len(page) <= limit
        rows += page
        if not more:
            return rows
        after = Cursor.decode(Cursor(*page[-1]).encode())
    raise AssertionError(f"more pages than rows: {rows}")


def _utc(rows):
    return [(at.replace(tzinfo=at.tzinfo or timezone.utc), row_id) for at, row_id in rows]


def _stored(rt, model, column):
    with rt.unit_of_work() as session:
        return _utc(sorted((getattr(row, column), row.id) for row in session.scalars(select(model))))


@pytest.mark.parametrize(("lister", "model", "column"), [(_reports, Report, "received_at"),
                                                         (_cases, Case, "opened_at")], ids=["reports", "cases"])
def test_rows_of_one_moment_page_out_once_each_in_time_then_id_order(rt, lister, model, column):
    stored = _stored(rt, model, column)
    assert len(stored) == len(OFFSETS)
    for limit in (1, 2, 3, 5, 200):
        assert _utc(_walk(lister, rt, limit=limit)) == stored, limit


@pytest.mark.parametrize(("lister", "model", "column", "set_aside"), [
    (_reports, Report, "received_at", "duplicate"), (_cases, Case, "opened_at", "closed")], ids=["reports", "cases"])
def test_since_until_and_status_narrow_on_the_lists_own_time(rt, lister, model, column, set_aside):
    stored = _stored(rt, model, column)
    at_moment = [row for row in stored if row[0] == MOMENT]
    assert len(at_moment) == 3
    assert _utc(_walk(lister, rt, since=MOMENT, until=MOMENT + timedelta(hours=1))) == at_moment
    assert _utc(_walk(lister, rt, until=MOMENT)) == stored[:1]
    assert _utc(_walk(lister, rt, since=MOMENT + timedelta(hours=1))) == stored[-1:]
    assert [at for at, _id in _utc(_walk(lister, rt, status=set_aside))] == [MOMENT]
    assert _walk(lister, rt, status="no-such-status") == []
