"""Feedback from community members: a rating and an optional comment, stored once, without the number.

An answer is tied to what the number was asked: the latest survey the system sent it (at closure, after a
service) and not yet answered, within the answer window; else to the number's case; else it is general.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.cases.models import Case, CaseContact, CaseEvent, FeedbackRequest, Referral
from casecore.cases.opening import find_case_for_feedback
from casecore.db import dialect_insert
from casecore.errors import InvalidInput, InvalidPhoneNumber
from casecore.feedback.models import Feedback
from casecore.free_text import short_text
from casecore.phones import sender_phone

log = logging.getLogger(__name__)

COMMENT_LENGTH = 500
# FEEDBACK_ANSWER_DAYS when no setting is given.
ANSWER_DAYS = 30


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
    # From link_feedback: the service and survey answered, what the answer is about (None: "case" with a case,
    # else "general") and who was asked.
    referral_id: uuid.UUID | None = None
    about: str | None = None
    audience: str | None = None
    request_id: uuid.UUID | None = None


@dataclass(frozen=True)
class FeedbackLink:
    """What an answer from a number is about; organisation_id None when it is linked to nothing."""

    organisation_id: uuid.UUID | None
    case_id: uuid.UUID | None
    about: str
    referral_id: uuid.UUID | None = None
    audience: str | None = None
    request_id: uuid.UUID | None = None


def link_feedback(session: Session, phone: str, *, answer_days: int = ANSWER_DAYS,
                  now: datetime | None = None) -> FeedbackLink:
    """What feedback from this number answers: its latest unanswered survey asked within answer_days, else its
    open case or one closed recently (about the case), else nothing (general)."""
    now = now or utcnow()
    asked = latest_request(session, phone, since=now - timedelta(days=answer_days))
    if asked is not None:
        request, organisation_id = asked
        return FeedbackLink(organisation_id, request.case_id, request.kind, request.referral_id, request.audience,
                            request.id)
    case = find_case_for_feedback(session, phone, now)
    if case is not None:
        return FeedbackLink(case.organisation_id, case.case_id, "case")
    return FeedbackLink(None, None, "general")


def latest_request(session: Session, phone: str, since: datetime) -> tuple[FeedbackRequest, uuid.UUID] | None:
    """The survey this number was asked last since `since` and has not answered, with the case's organisation."""
    try:
        e164 = sender_phone(phone)
    except InvalidPhoneNumber:
        return None
    row = session.execute(
        select(FeedbackRequest, Case.organisation_id)
        .join(CaseContact, CaseContact.id == FeedbackRequest.contact_id)
        .join(Case, Case.id == FeedbackRequest.case_id)
        .where(CaseContact.phone == e164, FeedbackRequest.answered_at.is_(None), FeedbackRequest.asked_at >= since)
        # The closure asks the adult and the child at once: the first answer is taken as the adult's.
        .order_by(FeedbackRequest.asked_at.desc(),
                  sql_case((FeedbackRequest.audience == "child", 1), else_=0), FeedbackRequest.id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def record_feedback(session: Session, draft: FeedbackDraft) -> uuid.UUID:
    """Store the feedback once per source_key and return its id; the case's timeline only learns it arrived."""
    _validate(draft)
    case_worker_id = None
    if draft.case_id is not None:
        owner, case_worker_id = session.execute(select(Case.organisation_id, Case.assigned_to_id)
                                                .where(Case.id == draft.case_id)).first() or (None, None)
        if owner != draft.organisation_id:
            raise InvalidInput("feedback is linked to a case of its own organisation")
    if draft.referral_id is not None:
        if session.scalar(select(Referral.case_id).where(Referral.id == draft.referral_id)) != draft.case_id:
            raise InvalidInput("feedback about a service is linked to the referral's case")
    feedback_id = uuid.uuid4()
    now = utcnow()
    about = draft.about or ("case" if draft.case_id is not None else "general")
    inserted = session.execute(
        dialect_insert(session, Feedback.__table__)
        .values(id=feedback_id, organisation_id=draft.organisation_id, case_id=draft.case_id,
                referral_id=draft.referral_id, about=about, audience=draft.audience, case_worker_id=case_worker_id,
                channel=draft.channel, source_key=draft.source_key, rating=draft.rating,
                comment=short_text(draft.comment, COMMENT_LENGTH), language=draft.language, received_at=now)
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(Feedback.__table__.c.id)
    ).first()
    if inserted is None:
        return session.scalar(select(Feedback.id).where(Feedback.source_key == draft.source_key))
    if draft.request_id is not None:
        # Conditional: of two answers arriving at once, one marks the survey answered; the other keeps its links.
        session.execute(
            update(FeedbackRequest)
            .where(FeedbackRequest.id == draft.request_id, FeedbackRequest.answered_at.is_(None))
            .values(answered_at=now, feedback_id=feedback_id)
            .execution_options(synchronize_session=False))
    if draft.case_id is not None:
        # No rating, no comment: the case worker must not read a family's feedback about them (issue 6).
        session.add(CaseEvent(case_id=draft.case_id, kind="feedback", channel=draft.channel, body=None, at=now))
        session.flush()
    log.info("feedback %s received on %s (%s)", feedback_id, draft.channel, about)
    return feedback_id


def _validate(draft: FeedbackDraft) -> None:
    taxonomy.require(draft.channel, taxonomy.CHANNELS, "channel")
    taxonomy.require(draft.language, taxonomy.COMMUNITY_LANGUAGES, "language")
    if draft.about is not None:
        taxonomy.require(draft.about, taxonomy.FEEDBACK_ABOUT, "feedback subject")
    if draft.audience is not None:
        taxonomy.require(draft.audience, taxonomy.FEEDBACK_AUDIENCES, "audience")
    if draft.about in ("service", "closure", "case") and draft.case_id is None:
        raise InvalidInput("feedback about a service, a closure or a case is linked to that case")
    # bool is an int in Python, and 4.5 == 4.5: only the whole numbers offered are ratings.
    if type(draft.rating) is not int or draft.rating not in taxonomy.FEEDBACK_RATINGS:
        raise InvalidInput(f"a rating is one of {taxonomy.FEEDBACK_RATINGS}")
    if not draft.source_key or len(draft.source_key) > 200:
        raise InvalidInput("a source key of 1 to 200 characters is required")
