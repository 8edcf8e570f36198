"""Case indicators for a period: cases opened (by risk level), closed (by closure reason), reopened, and open at the
period's end (by risk level and step), for one organisation; those opened and open at the end also by the child's
sex, age band, concern and region (the report's: sex x age band x concern x region, as every count may be).

Open at the end is read from the case as it stands: opened before the end and not closed then (closed later, or
not at all). A case reopened since keeps no earlier closure date, so for a past period it counts as open through
its first closure: Relais keeps the dates of a case's last closure only. A transferred case counts for the
organisation that held it at each moment (casecore.indicators.holding): opened by the sender, open at the end of a
month with whichever held it then.
"""
from __future__ import annotations

import uuid

from sqlalchemy import or_
from sqlalchemy.orm import Session

from casecore.cases.models import Case
from casecore.indicators.counting import grouped_counts, rolled_up_counts
from casecore.indicators.holding import held_by
from casecore.indicators.intake import COLUMNS as REPORT_COLUMNS
from casecore.indicators.intake import CROSSED, region_joins
from casecore.indicators.values import Value
from casecore.periods import Period
from casecore.reports.models import Report

COLUMNS = {"risk_level": Case.risk_level, "step": Case.current_step, "closure_reason": Case.closure_reason,
           **{name: REPORT_COLUMNS[name] for name in CROSSED}}


def case_indicators(session: Session, organisation_id: uuid.UUID, period: Period,
                    crossed: bool = True) -> list[Value]:
    """Every case indicator of the organisation for the period (crossed: with the child's sex x age x concern x
    region)."""
    opened = (held_by(organisation_id, Case.opened_at), Case.opened_at >= period.start, Case.opened_at < period.end)
    closed = (held_by(organisation_id, Case.closed_at), Case.status == "closed", Case.closed_at >= period.start,
              Case.closed_at < period.end)
    reopened = (held_by(organisation_id, Case.reopened_at), Case.reopened_at >= period.start,
                Case.reopened_at < period.end)
    open_at_end = (held_by(organisation_id, period.end), Case.opened_at < period.end,
                   or_(Case.closed_at.is_(None), Case.closed_at >= period.end))
    values = []
    for indicator, conditions, breakdowns in (
            ("cases_opened", opened, ((), ("risk_level",))),
            ("cases_closed", closed, ((), ("closure_reason",))),
            ("cases_reopened", reopened, ((),)),
            ("cases_open_at_end", open_at_end, ((), ("risk_level",), ("step",), ("risk_level", "step")))):
        # The case's own few values in one query each; the child's crossed table (many values) in its own.
        values += rolled_up_counts(session, indicator, Case, conditions, COLUMNS, breakdowns)
        if crossed and indicator in ("cases_opened", "cases_open_at_end"):
            values += grouped_counts(session, indicator, Case, conditions, COLUMNS, CROSSED, joins=_child_joins)
    return values


def _child_joins(query):
    """From the case to its report (the child's sex, age band and concern) and the report's region."""
    return region_joins(query.outerjoin(Report, Report.id == Case.report_id))
