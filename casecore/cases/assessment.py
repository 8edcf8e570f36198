"""The child's assessment by domain (form 2.A): for safety, care arrangements, health, education, psychosocial
wellbeing, legal status and documents, and the economic situation, what the child needs, what puts them at risk,
what protects them, and what the child says. Recorded on an open case at any step (a review updates it); the
overall risk level is revised beside it (casecore.cases.risk). Audited; the timeline says only that it changed."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.casework import add_event, lock_case
from casecore.cases.record_models import AssessmentDomain
from casecore.errors import Refused
from casecore.free_text import staff_text
from casecore.people.roles import Staff

PARTS = ("needs", "risk_factors", "protective_factors", "child_views")


@dataclass(frozen=True)
class DomainEntry:
    """One domain as written: any part may be left empty."""

    needs: str | None = None
    risk_factors: str | None = None
    protective_factors: str | None = None
    child_views: str | None = None

    @property
    def empty(self) -> bool:
        return not any(getattr(self, part) for part in PARTS)


def record_assessment(session: Session, staff: Staff, case_id: str | uuid.UUID,
                      domains: Mapping[str, DomainEntry]) -> int:
    """Write the domains given (a domain left all empty is removed); returns how many domains the case now has."""
    case = lock_case(session, staff, case_id)
    if case.status not in ("open", "closure_requested"):
        raise Refused("case_closed")
    if any(domain not in taxonomy.ASSESSMENT_DOMAINS for domain in domains):
        raise Refused("assessment_domain")
    cleaned = {domain: DomainEntry(*(staff_text(getattr(entry, part), "assessment", required=False)
                                     for part in PARTS)) for domain, entry in domains.items()}
    now = utcnow()
    existing = {row.domain: row for row in session.scalars(
        select(AssessmentDomain).where(AssessmentDomain.case_id == case.id).with_for_update())}
    for domain, entry in cleaned.items():
        row = existing.get(domain)
        if entry.empty:
            if row is not None:
                session.execute(delete(AssessmentDomain).where(AssessmentDomain.id == row.id))
            continue
        if row is None:
            row = AssessmentDomain(case_id=case.id, domain=domain)
            session.add(row)
        for part in PARTS:
            setattr(row, part, getattr(entry, part))
        row.updated_at, row.updated_by_id = now, staff.id
    session.flush()
    add_event(session, case.id, "assessment_updated", staff.id)
    record_event(session, staff.id, "assessment.updated", "case", case.id)
    return len(assessment_of(session, case.id))


def assessment_of(session: Session, case_id: uuid.UUID) -> dict[str, DomainEntry]:
    """The case's assessment, by domain in the form's order (domains not assessed are absent). The caller has
    checked the person may see the case (the case page)."""
    rows = {row.domain: row for row in session.scalars(
        select(AssessmentDomain).where(AssessmentDomain.case_id == case_id))}
    return {domain: DomainEntry(*(getattr(rows[domain], part) for part in PARTS))
            for domain in taxonomy.ASSESSMENT_DOMAINS if domain in rows}
