"""The hand-off queue, like the outbox: a row per report written with the decision, claimed by one job at a time,
settled by what Primero answered, tried again with backoff, failed and shown when it cannot succeed.

Primero creates the case under an id derived from the report (primero_id_for), and answers a repeat with 409: a
resend can never create a second case. An outcome Primero did not give (a timeout after the request went, a
worker killed during the call) is settled by looking the case up before anything is sent again.
"""
from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.db import dialect_insert
from casecore.deadlines.timelines import meet
from casecore.handoff.models import Handoff, HandoffPause
from casecore.handoff.record import Sent
from casecore.ids import parse_id
from casecore.reports.models import Report

log = logging.getLogger(__name__)

# The namespace of the ids Primero cases are created under (uuid5 of the report's id): fixed for ever, since a
# changed namespace would let a resend create a second case.
PRIMERO_ID_NAMESPACE = uuid.UUID("5c0f1a3e-8d2b-4e6f-9a7c-2b1d0e3f4a5b")
# Backoff between tries when Primero cannot take a case now: doubling from the first, at most the last.
FIRST_BACKOFF = timedelta(seconds=30)
LONGEST_BACKOFF = timedelta(hours=1)
# A look-up after an unknown outcome waits this long, so Primero has finished what it was doing.
UNKNOWN_WAIT = timedelta(seconds=60)

# What create_case answered (channels.primero.client), as the queue settles it.
CREATED, ALREADY_THERE, INVALID, NOT_AUTHORISED, TRY_LATER, UNKNOWN = (
    "created", "already_there", "invalid", "not_authorised", "try_later", "unknown")


@dataclass(frozen=True)
class Claim:
    """A hand-off a job may send now: its row, the job's claim, and whether Primero must be asked first."""

    handoff_id: uuid.UUID
    token: str
    report_id: uuid.UUID
    primero_id: uuid.UUID
    look_up_first: bool


def primero_id_for(report_id: uuid.UUID) -> uuid.UUID:
    """The id the report's Primero case is created under (lowercase in JSON, as Primero wants, §2)."""
    return uuid.uuid5(PRIMERO_ID_NAMESPACE, f"relais-report:{report_id}")


