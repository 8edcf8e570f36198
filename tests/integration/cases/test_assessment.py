"""The child's assessment by domain, on both databases: written, corrected, a domain emptied removed, unknown domains
and closed cases refused, audited without its content."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.cases.assessment import DomainEntry, assessment_of, record_assessment
from casecore.cases.models import Case, CaseEvent
from casecore.errors import Refused
from tests.factories import as_staff, make_case, make_organisation, make_user


@pytest.fixture
def case_of(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        worker = make_user(session, org, role="caseworker")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        return any_db_runtime, case.id, as_staff(worker)


def test_domains_are_written_corrected_and_emptied(case_of):
    rt, case_id, worker = case_of
    with rt.unit_of_work() as session:
        assert record_assessment(session, worker, case_id, {
            "health": DomainEntry(needs="Vaccinations en retard", child_views=" Veut voir un médecin "),
            "safety": DomainEntry(risk_factors="Oncle violent", protective_factors="Voisine attentive"),
            "education": DomainEntry()}) == 2
    with rt.unit_of_work() as session:
        found = assessment_of(session, case_id)
    assert list(found) == ["safety", "health"]  # the form's order
    assert found["health"] == DomainEntry(needs="Vaccinations en retard", child_views="Veut voir un médecin")
    with rt.unit_of_work() as session:
        assert record_assessment(session, worker, case_id, {"health": DomainEntry(), "safety": DomainEntry(
            risk_factors="Oncle parti")}) == 1
    with rt.unit_of_work() as session:
        assert assessment_of(session, case_id) == {"safety": DomainEntry(risk_factors="Oncle parti")}
        assert session.scalar(select(CaseEvent.body).where(CaseEvent.kind == "assessment_updated")) is None
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "assessment.updated")).all() == [
            "assessment.updated"] * 2


def test_an_unknown_domain_or_a_closed_case_is_refused(case_of):
    rt, case_id, worker = case_of
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        record_assessment(session, worker, case_id, {"spirituality": DomainEntry(needs="x")})
    assert refused.value.code == "assessment_domain"
    with rt.unit_of_work() as session:
        session.get(Case, case_id).status = "closed"
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        record_assessment(session, worker, case_id, {"health": DomainEntry(needs="x")})
    assert refused.value.code == "case_closed"
