"""Read-side queries for received photos and files: what a report page lists, and the file a download serves."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.errors import NotFound
from casecore.messaging.models import InboundMedia
from casecore.reports.models import Report


@dataclass(frozen=True)
class MediaRow:
    """One item as a report page lists it: its type (read from the file once stored), size, time and status."""

    id: uuid.UUID
    content_type: str
    size: int | None
    received_at: datetime
    status: str
    reason: str | None


@dataclass(frozen=True)
class MediaFile:
    """A stored item to serve: its key in the media store, its checked type, and a name made of our own ids."""

    id: uuid.UUID
    storage_key: str
    content_type: str
    report_reference: str
    position: int


def report_media(session: Session, report_id: uuid.UUID) -> list[MediaRow]:
    """The items attached to a report, oldest first (the caller has checked the report may be seen)."""
    rows = session.execute(
        select(InboundMedia.id, InboundMedia.stored_type, InboundMedia.declared_type, InboundMedia.size,
               InboundMedia.created_at, InboundMedia.status, InboundMedia.reason)
        .where(InboundMedia.report_id == report_id)
        .order_by(InboundMedia.created_at, InboundMedia.position)
    )
    return [MediaRow(media_id, stored or declared, size, at, status, reason)
            for media_id, stored, declared, size, at, status, reason in rows]


def media_file(session: Session, organisation_id: uuid.UUID, report_id: uuid.UUID, media_id: uuid.UUID) -> MediaFile:
    """A stored item of a report of this organisation; NotFound for anything else (another organisation's too)."""
    row = session.execute(
        select(InboundMedia.id, InboundMedia.storage_key, InboundMedia.stored_type, Report.reference,
               InboundMedia.position)
        .join(Report, Report.id == InboundMedia.report_id)
        .where(InboundMedia.id == media_id, Report.id == report_id, Report.organisation_id == organisation_id,
               InboundMedia.status == "stored")
    ).first()
    if row is None or not row.storage_key:
        raise NotFound(f"no stored media {media_id} on report {report_id}")
    return MediaFile(*row)