def queue_handoff(session: Session, report_id: uuid.UUID, organisation_id: uuid.UUID, trigger: str, *,
                  case_id: uuid.UUID | None = None, actor_id: uuid.UUID | None = None) -> uuid.UUID:
    """Write the report's hand-off row (once: a second call returns the first row's id) in the caller's transaction."""
    taxonomy.require(trigger, taxonomy.HANDOFF_MODES[1:], "hand-off trigger")
    row_id = uuid.uuid4()
    inserted = session.execute(
        dialect_insert(session, Handoff.__table__)
        .values(id=row_id, report_id=report_id, organisation_id=organisation_id, case_id=case_id,
                primero_id=primero_id_for(report_id), trigger=trigger, status="waiting", attempts=0,
                created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(Handoff.__table__.c.id)
    ).first()
    if inserted is None:
        return session.scalar(select(Handoff.id).where(Handoff.report_id == report_id))
    record_event(session, actor_id, "handoff.queued", "report", report_id)
    log.info("report %s: hand-off %s queued (%s)", report_id, row_id, trigger)
    return row_id


def hand_over_new_report(session: Session, report_id: uuid.UUID) -> uuid.UUID | None:
    """A report of an on_report organisation: no decision in Relais, straight to Primero (which triages it).

    Returns the hand-off's id, or None when a supervisor decided the report already (Relais's decision stands).
    """
    report = session.get(Report, report_id, with_for_update=True)
    if report is None or report.status != "new":
        return None
    report.status, report.decided_at = "handed_over", utcnow()
    # Deciding is done in CPIMS+ now: Relais's assignment deadline no longer waits for a decision here.
    meet(session, "assignment", report_id=report.id)
    return queue_handoff(session, report.id, report.organisation_id, "on_report")


def claim_handoff(session: Session, handoff_id: str | uuid.UUID, now: datetime | None = None) -> Claim | None:
    """Claim a hand-off that is due, for this job alone; None when it is not due, taken, settled or paused."""
    now = now or utcnow()
    key = parse_id(handoff_id, "hand-off")
    if is_paused(session):
        return None
    row = session.execute(select(Handoff.status, Handoff.report_id, Handoff.primero_id)
                          .where(Handoff.id == key)).first()
    if row is None or row.status not in ("waiting", "unknown"):
        return None
    token = secrets.token_hex(8)
    claimed = session.execute(
        update(Handoff)
        .where(Handoff.id == key, Handoff.status == row.status,
               or_(Handoff.next_attempt_at.is_(None), Handoff.next_attempt_at <= now))
        .values(status="sending", claim=token, claimed_at=now, attempts=Handoff.attempts + 1, last_tried_at=now,
                first_tried_at=func.coalesce(Handoff.first_tried_at, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return None
    return Claim(key, token, row.report_id, row.primero_id, look_up_first=row.status == "unknown")


def record_outcome(session: Session, claim: Claim, kind: str, *, reason: str = "", fields: tuple[str, ...] = (),
                   retry_after: float | None = None, retry_hours: float, record_version: int,
                   now: datetime | None = None) -> str | None:
    """Settle a claimed hand-off by what Primero answered; returns its new status, or None when the claim was lost
    (the row was settled meanwhile: whatever this job saw changes nothing). record_version: the case's when the
    payload was built."""
    now = now or utcnow()
    handoff = session.get(Handoff, claim.handoff_id, with_for_update=True, populate_existing=True)
    if handoff is None or handoff.status != "sending" or handoff.claim != claim.token:
        return None
    handoff.claim, handoff.claimed_at = None, None
    if kind in (CREATED, ALREADY_THERE):
        handoff.status, handoff.sent_at, handoff.next_attempt_at = "sent", now, None
        # The payload, built at the claim, held the record as it stood then (remembered as sent: Sent). A case
        # found there was made by an earlier try's payload, which may have held less: it all goes again.
        if kind == CREATED:
            handoff.record_version_synced, handoff.record_synced_at = record_version, now
        else:
            sent = Sent(handoff.record_sent)
            sent.forget_values()
            handoff.record_version_synced, handoff.record_sent = 0, sent.as_json()
        handoff.reason, handoff.invalid_fields = None, None
        record_event(session, None, "handoff.sent", "report", handoff.report_id)
    elif kind == INVALID:
        # The same record would be refused again: it waits for the mapping to be fixed and a person to retry it.
        handoff.status, handoff.reason, handoff.invalid_fields = "failed", _short(reason), list(fields)
        record_event(session, None, "handoff.refused", "report", handoff.report_id)
    elif kind == NOT_AUTHORISED:
        # Configuration, not data: this row waits unharmed while every hand-off stops (pause).
        handoff.status, handoff.reason, handoff.next_attempt_at = "waiting", _short(reason), None
        handoff.attempts = max(handoff.attempts - 1, 0)
        pause(session, reason)
    elif _retried_too_long(handoff, now, retry_hours):
        handoff.status = "failed"
        handoff.reason = _short(f"Primero did not take it for {retry_hours:g} hours; last: {reason}")
        record_event(session, None, "handoff.failed", "report", handoff.report_id)
    elif kind == UNKNOWN:
        # Looked up, not resent: after a first short wait, as often as a retry would be.
        handoff.status, handoff.reason = "unknown", _short(reason)
        wait = max(UNKNOWN_WAIT, backoff(handoff.attempts), timedelta(seconds=retry_after or 0))
        handoff.next_attempt_at = now + wait
    else:  # TRY_LATER
        wait = max(backoff(handoff.attempts), timedelta(seconds=retry_after or 0))
        handoff.status, handoff.reason, handoff.next_attempt_at = "waiting", _short(reason), now + wait
    session.flush()
    log.info("hand-off %s: %s -> %s", handoff.id, kind, handoff.status)
    return handoff.status


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after this many."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), LONGEST_BACKOFF)


def mark_stale_claims_unknown(session: Session, claimed_before: datetime, now: datetime | None = None) -> int:
    """Claims older than claimed_before belong to jobs that died during the call: Primero may have the case, so
    it is looked up (due now) before anything is sent again."""
    return session.execute(
        update(Handoff).where(Handoff.status == "sending", Handoff.claimed_at < claimed_before)
        .values(status="unknown", claim=None, claimed_at=None, next_attempt_at=now or utcnow(),
                reason="the job sending it stopped during the call")
        .execution_options(synchronize_session=False)
    ).rowcount


def handoffs_due(session: Session, now: datetime, waiting_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Hand-offs to send now: due retries, outcomes to settle, and new rows whose first job was lost."""
    if is_paused(session):
        return []
    return list(session.scalars(
        select(Handoff.id).where(
            Handoff.status.in_(("waiting", "unknown")),
            or_(Handoff.next_attempt_at <= now,
                Handoff.next_attempt_at.is_(None) & (Handoff.created_at < waiting_before)))
        .order_by(Handoff.created_at).limit(limit)))


def retry_failed(session: Session, handoff_id: str | uuid.UUID, organisation_id: uuid.UUID,
                 user_id: uuid.UUID) -> bool:
    """Send a failed hand-off again (after the mapping was fixed): a fresh retry window; False if not failed."""
    key = parse_id(handoff_id, "hand-off")
    retried = session.execute(
        update(Handoff).where(Handoff.id == key, Handoff.organisation_id == organisation_id,
                              Handoff.status == "failed")
        .values(status="waiting", next_attempt_at=None, first_tried_at=None, attempts=0, invalid_fields=None)
        .execution_options(synchronize_session=False)).rowcount
    if retried:
        record_event(session, user_id, "handoff.retried", "primero_handoff", key)
    return bool(retried)


def is_paused(session: Session) -> bool:
    """Whether hand-offs are stopped until an administrator resumes them."""
    return session.scalar(select(HandoffPause.id).where(HandoffPause.resumed_at.is_(None)).limit(1)) is not None


def current_pause(session: Session) -> HandoffPause | None:
    """The pause in force, if any."""
    return session.scalar(select(HandoffPause).where(HandoffPause.resumed_at.is_(None))
                          .order_by(HandoffPause.paused_at).limit(1))


def pause(session: Session, reason: str) -> HandoffPause | None:
    """Stop every hand-off (Primero refused the account or the role); returns the new pause, None if one was on."""
    if is_paused(session):
        return None
    stopped = HandoffPause(reason=_short(reason))
    session.add(stopped)
    session.flush()
    record_event(session, None, "handoff.paused", "primero_pause", stopped.id)
    log.error("hand-offs to Primero paused: %s", stopped.reason)
    return stopped


def resume(session: Session, user_id: uuid.UUID) -> bool:
    """An administrator fixed the account: hand-offs go again; False when none was paused."""
    now = utcnow()
    stopped = current_pause(session)
    resumed = session.execute(update(HandoffPause).where(HandoffPause.resumed_at.is_(None))
                              .values(resumed_at=now, resumed_by_id=user_id)
                              .execution_options(synchronize_session=False)).rowcount
    if resumed:
        # The time stopped does not count against the retry window (the account failed, not Primero): each row's
        # window moves on by the pause's length, and what waited goes at once.
        for handoff in session.scalars(select(Handoff).where(Handoff.status.in_(("waiting", "unknown")),
                                                             Handoff.first_tried_at.is_not(None))):
            handoff.first_tried_at = min(handoff.first_tried_at + (now - stopped.paused_at), now)
        session.execute(update(Handoff).where(Handoff.status.in_(("waiting", "unknown")))
                        .values(next_attempt_at=None).execution_options(synchronize_session=False))
        record_event(session, user_id, "handoff.resumed", "primero_pause", None)
    return bool(resumed)


def _retried_too_long(handoff: Handoff, now: datetime, retry_hours: float) -> bool:
    return handoff.first_tried_at is not None and now - handoff.first_tried_at >= timedelta(hours=retry_hours)


def _short(text: str) -> str:
    return (text or "")[:300]
