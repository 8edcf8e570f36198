"""Finding a report, a case or a complaint by its reference, among those the person may see.

The same need to know as the pages a match leads to (casecore.cases.access, casecore.complaints.access): a reference
the person may not see is answered exactly as one that does not exist, so a search never tells that it exists.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.audit import record_event
from casecore.cases.access import visible_cases, visible_reports
from casecore.cases.models import Case
from casecore.complaints.access import visible_complaints
from casecore.complaints.models import Complaint
from casecore.people.roles import Staff
from casecore.references import InvalidReference, reference_candidates
from casecore.reports.models import Report

KINDS = ("report", "case", "complaint")


@dataclass(frozen=True)
class Found:
    """A record a reference names, that the person may open: its kind (KINDS), id and reference."""

    kind: str
    id: uuid.UUID
    reference: str


@dataclass(frozen=True)
class Search:
    """What a search found (reports first), or why the text typed cannot be a reference (InvalidReference.code)."""

    found: tuple[Found, ...] = ()
    invalid: str | None = None


def find_by_reference(session: Session, staff: Staff, text: str) -> Search:
    """The reports, cases and complaints this person may see whose reference the text stands for
    (casecore.references.reference_candidates); the search is audited with the reference only, never the text.

    A report the person may not see that became a case they may see (a case worker given the report's reference by
    the family) leads to the case.
    """
    try:
        codes = reference_candidates(text)
    except InvalidReference as refusal:
        record_event(session, staff.id, "reference.searched", "reference", None)
        return Search(invalid=refusal.code)
    found = [Found("report", key, reference) for key, reference in session.execute(
        select(Report.id, Report.reference).where(Report.reference.in_(codes), visible_reports(staff))
        .order_by(Report.reference))]
    shown = {f.reference for f in found}
    hidden_reports = select(Report.id).where(Report.reference.in_([code for code in codes if code not in shown]))
    found += [Found("case", key, reference) for key, reference in session.execute(
        select(Case.id, Case.reference)
        .where(visible_cases(staff), Case.reference.in_(codes) | Case.report_id.in_(hidden_reports))
        .order_by(Case.reference, Case.opened_at.desc()))]
    found += [Found("complaint", key, reference) for key, reference in session.execute(
        select(Complaint.id, Complaint.reference).where(Complaint.reference.in_(codes), visible_complaints(staff))
        .order_by(Complaint.reference))]
    if len(found) == 1:
        record_event(session, staff.id, "reference.searched", found[0].kind, found[0].id)
    else:
        # Nothing found, or (rarely) several readings or records: the reference read, never the text typed.
        record_event(session, staff.id, "reference.searched", "reference", codes[0] if len(codes) == 1 else None)
    return Search(tuple(found))
