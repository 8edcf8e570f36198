"""What a community member is told when they check a report: its status, answered for by the case opened from it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.cases.models import Case
from casecore.references import clean_reference, is_valid_reference
from casecore.reports.models import Report


def report_status(session: Session, reference: str, reporter_key: str | None) -> str | None:
    """The report's status code for the number that made it; None when the reference or the number does not match.

    A case opened from the report answers for it: "closed" once the case is closed, "accepted" until then.
    """
    code = clean_reference(reference)
    if not reporter_key or not is_valid_reference(code):
        return None
    # One query for both answers; the newest case wins if a report was ever opened twice.
    row = session.execute(
        select(Report.status, Case.status.label("case_status"))
        .outerjoin(Case, Case.report_id == Report.id)
        .where(Report.reference == code, Report.reporter_key == reporter_key)
        .order_by(Case.opened_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    if row.case_status is None:
        return row.status
    return "closed" if row.case_status == "closed" else "accepted"
