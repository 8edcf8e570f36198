"""Revising a case's risk level, on both databases: the history kept, the open risk-dependent deadlines moved from
the moment each was set (alerts sent again when a moved date comes back), met ones left alone, refusals by code."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.base import utcnow
from casecore.cases.models import Case, CaseEvent
from casecore.cases.risk import revise_risk, risk_history
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import Timelines
from casecore.errors import Refused
from tests.factories import as_staff, make_case, make_organisation, make_user

TIMELINES = Timelines()


@pytest.fixture
def medium_case(any_db_runtime):
    """A medium-risk case whose first response was set 30 hours ago (due in 72 h) and already warned, an
    assessment date met, and a follow-up visit (which does not depend on the risk)."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        worker = make_user(session, org, role="caseworker")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        case.risk_level = "medium"
        set_at = utcnow() - timedelta(hours=30)
        session.add_all([
            CaseDeadline(case_id=case.id, kind="first_response", created_at=set_at,
                         due_at=set_at + timedelta(hours=72), warned_at=utcnow()),
            CaseDeadline(case_id=case.id, kind="assessment", created_at=set_at, due_at=set_at + timedelta(hours=72),
                         met_at=utcnow()),
            CaseDeadline(case_id=case.id, kind="visit", created_at=set_at, due_at=set_at + timedelta(days=10)),
        ])
        return any_db_runtime, case.id, as_staff(worker), set_at


def _due(session, case_id):
    return {d.kind: (d.due_at, d.overdue_alerted_at, d.warned_at) for d in session.scalars(
        select(CaseDeadline).where(CaseDeadline.case_id == case_id))}


def test_raising_the_risk_brings_open_dates_forward_and_keeps_the_history(medium_case):
    rt, case_id, worker, set_at = medium_case
    with rt.unit_of_work() as session:
        assert revise_risk(session, worker, case_id, "high", "Violence at home seen at the visit", TIMELINES) == 1
    with rt.unit_of_work() as session:
        due = _due(session, case_id)
        # High risk: a first response within 24 h of when it was set, so already passed (the sweep alerts it).
        assert due["first_response"][0] == set_at + timedelta(hours=24)
        assert due["assessment"][0] == set_at + timedelta(hours=72)  # met: left as it was
        assert due["visit"][0] == set_at + timedelta(days=10)  # not a risk date
        assert session.get(Case, case_id).risk_level == "high"
        [change] = risk_history(session, case_id)
        assert (change.from_level, change.to_level, change.step) == ("medium", "high", "registration")
        assert change.reason == "Violence at home seen at the visit"
        assert session.scalar(select(CaseEvent.body).where(CaseEvent.kind == "risk_changed")) == "medium>high"


def test_lowering_the_risk_moves_dates_later_and_alerts_them_again_when_they_come_near(medium_case):
    rt, case_id, worker, set_at = medium_case
    with rt.unit_of_work() as session:
        revise_risk(session, worker, case_id, "low", "Family support in place", TIMELINES)
    with rt.unit_of_work() as session:
        due_at, _overdue, warned = _due(session, case_id)["first_response"]
        assert due_at == set_at + timedelta(hours=168) and warned is None


@pytest.mark.parametrize("level, reason, code", [("medium", "x", "risk_unchanged"), ("extreme", "x",
                         "risk_level_required"), ("high", "  ", "risk_reason_required")])
def test_what_cannot_be_revised_is_refused(medium_case, level, reason, code):
    rt, case_id, worker, _ = medium_case
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        revise_risk(session, worker, case_id, level, reason, TIMELINES)
    assert refused.value.code == code


def test_a_closed_case_keeps_its_level(medium_case):
    rt, case_id, worker, _ = medium_case
    with rt.unit_of_work() as session:
        session.get(Case, case_id).status = "closed"
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        revise_risk(session, worker, case_id, "high", "too late", TIMELINES)
    assert refused.value.code == "not_open"
