"""Which case or report a received photo or file goes with.

The rule, applied to each item once, as soon as there is something to attach it to (whether or not its file has
been fetched yet; a refused item is attached too, so that staff see what was sent and why it was refused):

1. When its message has been handled (its dialogue played, so a report that very message completed exists): if the
   sender's number is linked to an open case, the item goes to that case, with a "media received" event in the
   case timeline (the type only, nothing of the content). Otherwise it goes to the newest report made by the same
   number (same reporter_key) within MEDIA_ATTACH_HOURS of the item. Otherwise it waits, unattached but kept.
   Earlier items of the same number still waiting are looked at again then, by the same rule.
2. When a report is created on any channel (its alert job): the number's items still waiting, received within
   MEDIA_ATTACH_HOURS before or after it, go to that report.
"""
from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore.cases.models import CaseEvent
from casecore.cases.opening import find_case_for_phone
from casecore.db import dialect_insert
from casecore.errors import NotFound
from casecore.ids import parse_id
from casecore.messaging.media_types import normalise_type
from casecore.messaging.models import InboundMedia, InboundMessage
from casecore.reports.models import Report

log = logging.getLogger(__name__)

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,60}")


def attach_sender_media(session: Session, *, phone: str, sender_key: str, now: datetime, window: timedelta) -> int:
    """Attach a number's waiting items received within window before now (rule 1); returns how many."""
    waiting = session.execute(
        select(InboundMedia.id, InboundMedia.created_at, InboundMedia.declared_type, InboundMessage.channel)
        .join(InboundMessage, InboundMessage.id == InboundMedia.inbound_message_id)
        .where(InboundMedia.sender_key == sender_key, InboundMedia.report_id.is_(None),
               InboundMedia.case_id.is_(None), InboundMedia.created_at >= now - window)
        .order_by(InboundMedia.created_at, InboundMedia.position)
    ).all()
    if not waiting:
        return 0
    case = find_case_for_phone(session, phone)
    if case is not None:
        for media_id, received_at, declared_type, channel in waiting:
            _attach(session, media_id, case_id=case.case_id)
            _timeline_event(session, case.case_id, media_id, declared_type, channel, received_at)
        log.info("case %s: %d media attached", case.case_id, len(waiting))
        return len(waiting)
    report = session.execute(
        select(Report.id, Report.received_at)
        .where(Report.reporter_key == sender_key, Report.received_at >= waiting[0].created_at - window)
        .order_by(Report.received_at.desc())
        .limit(1)
    ).first()
    if report is None:
        return 0
    near = [row.id for row in waiting if abs(report.received_at - row.created_at) <= window]
    for media_id in near:
        _attach(session, media_id, report_id=report.id)
    log.info("report %s: %d media attached", report.id, len(near))
    return len(near)


def attach_waiting_media(session: Session, report_id: str | uuid.UUID, window: timedelta) -> int:
    """Attach to a new report its reporter's waiting items received within window of it (rule 2); how many."""
    report = session.get(Report, parse_id(report_id, "report"))
    if report is None:
        raise NotFound(f"report {report_id} does not exist")
    if not report.reporter_key:
        return 0
    attached = session.execute(
        update(InboundMedia)
        .where(InboundMedia.sender_key == report.reporter_key, InboundMedia.report_id.is_(None),
               InboundMedia.case_id.is_(None),
               InboundMedia.created_at.between(report.received_at - window, report.received_at + window))
        .values(report_id=report.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if attached:
        log.info("report %s: %d waiting media attached", report.id, attached)
    return attached


def _attach(session: Session, media_id: uuid.UUID, **target: uuid.UUID) -> None:
    # Only an item still unattached: two jobs looking at once attach it once.
    session.execute(
        update(InboundMedia)
        .where(InboundMedia.id == media_id, InboundMedia.report_id.is_(None), InboundMedia.case_id.is_(None))
        .values(**target)
        .execution_options(synchronize_session=False)
    )


def _timeline_event(session: Session, case_id: uuid.UUID, media_id: uuid.UUID, declared_type: str, channel: str,
                    at: datetime) -> None:
    """The case timeline's "media received" entry: the type only, once per item."""
    session.execute(
        dialect_insert(session, CaseEvent.__table__)
        .values(id=uuid.uuid4(), case_id=case_id, kind="family_media", channel=channel,
                body=f"media received: {_plain_type(declared_type)}", source_key=f"media:{media_id}", at=at)
        .on_conflict_do_nothing(index_elements=["source_key"])
    )


def _plain_type(declared: str) -> str:
    """The declared type as a bare type/subtype: the sender chose it, so no other text reaches the timeline."""
    kind = normalise_type(declared)
    return kind if _MEDIA_TYPE.fullmatch(kind) else "unknown"
