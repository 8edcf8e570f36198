"""Case-work indicators for a period: deadlines met on time (by kind and risk level) and what is overdue now, the
caseloads against CASELOAD_LIMIT and the supervisors' span against the 5-6 norm, referrals by service type and
status with their counter-referrals and days to acceptance, and transfers in and out.

A deadline counts in the period its date falls in, once its outcome is known (met, or past without being met);
closing a case meets its open deadlines (casecore.cases.approvals), so a closure counts as the work done. Days to
acceptance are read from a referral's last change (Relais keeps no history of its statuses), for those accepted or
done.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.cases.models import Case, CaseTransfer, Referral
from casecore.deadlines.models import CaseDeadline
from casecore.directory.models import Service
from casecore.indicators.counting import grouped_counts, rolled_up_counts
from casecore.indicators.holding import held_by
from casecore.indicators.values import NONE, Value
from casecore.people.models import Team, User
from casecore.people.roles import CASEWORKER, SUPERVISION_SPAN, SUPERVISOR
from casecore.periods import Period
from casecore.stats import percentile

OPEN = ("open", "closure_requested")


def work_indicators(session: Session, organisation_id: uuid.UUID, period: Period, *, caseload_limit: int,
                    now: datetime | None = None) -> list[Value]:
    """Timeliness, workload, referrals and transfers of the organisation for the period."""
    now = now or utcnow()
    return (_timeliness(session, organisation_id, period, now) + _workload(session, organisation_id, caseload_limit)
            + _referrals(session, organisation_id, period) + _transfers(session, organisation_id, period))


def _timeliness(session: Session, organisation_id: uuid.UUID, period: Period, now: datetime) -> list[Value]:
    """Deadlines count for the organisation that held the case when they fell due; what is overdue, for its
    holder now."""
    ours = Case.organisation_id == organisation_id
    known = or_(CaseDeadline.met_at.is_not(None), CaseDeadline.due_at < now)
    risk = func.coalesce(Case.risk_level, NONE)
    rows = session.execute(
        select(CaseDeadline.kind, risk, func.count(),
               func.sum(case((CaseDeadline.met_at <= CaseDeadline.due_at, 1), else_=0)))
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(held_by(organisation_id, CaseDeadline.due_at), CaseDeadline.due_at >= period.start,
               CaseDeadline.due_at < period.end, known)
        .group_by(CaseDeadline.kind, risk)).all()
    values = []
    by_kind: dict[str, list[int]] = {}
    for kind, level, judged, in_time in sorted(rows, key=lambda r: (r[0], r[1])):
        values += _share(judged, in_time or 0, (("deadline_kind", kind), ("risk_level", level)))
        totals = by_kind.setdefault(kind, [0, 0])
        totals[0], totals[1] = totals[0] + judged, totals[1] + (in_time or 0)
    for kind, (judged, in_time) in by_kind.items():
        values += _share(judged, in_time, (("deadline_kind", kind),))
    values += grouped_counts(session, "deadlines_overdue_now", CaseDeadline,
                             (ours, CaseDeadline.met_at.is_(None), CaseDeadline.due_at < now, Case.status.in_(OPEN)),
                             {"deadline_kind": CaseDeadline.kind}, ("deadline_kind",),
                             joins=lambda q: q.join(Case, Case.id == CaseDeadline.case_id))
    return values


def _share(judged: int, in_time: int, by: tuple) -> list[Value]:
    return [Value("deadlines_judged", judged, by), Value("deadlines_met_share", round(in_time / judged, 4), by)]


def _workload(session: Session, organisation_id: uuid.UUID, caseload_limit: int) -> list[Value]:
    """Now, whatever the period: the open caseloads of active case workers and the supervisors' spans."""
    loads = [n for (n,) in session.execute(
        select(func.count(Case.id)).select_from(User)
        .outerjoin(Case, and_(Case.assigned_to_id == User.id, Case.status.in_(OPEN)))
        .where(User.organisation_id == organisation_id, User.role == CASEWORKER, User.is_active.is_(True))
        .group_by(User.id))]
    spans = [n for (n,) in session.execute(
        select(func.count(User.id)).select_from(Team)
        .outerjoin(User, and_(User.team_id == Team.id, User.role == CASEWORKER, User.is_active.is_(True)))
        .where(Team.organisation_id == organisation_id, Team.supervisor_id.is_not(None))
        .group_by(Team.supervisor_id))]
    supervisors = session.scalar(select(func.count()).select_from(User).where(
        User.organisation_id == organisation_id, User.role == SUPERVISOR, User.is_active.is_(True))) or 0
    loads.sort()
    return [
        Value("case_workers", len(loads)),
        Value("open_caseload_median", percentile([float(n) for n in loads], 0.5)),
        Value("open_caseload_max", max(loads) if loads else None),
        Value("case_workers_over_limit", sum(1 for n in loads if n > caseload_limit)),
        Value("supervisors", supervisors),
        Value("supervisors_over_span", sum(1 for n in spans if n > SUPERVISION_SPAN)),
    ]


def _referrals(session: Session, organisation_id: uuid.UUID, period: Period) -> list[Value]:
    # Made by the organisation that held the case then.
    made = (held_by(organisation_id, Referral.created_at), Referral.created_at >= period.start,
            Referral.created_at < period.end)
    joins = lambda q: q.join(Case, Case.id == Referral.case_id).join(Service, Service.id == Referral.service_id)  # noqa: E731
    columns = {"service_type": Service.service_type, "status": Referral.status}
    values = rolled_up_counts(session, "referrals_made", Referral, made, columns,
                              ((), ("service_type",), ("status",)), joins=joins)
    values += grouped_counts(session, "referrals_counter_referred", Referral,
                             (*made, Referral.counter_referral_notes.is_not(None)), columns, (), joins=joins)
    days = sorted((changed - sent).total_seconds() / 86400 for sent, changed in session.execute(
        joins(select(Referral.created_at, Referral.updated_at).select_from(Referral))
        .where(*made, Referral.status.in_(("accepted", "done")))))
    median = percentile(days, 0.5)
    values.append(Value("referral_days_to_acceptance_median", None if median is None else round(median, 2)))
    return values


def _transfers(session: Session, organisation_id: uuid.UUID, period: Period) -> list[Value]:
    accepted = (CaseTransfer.status == "accepted", CaseTransfer.decided_at >= period.start,
                CaseTransfer.decided_at < period.end)
    return (grouped_counts(session, "transfers_in", CaseTransfer,
                           (*accepted, CaseTransfer.to_organisation_id == organisation_id), {}, ())
            + grouped_counts(session, "transfers_out", CaseTransfer,
                             (*accepted, CaseTransfer.from_organisation_id == organisation_id), {}, ()))
