"""Keeping only what the purpose needs (domain notes, "Retention"): message bodies, USSD session records and partners'
settled event deliveries after a few months, the personal data of reports turned down after a year, closed cases
anonymised after some years (casecore.cases.anonymise; never one under a legal hold, open or in a transfer), audit
events and the API's audit lines (api_call) after some years.

Rows stay where figures count them (a message sent, a report turned down, its concern and place); what identifies or
tells about someone goes. Every default is a setting (RETENTION_*), to confirm with each programme's data-sharing
protocol. Work is done in batches, each its own transaction, so the service runs on meanwhile; a dry run counts.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases.anonymise import ANONYMOUS_REPORT, anonymise_case
from casecore.cases.models import Case, CaseTransfer
from casecore.feedback.models import Feedback
from casecore.handoff.models import Handoff
from casecore.messaging.inbox import LIMITED, PROCESSED
from casecore.messaging.media_store import MediaStore
from casecore.messaging.models import InboundMedia, InboundMessage, OutboundMessage, UssdSessionEnd
from casecore.partners.models import ApiCall, EventDelivery
from casecore.reports.models import Report
from casecore.sealing import as_stored, stored_as_is

log = logging.getLogger(__name__)

BATCH = 1000
CASE_BATCH = 50  # a case touches some twenty tables
# Outbox rows past any use of their body by then: sent or not, held or of unknown outcome for months (a row
# still queued or being sent keeps it).
SETTLED_OUTBOUND = ("sent", "failed", "rerouted", "held", "unknown")
# Partners' event deliveries settled for good. Their data went when they settled; the row still says which partner
# heard of which report, case or complaint, and goes after as long as an outbox row keeps its body (message_days).
# A pending delivery, or one being sent, is never removed: it is still on its way.
SETTLED_DELIVERIES = ("delivered", "failed")
# Inbound messages handled, or never to be (over their number's limit).
HANDLED_INBOUND = (PROCESSED, LIMITED)
# Reports turned down or sent elsewhere at triage: not a case of the organisation, nothing to follow.
TURNED_DOWN = ("not_eligible", "duplicate", "referred")
REMOVED = ""  # what a removed message body becomes (the column holds text)
# Written as it is, not sealed: an empty text hides nothing, and the purge finds the bodies left without opening any.
_REMOVED = stored_as_is(REMOVED)
MEDIA_REMOVED = "retention"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of record keeps what identifies or tells about someone (RETENTION_* settings)."""

    message_days: int = 90
    ussd_session_days: int = 90
    rejected_report_days: int = 365
    audit_years: int = 7
    closed_case_years: int = 5

    @classmethod
    def from_settings(cls, settings) -> RetentionPolicy:
        """The policy the settings give; ValueError naming a setting below 1."""
        values = {"message_days": settings.RETENTION_MESSAGE_DAYS,
                  "ussd_session_days": settings.RETENTION_USSD_SESSION_DAYS,
                  "rejected_report_days": settings.RETENTION_REJECTED_REPORT_DAYS,
                  "audit_years": settings.RETENTION_AUDIT_YEARS,
                  "closed_case_years": settings.RETENTION_CLOSED_CASE_YEARS}
        for name, value in values.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"RETENTION_{name.upper()} must be a whole number of at least 1; got {value!r}")
        return cls(**values)


@dataclass
class Purged:
    """What a purge removed (or, in a dry run, would remove)."""

    inbound_bodies: int = 0
    outbound_bodies: int = 0
    ussd_sessions: int = 0
    event_deliveries: int = 0
    turned_down_reports: int = 0
    report_files: int = 0
    audit_events: int = 0
    api_calls: int = 0
    closed_cases: int = 0
    dry_run: bool = field(default=False)

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "dry_run"}


def _kept(body):
    """SQL: the sealed body has not been removed yet."""
    return as_stored(body) != REMOVED


