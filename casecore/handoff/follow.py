"""Following a handed-over case from what Primero says of it (a webhook's snapshot or a poll's read): its short
id, owner and status on the report page, and a closure in Primero acted on as a Relais closure is.

Snapshots come with no event name, no signature and no retry (§6): a duplicate, one arriving after a newer one,
or one never arriving must all be harmless. Each carries the case's last_updated_at: one no newer than what Relais
has read already changes nothing, and the poll (PRIMERO_POLL_MINUTES) reads what webhooks missed.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.approvals import settle_at_closure
from casecore.cases.casework import add_event
from casecore.cases.models import Case
from casecore.cases.surveys import SurveyPlan, queue_closure_surveys
from casecore.errors import InvalidInput
from casecore.handoff.mapping import HandoffMapping
from casecore.handoff.models import Handoff
from casecore.handoff.modes import slug_of
from casecore.people.models import User
from casecore.people.roles import CASEWORKER
from casecore.reports.committees import queue_acceptance_thanks
from casecore.reports.models import Report

log = logging.getLogger(__name__)

# Primero's case status values (lookup-case-status): only these two change anything in Relais.
OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True)
class ClosurePlan:
    """What a closure in Primero sends: the surveys (as a Relais closure) and the committee's thanks; and the
    organisations' mappings (by slug), to follow the case's owner there with its Relais account."""

    surveys: SurveyPlan
    committee_thanks: Callable[[str, str], str]  # (language, reference) -> the SMS
    mapping: Callable[[str], HandoffMapping] | None = None


@dataclass
class Followed:
    """What a snapshot changed: nothing (older or the same), or the case read, closed or reopened."""

    handoff_id: uuid.UUID
    changed: bool = False
    closed: bool = False
    reopened: bool = False
    outbox_ids: list[uuid.UUID] = field(default_factory=list)


def snapshot_case_id(snapshot: dict[str, Any]) -> uuid.UUID | None:
    """The Primero case id a snapshot is about (record_id in a webhook, id in a read), or None if it has none."""
    raw = snapshot.get("record_id") or snapshot.get("id")
    try:
        return uuid.UUID(str(raw))
    except (TypeError, ValueError):
        return None


def apply_snapshot(session: Session, snapshot: dict[str, Any], plan: ClosurePlan, *,
                   now: datetime | None = None) -> Followed | None:
    """Bring a hand-off up to what Primero says of its case; None when the case is not one Relais handed over."""
    now = now or utcnow()
    primero_id = snapshot_case_id(snapshot)
    if primero_id is None:
        return None
    handoff = session.scalar(select(Handoff).where(Handoff.primero_id == primero_id).with_for_update())
    if handoff is None:
        return None
    handoff.followed_at = now
    followed = Followed(handoff.id)
    if handoff.status != "sent":
        # Primero speaks of the case: it exists, whatever the job sending it saw or did not see (a lost answer).
        handoff.status, handoff.sent_at, handoff.claim, handoff.claimed_at = "sent", now, None, None
        handoff.reason = handoff.invalid_fields = None
        record_event(session, None, "handoff.sent", "report", handoff.report_id)
        followed.changed = True
    updated = parse_time(snapshot.get("last_updated_at"))
    if updated is not None and handoff.primero_updated_at is not None and updated <= handoff.primero_updated_at:
        return followed  # a duplicate, or older than what was read already
    handoff.primero_updated_at = updated or handoff.primero_updated_at
    followed.changed = True
    handoff.short_id = str(snapshot.get("case_id_display") or snapshot.get("short_id") or handoff.short_id or "")[
        :40] or None
    if "owned_by" in snapshot:
        owner = str(snapshot["owned_by"])[:100] if snapshot["owned_by"] else None
        if owner != handoff.owned_by and handoff.case_id is not None and plan.mapping is not None:
            _follow_owner(session, handoff, owner, plan.mapping)
        handoff.owned_by = owner
    status = snapshot.get("status")
    if isinstance(status, str) and status:
        handoff.primero_status = status[:32]
    if status == CLOSED and handoff.closure_seen_at is None:
        handoff.closure_seen_at = now
        followed.closed = True
        followed.outbox_ids = _closed_in_primero(session, handoff, snapshot, plan, now)
    elif status == OPEN and handoff.closure_seen_at is not None:
        handoff.closure_seen_at = None
        followed.reopened = True
        _reopened_in_primero(session, handoff, now)
    return followed


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from Primero (…Z or +00:00, with or without fractions) as aware UTC; None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _follow_owner(session: Session, handoff: Handoff, owner: str | None,
                  mapping: Callable[[str], HandoffMapping]) -> None:
    """The case was given to another user in Primero: the Relais case goes to that user's Relais account (a case
    worker of the organisation), so that the person who owns it there reads the family's messages here."""
    try:
        emails = mapping(slug_of(session, handoff.organisation_id)).emails_of(owner)
    except InvalidInput:
        return  # an unreadable mapping: the owner is shown, the Relais assignment stays
    case = session.get(Case, handoff.case_id, with_for_update=True)
    worker = session.scalar(select(User).where(
        func.lower(User.email).in_(emails), User.organisation_id == case.organisation_id,
        User.role == CASEWORKER, User.is_active.is_(True))) if emails else None
    if worker is None or worker.id == case.assigned_to_id or case.status == "closed":
        return
    case.assigned_to_id, case.team_id, case.assigned_at = worker.id, worker.team_id, utcnow()
    add_event(session, case.id, "assigned", None, f"{worker.display_name} (CPIMS+)")
    record_event(session, None, "handoff.owner_followed", "case", case.id)


