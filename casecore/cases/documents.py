"""Documents and photos on a case: those staff attach (checked as WhatsApp files are: a size limit and a type read
from the file's first bytes among MEDIA_TYPES; kept in the shared media store under a key of ours), and the files a
family sent by WhatsApp that were attached to the case. Listed and downloaded only by those who may see the case;
every upload and download audited."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.access import require_case
from casecore.cases.casework import add_event, lock_case
from casecore.cases.record_models import CaseDocument
from casecore.errors import NotFound, Refused
from casecore.free_text import staff_text
from casecore.ids import parse_id
from casecore.messaging.media_store import MediaStore
from casecore.messaging.media_types import HEAD_BYTES, sniff_type
from casecore.messaging.models import InboundMedia
from casecore.people.models import User
from casecore.people.roles import Staff

TITLE_LENGTH = 200


@dataclass(frozen=True)
class DocumentRow:
    """A file on a case as the page lists it: staff's or the family's (by WhatsApp)."""

    id: uuid.UUID
    source: str  # staff or family
    kind: str | None
    title: str | None
    content_type: str
    size: int | None
    added_at: datetime
    added_by: str | None


@dataclass(frozen=True)
class StoredFile:
    """What a download serves."""

    storage_key: str
    content_type: str
    name: str


def add_document(session: Session, staff: Staff, case_id: str | uuid.UUID, *, kind: str, title: str | None,
                 data: bytes, store: MediaStore, max_bytes: int, allowed_types: frozenset[str]) -> uuid.UUID:
    """Attach a file to a case the person may see (open or closing); Refused when too big or not an allowed type."""
    case = lock_case(session, staff, case_id)
    if case.status == "closed":
        raise Refused("case_closed")
    if kind not in taxonomy.DOCUMENT_KINDS:
        raise Refused("document_kind")
    name = staff_text(title, "title", length=TITLE_LENGTH)
    if not data:
        raise Refused("document_empty")
    if len(data) > max_bytes:
        raise Refused("document_too_big")
    content_type = sniff_type(data[:HEAD_BYTES])
    if content_type is None or content_type not in allowed_types:
        raise Refused("document_type")
    key = store.put(data)
    row = CaseDocument(case_id=case.id, kind=kind, title=name, content_type=content_type, size=len(data),
                       sha256=hashlib.sha256(data).hexdigest(), storage_key=key, uploaded_by_id=staff.id,
                       uploaded_at=utcnow())
    session.add(row)
    session.flush()
    add_event(session, case.id, "document_added", staff.id, kind)
    record_event(session, staff.id, "case.document_added", "case_document", row.id)
    return row.id


def documents_of(session: Session, case_id: uuid.UUID) -> list[DocumentRow]:
    """Staff's documents and the family's stored WhatsApp files on the case, newest first (the caller has checked
    the person may see the case)."""
    rows = [DocumentRow(d.id, "staff", d.kind, d.title, d.content_type, d.size, d.uploaded_at, name)
            for d, name in session.execute(
                select(CaseDocument, User.display_name).outerjoin(User, User.id == CaseDocument.uploaded_by_id)
                .where(CaseDocument.case_id == case_id))]
    rows += [DocumentRow(m.id, "family", None, None, m.stored_type, m.size, m.created_at, None)
             for m in session.scalars(select(InboundMedia).where(InboundMedia.case_id == case_id,
                                                                 InboundMedia.status == "stored"))]
    return sorted(rows, key=lambda row: row.added_at, reverse=True)


def file_for_download(session: Session, staff: Staff, case_id: str | uuid.UUID, source: str,
                      file_id: str | uuid.UUID) -> StoredFile:
    """The stored file of a case the person may see; NotFound otherwise. The download is audited."""
    case = require_case(session, staff, case_id)
    key = parse_id(file_id, "file")
    if source == "staff":
        document = session.get(CaseDocument, key)
        if document is None or document.case_id != case.id:
            raise NotFound(f"no document {file_id}")
        record_event(session, staff.id, "case.document_downloaded", "case_document", document.id)
        return StoredFile(document.storage_key, document.content_type, f"{case.reference}-{document.kind}")
    media = session.get(InboundMedia, key)
    if media is None or media.case_id != case.id or media.status != "stored" or not media.storage_key:
        raise NotFound(f"no media {file_id}")
    record_event(session, staff.id, "media.downloaded", "media", media.id)
    return StoredFile(media.storage_key, media.stored_type, f"{case.reference}-family-{media.position + 1}")