def purge(unit_of_work: Callable[[], AbstractContextManager[Session]], policy: RetentionPolicy,
          media_store: MediaStore | None = None, *, now: datetime | None = None, dry_run: bool = False) -> Purged:
    """Remove what is past its time, batch by batch; returns the counts. A case is anonymised only closed for
    closed_case_years, under no legal hold and in no transfer."""
    now = now or utcnow()
    done = Purged(dry_run=dry_run)
    messages_before = now - timedelta(days=policy.message_days)
    done.inbound_bodies = _in_batches(unit_of_work, dry_run, select(InboundMessage.id).where(
        InboundMessage.status.in_(HANDLED_INBOUND), InboundMessage.received_at < messages_before,
        _kept(InboundMessage.body)), _statement(
        lambda ids: update(InboundMessage).where(InboundMessage.id.in_(ids)).values(body=_REMOVED)))
    done.outbound_bodies = _in_batches(unit_of_work, dry_run, select(OutboundMessage.id).where(
        OutboundMessage.status.in_(SETTLED_OUTBOUND), OutboundMessage.created_at < messages_before,
        _kept(OutboundMessage.body)), _statement(
        lambda ids: update(OutboundMessage).where(OutboundMessage.id.in_(ids)).values(body=_REMOVED)))
    done.ussd_sessions = _in_batches(unit_of_work, dry_run, select(UssdSessionEnd.id).where(
        UssdSessionEnd.received_at < now - timedelta(days=policy.ussd_session_days)), _statement(
        lambda ids: delete(UssdSessionEnd).where(UssdSessionEnd.id.in_(ids))))
    done.event_deliveries = _in_batches(unit_of_work, dry_run, select(EventDelivery.id).where(
        EventDelivery.status.in_(SETTLED_DELIVERIES), EventDelivery.occurred_at < messages_before), _statement(
        lambda ids: delete(EventDelivery).where(EventDelivery.id.in_(ids),
                                                EventDelivery.status.in_(SETTLED_DELIVERIES))))
    reports_before = now - timedelta(days=policy.rejected_report_days)
    turned_down = select(Report.id).where(
        Report.status.in_(TURNED_DOWN), func.coalesce(Report.decided_at, Report.received_at) < reports_before,
        or_(Report.description.is_not(None), Report.reporter_phone.is_not(None), Report.reporter_key.is_not(None)))
    done.report_files = _remove_report_files(unit_of_work, dry_run, reports_before, media_store)
    done.turned_down_reports = _in_batches(unit_of_work, dry_run, turned_down, _statement(
        lambda ids: update(Report).where(Report.id.in_(ids)).values(ANONYMOUS_REPORT)))
    done.closed_cases = _anonymise_closed_cases(
        unit_of_work, dry_run, now - timedelta(days=365 * policy.closed_case_years), media_store, now)
    audit_before = now - timedelta(days=365 * policy.audit_years)
    done.audit_events = _in_batches(unit_of_work, dry_run, select(AuditEvent.id).where(
        AuditEvent.at < audit_before), _statement(lambda ids: delete(AuditEvent).where(AuditEvent.id.in_(ids))))
    # The API's own audit trail (which token read or wrote what), kept as long as the staff's.
    done.api_calls = _in_batches(unit_of_work, dry_run, select(ApiCall.id).where(ApiCall.at < audit_before),
                                 _statement(lambda ids: delete(ApiCall).where(ApiCall.id.in_(ids))))
    log.info("retention %s: %s", "dry run" if dry_run else "purge", done.counts())
    return done


def _anonymise_closed_cases(unit_of_work, dry_run: bool, before: datetime, media_store: MediaStore | None,
                            now: datetime) -> int:
    """Closed cases past their time, one transaction a batch: each anonymised, and its families' comments removed."""
    transferring = select(CaseTransfer.case_id).where(CaseTransfer.status == "pending")
    query = select(Case.id).where(Case.status == "closed", Case.closed_at < before, Case.legal_hold.is_(False),
                                  Case.anonymised_at.is_(None), Case.id.not_in(transferring))

    def anonymise(session: Session, ids: list) -> list[str]:
        files, done = [], []
        for case_id in ids:
            removed = anonymise_case(session, case_id, now)
            if removed is not None:
                files += removed
                done.append(case_id)
        session.execute(update(Feedback).where(Feedback.case_id.in_(done)).values(comment=None)
                        .execution_options(synchronize_session=False))
        # What Relais last sent to CPIMS+ was kept as digests of names and dates: they go too.
        session.execute(update(Handoff).where(Handoff.case_id.in_(done)).values(record_sent=None)
                        .execution_options(synchronize_session=False))
        return files

    return _in_batches(unit_of_work, dry_run, query, anonymise, batch=CASE_BATCH, media_store=media_store)


def _remove_report_files(unit_of_work, dry_run: bool, before: datetime, media_store: MediaStore | None) -> int:
    """Photos and files of reports turned down long ago: the item kept as removed, the file deleted once that
    commits."""
    query = (select(InboundMedia.id).join(Report, Report.id == InboundMedia.report_id)
             .where(Report.status.in_(TURNED_DOWN), func.coalesce(Report.decided_at, Report.received_at) < before,
                    InboundMedia.case_id.is_(None), InboundMedia.storage_key.is_not(None)))

    def remove(session: Session, ids: list) -> list[str]:
        keys = list(session.scalars(select(InboundMedia.storage_key).where(InboundMedia.id.in_(ids))))
        session.execute(update(InboundMedia).where(InboundMedia.id.in_(ids))
                        .values(storage_key=None, source_url="", status="refused", reason=MEDIA_REMOVED)
                        .execution_options(synchronize_session=False))
        return keys

    return _in_batches(unit_of_work, dry_run, query, remove, media_store=media_store)


def _statement(build: Callable) -> Callable:
    """A change made of one statement over the batch's ids."""
    def change(session: Session, ids: list) -> None:
        session.execute(build(ids).execution_options(synchronize_session=False))
    return change


def _in_batches(unit_of_work, dry_run: bool, ids_query, change: Callable, batch: int = BATCH,
                media_store: MediaStore | None = None) -> int:
    """Apply change(session, ids) to the rows ids_query finds, batch at a time in id order (each batch committed,
    the next one found from the last id: no walk past rows done already); a change may return stored files to
    delete, which go once its batch committed. A dry run only counts."""
    if dry_run:
        with unit_of_work() as session:
            return session.scalar(select(func.count()).select_from(ids_query.subquery()))
    column = ids_query.selected_columns[0]
    total, last = 0, None
    while True:
        with unit_of_work() as session:
            page = ids_query.order_by(column).limit(batch)
            ids = list(session.scalars(page if last is None else page.where(column > last)))
            if not ids:
                return total
            files = change(session, ids) or []
        for key in files:
            if media_store is not None:
                media_store.delete(key)
        total, last = total + len(ids), ids[-1]
