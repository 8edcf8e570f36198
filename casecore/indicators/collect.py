"""Every indicator of an organisation for a period, in one list: what the page, the CSV and exports read."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from casecore.indicators.cases import case_indicators
from casecore.indicators.cells import suppress
from casecore.indicators.intake import intake_indicators
from casecore.indicators.triage import triage_indicators
from casecore.indicators.values import Value
from casecore.indicators.work import work_indicators
from casecore.people.roles import ADMIN, SUPERVISOR
from casecore.periods import Period

VIEWER_ROLES = (SUPERVISOR, ADMIN)


def may_view_indicators(role: str) -> bool:
    """Whether a role reads the organisation's indicators (aggregates only): supervisors and administrators."""
    return role in VIEWER_ROLES


def indicators(session: Session, organisation_id: uuid.UUID, period: Period, *, min_cell: int,
               caseload_limit: int = 25, now: datetime | None = None, crossed: bool = True) -> list[Value]:
    """The organisation's indicators for the period, small cells withheld (min_cell: INDICATOR_MIN_CELL);
    crossed=False leaves out the sex x age band x concern x region tables (the page shows none of them)."""
    values = intake_indicators(session, organisation_id, period, crossed=crossed)
    values += triage_indicators(session, organisation_id, period, now)
    values += case_indicators(session, organisation_id, period, crossed=crossed)
    values += work_indicators(session, organisation_id, period, caseload_limit=caseload_limit, now=now)
    return suppress(values, min_cell)
