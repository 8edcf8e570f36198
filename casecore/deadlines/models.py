"""A deadline on a report or a case, met or not, and when its alerts went out."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk


class CaseDeadline(Base):
    """A date a case (or a report's assignment) must meet: warned before, alerted when it passes, met once."""

    __tablename__ = "case_deadline"
    __table_args__ = (
        Index("ix_case_deadline_open_due", "met_at", "due_at"),
        # A case's next open deadline in one index seek (the case list asks it for every case it shows).
        Index("ix_case_deadline_case_open", "case_id", "met_at", "due_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_file.id"), index=True)
    report_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("report.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # taxonomy.DEADLINE_KINDS
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    met_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    warned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # the case worker was told it is near
    overdue_alerted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)  # the supervisor was told it passed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
