"""Feedback from community members: a rating and an optional comment, stored once, without the number."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.db import dialect_insert
from casecore.errors import InvalidInput
from casecore.models import Case, CaseEvent, Feedback, utcnow
from casecore.free_text import short_text

log = logging.getLogger(__name__)

COMMENT_LENGTH = 500


@dataclass(frozen=True)
class FeedbackDraft:
    """What the feedback conversation collected; source_key names the conversation, for idempotency."""

    organisation_id: uuid.UUID
    channel: str
    source_key: str
    rating: int
    comment: str | None
    language: str
    case_id: uuid.UUID | None = None


def record_feedback(session: Session, draft: FeedbackDraft) -> uuid.UUID:
    """Store the feedback once per source_key and return its id; the case's timeline only learns it arrived."""
    _validate(draft)
    if draft.case_id is not None:
        owner = session.scalar(select(Case.organisation_id).where(Case.id == draft.case_id))
        if owner != draft.organisation_id:
            raise InvalidInput("feedback is linked to a case of its own organisation")
    feedback_id = uuid.uuid4()
    now = utcnow()
    inserted = session.execute(
        dialect_insert(session, Feedback.__table__)
        .values(id=feedback_id, organisation_id=draft.organisation_id, case_id=draft.case_id,
                channel=draft.channel, source_key=draft.source_key, rating=draft.rating,
                comment=short_text(draft.comment, COMMENT_LENGTH), language=draft.language, received_at=now)
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(Feedback.__table__.c.id)
    ).first()
    if inserted is None:
        return session.scalar(select(Feedback.id).where(Feedback.source_key == draft.source_key))
    if draft.case_id is not None:
        # No rating, no comment: the case worker must not read a family's feedback about them (issue 6).
        session.add(CaseEvent(case_id=draft.case_id, kind="feedback", channel=draft.channel, body=None, at=now))
        session.flush()
    log.info("feedback %s received on %s", feedback_id, draft.channel)
    return feedback_id


def _validate(draft: FeedbackDraft) -> None:
    taxonomy.require(draft.channel, taxonomy.CHANNELS, "channel")
    taxonomy.require(draft.language, taxonomy.COMMUNITY_LANGUAGES, "language")
    # bool is an int in Python, and 4.5 == 4.5: only the whole numbers offered are ratings.
    if type(draft.rating) is not int or draft.rating not in taxonomy.FEEDBACK_RATINGS:
        raise InvalidInput(f"a rating is one of {taxonomy.FEEDBACK_RATINGS}")
    if not draft.source_key or len(draft.source_key) > 200:
        raise InvalidInput("a source key of 1 to 200 characters is required")
