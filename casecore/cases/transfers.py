"""Transfers of a case to another organisation in Relais: asked for by a supervisor, done when it is accepted.

Until the receiving organisation accepts, its supervisors see only a summary (reference, risk level, which
organisation asks), never the case. On acceptance the case becomes theirs, unassigned and outside any team, and
the sending side loses access to it.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.access import require_case, visible_cases
from casecore.cases.alerts import queue_transfer_answer_alert, queue_transfer_request_alerts
from casecore.cases.models import Case, CaseEvent, CaseTransfer
from casecore.deadlines.timelines import Timelines, schedule
from casecore.errors import Conflict, InvalidInput, NotAllowed, NotFound
from casecore.free_text import short_text, without_controls
from casecore.ids import parse_id
from casecore.paging import Page, fetch_page
from casecore.people.models import Organisation
from casecore.people.roles import SUPERVISOR, Staff

log = logging.getLogger(__name__)

REASON_LENGTH = 2000


def may_decide_transfers(role: str) -> bool:
    """Whether this role asks for transfers and accepts or declines those coming in."""
    return role == SUPERVISOR


@dataclass(frozen=True)
class TransferAsked:
    """A transfer just asked for, and the SMS to the receiving supervisors to send once committed."""

    transfer_id: uuid.UUID
    outbox_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class TransferAnswered:
    """A transfer just answered, and the SMS to the supervisor who asked, to send once committed."""

    transfer: CaseTransfer
    outbox_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class IncomingTransfer:
    """A transfer waiting for the receiving organisation: its summary only, no case content."""

    id: uuid.UUID
    case_reference: str
    risk_level: str | None
    from_organisation: str
    requested_at: datetime


@dataclass(frozen=True)
class OutgoingTransfer:
    """A transfer the sending organisation asked for, and what became of it."""

    id: uuid.UUID
    case_reference: str
    to_organisation: str
    status: str
    requested_at: datetime
    decided_at: datetime | None


def transfer_targets(session: Session, organisation_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The other organisations in Relais a case may be transferred to, as (id, name)."""
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id != organisation_id))
    return sorted(((row.id, row.name) for row in rows), key=lambda row: row[1].casefold())


def pending_transfer(session: Session, case_id: uuid.UUID) -> OutgoingTransfer | None:
    """The case's transfer waiting for an answer, if any."""
    row = session.execute(
        select(CaseTransfer, Organisation.name)
        .join(Organisation, Organisation.id == CaseTransfer.to_organisation_id)
        .where(CaseTransfer.case_id == case_id, CaseTransfer.status == "pending")
        .order_by(CaseTransfer.requested_at.desc()).limit(1)
    ).first()
    if row is None:
        return None
    transfer, name = row
    return OutgoingTransfer(transfer.id, "", name, transfer.status, transfer.requested_at, None)


def request_transfer(
    session: Session, staff: Staff, case_id: str | uuid.UUID, to_organisation_id: str | uuid.UUID, reason: str, *,
    sms_backend: str,
) -> TransferAsked:
    """Ask another organisation to take a case this supervisor oversees; it stays here until accepted, and the
    receiving supervisors are told by SMS (the reference only)."""
    if not may_decide_transfers(staff.role):
        raise NotAllowed("only a supervisor of the case's team may ask for a transfer")
    case = require_case(session, staff, case_id)
    # Locks the case: two supervisors asking at once make one pending transfer, not two.
    session.refresh(case, with_for_update=True)
    if case.status != "open":
        raise Conflict("only an open case can be transferred")
    try:
        target = session.get(Organisation, parse_id(to_organisation_id, "organisation"))
    except NotFound:
        target = None
    if target is None:
        raise InvalidInput("choose the organisation to transfer the case to")
    if target.id == case.organisation_id:
        raise InvalidInput("a case is transferred to another organisation, not its own")
    text = short_text(without_controls(reason, keep_newlines=True), REASON_LENGTH + 1)
    if text is None:
        raise InvalidInput("give the reason for the transfer")
    if len(text) > REASON_LENGTH:
        raise InvalidInput(f"the reason is limited to {REASON_LENGTH} characters")
    if pending_transfer(session, case.id) is not None:
        raise Conflict("a transfer of this case is already waiting for an answer")
    transfer = CaseTransfer(case_id=case.id, from_organisation_id=case.organisation_id, to_organisation_id=target.id,
                            reason=text, status="pending", requested_by_id=staff.id, requested_at=utcnow())
    session.add(transfer)
    session.flush()
    _timeline(session, case.id, staff.id, f"requested: {target.name}\n{text}")
    record_event(session, staff.id, "transfer.requested", "case_transfer", transfer.id)
    record_event(session, staff.id, "case.transfer_requested", "case", case.id)
    log.info("case %s: transfer %s requested to organisation %s", case.id, transfer.id, target.id)
    return TransferAsked(transfer.id, queue_transfer_request_alerts(session, transfer, case, sms_backend))


