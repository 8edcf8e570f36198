"""Which organisation held a case at a given moment. An accepted transfer moves the case row to the receiving
organisation (casecore.cases.transfers), so a case's organisation is where it is now; for a past moment it is the
sender of the first transfer accepted after that moment, else where it is now. Each organisation counts what it did
with the case while it held it: the sender keeps the case it opened, the receiver counts it from its arrival."""
from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, func, or_, select

from casecore.cases.models import Case, CaseTransfer


def held_by(organisation_id: uuid.UUID, moment) -> ColumnElement[bool]:
    """SQL: the case (Case, in the query) belonged to the organisation at `moment` (a column or a datetime)."""
    later_sender = (select(CaseTransfer.from_organisation_id)
                    .where(CaseTransfer.case_id == Case.id, CaseTransfer.status == "accepted",
                           CaseTransfer.decided_at >= moment)
                    .order_by(CaseTransfer.decided_at).limit(1).correlate_except(CaseTransfer).scalar_subquery())
    # The cases it holds now or that a transfer moved to or from it: the only ones it can have held (and an
    # index on the organisation still narrows the rows the subquery above is asked about).
    moved = select(CaseTransfer.case_id).where(
        CaseTransfer.status == "accepted",
        or_(CaseTransfer.from_organisation_id == organisation_id, CaseTransfer.to_organisation_id == organisation_id))
    return and_(or_(Case.organisation_id == organisation_id, Case.id.in_(moved)),
                func.coalesce(later_sender, Case.organisation_id) == organisation_id)
