"""Intake indicators for a period: the reports an organisation received, by channel, concern, sex, age band, region,
cercle, source and kind, each alone and sex x age band x concern x region together; urgent ones, tracing requests, and
those found duplicates or not eligible. Counted in SQL (GROUP BY), on the time each report was received."""
from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, case, literal
from sqlalchemy.orm import Session, aliased

from casecore.indicators.counting import grouped_counts
from casecore.indicators.values import NONE, Value
from casecore.people.models import Location
from casecore.periods import Period
from casecore.reports.models import Report

REGION_LEVEL, CERCLE_LEVEL = 1, 2
# The breakdowns of reports received: each alone (a cercle with its region, so that the cercles of a region add up
# to it and the small-cell rule can protect them against it), then the one the framework asks for every count
# (grid §8).
BREAKDOWNS = (("channel",), ("concern",), ("sex",), ("age_band",), ("region",), ("region", "cercle"), ("source",),
          ("kind",))
CROSSED = ("sex", "age_band", "concern", "region")

_place, _parent, _grand = aliased(Location), aliased(Location), aliased(Location)
# The region of the report's place: the place itself, its parent (a cercle's) or its grandparent (a commune's).
_REGION = case((_place.level == REGION_LEVEL, _place.code), (_parent.level == REGION_LEVEL, _parent.code),
               (_grand.level == REGION_LEVEL, _grand.code), else_=literal(NONE))
# The cercle: the place itself or a commune's parent; none for a report placed at a region only.
_CERCLE = case((_place.level == CERCLE_LEVEL, _place.code), (_parent.level == CERCLE_LEVEL, _parent.code),
               else_=literal(NONE))
COLUMNS = {
    "channel": Report.channel,
    "concern": Report.concern,
    "sex": Report.child_sex,
    "age_band": Report.child_age_band,
    "region": _REGION,
    "cercle": _CERCLE,
    # Who made it: a registered committee member (their number matched), staff typing one in, or the community.
    "source": case((Report.committee_member_id.is_not(None), "committee"), (Report.channel == "web", "staff"),
                   else_="community"),
    "kind": Report.kind,
}


def intake_indicators(session: Session, organisation_id: uuid.UUID, period: Period,
                      crossed: bool = True) -> list[Value]:
    """Every intake indicator of the organisation for the period (crossed: with the sex x age x concern x region)."""
    values = _counts(session, organisation_id, period, "reports_received", ())
    for dimensions in BREAKDOWNS:
        values += _counts(session, organisation_id, period, "reports_received", dimensions)
    if crossed:
        values += _counts(session, organisation_id, period, "reports_received", CROSSED)
    values += _counts(session, organisation_id, period, "reports_urgent", (), Report.urgent.is_(True))
    values += _counts(session, organisation_id, period, "reports_urgent", ("concern",), Report.urgent.is_(True))
    values += _counts(session, organisation_id, period, "tracing_requests", (), Report.kind == "tracing")
    values += _counts(session, organisation_id, period, "reports_duplicate", (), Report.status == "duplicate")
    values += _counts(session, organisation_id, period, "reports_not_eligible", (), Report.status == "not_eligible")
    values += _counts(session, organisation_id, period, "reports_not_eligible", ("reason",),
                      Report.status == "not_eligible", extra={"reason": Report.not_eligible_reason})
    return values


def _counts(session: Session, organisation_id: uuid.UUID, period: Period, indicator: str,
            dimensions: Iterable[str], *conditions, extra: dict | None = None) -> list[Value]:
    """A count of the period's reports, grouped by the dimensions (no row for a combination with none)."""
    dimensions = tuple(dimensions)
    received = (Report.organisation_id == organisation_id, Report.received_at >= period.start,
                Report.received_at < period.end, *conditions)
    return grouped_counts(session, indicator, Report, received, {**COLUMNS, **(extra or {})}, dimensions,
                          joins=region_joins if {"region", "cercle"} & set(dimensions) else None)


def region_joins(query: Select) -> Select:
    """The joins from Report to its place, cercle and region that COLUMNS["region"] and ["cercle"] read."""
    return (query.outerjoin(_place, _place.id == Report.location_id)
            .outerjoin(_parent, _parent.id == _place.parent_id).outerjoin(_grand, _grand.id == _parent.parent_id))
