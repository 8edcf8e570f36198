"""USSD session ends on each database: one row per session, and the drop-off figures read from them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from casecore.errors import InvalidInput
from casecore.messaging.models import UssdSessionEnd
from casecore.messaging.ussd_sessions import record_ussd_session_end, ussd_drop_off
from channels.africastalking_ussd_events import UssdSessionEnd as Event

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_event(**overrides) -> Event:
    values = dict(session_id="ATUid_1", service_code="*384*1234#", network_code="63902", phone="+254711000111",
                  status="Incomplete", cost_amount=Decimal("0.10"), cost_currency="KES", duration_ms=30000, hops=2,
                  input_path="1*2", last_screen_started_with="CON", error_message=None, ended_at=NOW)
    values.update(overrides)
    return Event(**values)


def test_the_same_session_end_twice_stores_one_row(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        assert record_ussd_session_end(session, make_event()) is True
    with any_db_runtime.unit_of_work() as session:
        assert record_ussd_session_end(session, make_event(status="Success")) is False
        assert record_ussd_session_end(session, make_event(session_id="ATUid_2")) is True
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(UssdSessionEnd)) == 2
        row = session.scalars(select(UssdSessionEnd).where(UssdSessionEnd.session_id == "ATUid_1")).one()
        assert (row.status, row.last_step_count, row.cost_amount, row.ended_at) == (
            "Incomplete", 2, Decimal("0.1000"), NOW)


def test_a_session_end_without_id_or_status_is_refused(any_db_runtime):
    with any_db_runtime.unit_of_work() as session, pytest.raises(InvalidInput):
        record_ussd_session_end(session, make_event(session_id=""))


def test_drop_off_figures(any_db_runtime):
    ends = [
        ("a", "Incomplete", "1", NOW), ("b", "Incomplete", "1*2", NOW), ("c", "Incomplete", "1*3", NOW),
        ("d", "Incomplete", None, NOW), ("e", "Success", "1*2*Awa*1", NOW), ("f", "Failed", "2", NOW),
        # Before the window: not counted; no date given: counted by when it was received.
        ("old", "Incomplete", "1", NOW - timedelta(days=8)), ("undated", "Success", "1*1", None),
    ]
    with any_db_runtime.unit_of_work() as session:
        for session_id, status, path, ended_at in ends:
            record_ussd_session_end(session, make_event(session_id=session_id, status=status, input_path=path,
                                                        ended_at=ended_at))
    with any_db_runtime.unit_of_work() as session:
        figures = ussd_drop_off(session, NOW - timedelta(days=7))
    assert figures == {
        "total": 7,
        "by_status": {"Incomplete": 4, "Success": 2, "Failed": 1},
        "incomplete_share": 4 / 7,
        "incomplete_steps": {0: 1, 1: 1, 2: 2},
    }


def test_drop_off_figures_with_no_session(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        assert ussd_drop_off(session, NOW) == {"total": 0, "by_status": {}, "incomplete_share": None,
                                              "incomplete_steps": {}}
