"""A community member's rating of the service."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedText


class Feedback(Base):
    """A community member's rating of the service; no phone number is kept."""

    __tablename__ = "feedback"
    # The feedback page reads an organisation's answers over a period.
    __table_args__ = (Index("ix_feedback_org_received", "organisation_id", "received_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    case_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("case_file.id"))
    channel: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(200), unique=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[Optional[str]] = mapped_column(SealedText)
    language: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the answer is about (taxonomy.FEEDBACK_ABOUT): a referral's service, the closure, the case, or nothing
    # known; and who answered (adult or child) when the survey asked one of them.
    referral_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("referral.id"))
    about: Mapped[str] = mapped_column(String(16), default="general")
    audience: Mapped[Optional[str]] = mapped_column(String(8))
    # The case's worker when the answer came: "your cases" figures stay as they were when a case changes hands
    # (counted by today's worker, moving a case would tell its family's rating by difference).
    case_worker_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"))