def _closed_in_primero(session: Session, handoff: Handoff, snapshot: dict[str, Any], plan: ClosurePlan,
                       now: datetime) -> list[uuid.UUID]:
    """Close what Relais holds, and send what a Relais closure sends: the surveys, the committee's thanks."""
    report = session.get(Report, handoff.report_id, with_for_update=True)
    outbox_ids: list[uuid.UUID] = []
    reason = str(snapshot.get("closure_reason") or "")[:200] or None
    if handoff.case_id is not None:
        case = session.get(Case, handoff.case_id, with_for_update=True)
        if case.status == "closed" and case.anonymised_at is None:
            # Closed in Relais already, with its surveys: the family is not asked twice.
            record_event(session, None, "handoff.closed_in_primero", "report", report.id)
            return outbox_ids
        case.status, case.closed_at, case.closure_reason = "closed", now, None
        # The case lives in CPIMS+ now: nothing waits in Relais for an approval or a deadline.
        settle_at_closure(session, case.id, now, None)
        add_event(session, case.id, "closed_in_primero", None, reason)
        # One set of surveys per closure: a case reopened and closed again in Primero asks again.
        closure_key = uuid.uuid5(handoff.primero_id, f"closure:{(handoff.primero_updated_at or now).isoformat()}")
        outbox_ids += queue_closure_surveys(session, case, closure_key, plan.surveys)
    elif report.status == "handed_over":
        report.status = "closed"
    thanks = queue_acceptance_thanks(session, report, plan.surveys.backend, plan.committee_thanks)
    if thanks is not None and thanks.status == "queued":
        outbox_ids.append(thanks.id)
    record_event(session, None, "handoff.closed_in_primero", "report", report.id)
    log.info("hand-off %s: case closed in Primero; %d message(s) to send", handoff.id, len(outbox_ids))
    return outbox_ids


def _reopened_in_primero(session: Session, handoff: Handoff, now: datetime) -> None:
    if handoff.case_id is not None:
        case = session.get(Case, handoff.case_id, with_for_update=True)
        if case.status == "closed":
            case.status, case.reopened_at, case.closed_at = "open", now, None
            add_event(session, case.id, "reopened_in_primero", None, None)
    else:
        session.execute(update(Report).where(Report.id == handoff.report_id, Report.status == "closed")
                        .values(status="handed_over").execution_options(synchronize_session=False))
    record_event(session, None, "handoff.reopened_in_primero", "report", handoff.report_id)


def handoffs_to_follow(session: Session, followed_before: datetime, limit: int = 1000) -> list[uuid.UUID]:
    """Handed-over cases still open in Primero that were not read since followed_before, the longest unread first."""
    return list(session.scalars(
        select(Handoff.id).where(
            Handoff.status == "sent", Handoff.closure_seen_at.is_(None),
            (Handoff.followed_at.is_(None)) | (Handoff.followed_at < followed_before))
        .order_by(Handoff.followed_at.is_not(None), Handoff.followed_at).limit(limit)))