def decide_transfer(session: Session, staff: Staff, transfer_id: str | uuid.UUID, accept: bool, *,
                    timelines: Timelines, sms_backend: str) -> TransferAnswered:
    """The receiving organisation's supervisor accepts (the case becomes theirs, unassigned, to assign within the
    assignment timeline) or declines; the supervisor who asked is told by SMS."""
    if not may_decide_transfers(staff.role):
        raise NotAllowed("only a supervisor of the receiving organisation may answer a transfer")
    transfer = session.get(CaseTransfer, parse_id(transfer_id, "transfer"))
    if transfer is None or transfer.to_organisation_id != staff.organisation_id:
        raise NotFound(f"transfer {transfer_id} not found")
    case = session.get(Case, transfer.case_id, with_for_update=True)
    if transfer.status != "pending":
        raise Conflict("this transfer has already been answered")
    if accept and (case.organisation_id != transfer.from_organisation_id or case.status != "open"):
        raise Conflict("the case is no longer open at the organisation that asked; decline the transfer")
    decision = "accepted" if accept else "declined"
    now = utcnow()
    # Conditional: two supervisors answering at once decide once.
    changed = session.execute(
        update(CaseTransfer).where(CaseTransfer.id == transfer.id, CaseTransfer.status == "pending")
        .values(status=decision, decided_by_id=staff.id, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict("this transfer has already been answered")
    session.refresh(transfer)
    if accept:
        # Theirs, outside any team and unassigned: their supervisors see it and assign it.
        case.organisation_id = staff.organisation_id
        case.team_id = case.assigned_to_id = case.assigned_at = None
        # A case arriving unassigned is like a new report: high risk within the hour, else within the usual time.
        hours = timelines.assign_high_risk_hours if case.risk_level == "high" else timelines.assign_hours
        schedule(session, "assignment", now + timedelta(hours=hours), case_id=case.id)
    receiver = session.get(Organisation, staff.organisation_id)
    _timeline(session, case.id, staff.id, f"{decision}: {receiver.name}")
    record_event(session, staff.id, f"transfer.{decision}", "case_transfer", transfer.id)
    if accept:
        record_event(session, staff.id, "case.transferred_in", "case", case.id)
    log.info("transfer %s of case %s %s", transfer.id, case.id, decision)
    return TransferAnswered(transfer, queue_transfer_answer_alert(session, transfer, case, sms_backend))


def incoming_transfers(session: Session, staff: Staff, page: int = 1) -> Page:
    """A page of the transfers waiting for this supervisor's organisation, oldest first: reference, risk and sender
    only."""
    if not may_decide_transfers(staff.role):
        return Page((), page, False)
    found = fetch_page(session, (
        select(CaseTransfer.id, Case.reference, Case.risk_level, Organisation.name, CaseTransfer.requested_at)
        .join(Case, Case.id == CaseTransfer.case_id)
        .join(Organisation, Organisation.id == CaseTransfer.from_organisation_id)
        .where(CaseTransfer.to_organisation_id == staff.organisation_id, CaseTransfer.status == "pending")
        .order_by(CaseTransfer.requested_at, CaseTransfer.id)), page)
    return replace(found, rows=tuple(IncomingTransfer(*row) for row in found.rows))


def outgoing_transfers(session: Session, staff: Staff, page: int = 1) -> Page:
    """A page of the transfers this supervisor asked for, or of cases they oversee, newest first."""
    if not may_decide_transfers(staff.role):
        return Page((), page, False)
    receiver = aliased(Organisation)
    found = fetch_page(session, (
        select(CaseTransfer.id, Case.reference, receiver.name, CaseTransfer.status, CaseTransfer.requested_at,
               CaseTransfer.decided_at)
        .join(Case, Case.id == CaseTransfer.case_id)
        .join(receiver, receiver.id == CaseTransfer.to_organisation_id)
        .where(CaseTransfer.from_organisation_id == staff.organisation_id,
               or_(CaseTransfer.requested_by_id == staff.id, visible_cases(staff)))
        .order_by(CaseTransfer.requested_at.desc(), CaseTransfer.id)), page)
    return replace(found, rows=tuple(OutgoingTransfer(*row) for row in found.rows))


def _timeline(session: Session, case_id: uuid.UUID, user_id: uuid.UUID, body: str) -> None:
    session.add(CaseEvent(case_id=case_id, kind="transfer", body=body, author_user_id=user_id, at=utcnow()))
    session.flush()
