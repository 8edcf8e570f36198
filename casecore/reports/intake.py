"""Receiving a community report: validate, normalise, store once, with a reference code."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.changes import REPORT_CREATED, note_change
from casecore.db import find_by_channel_session
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import Timelines
from casecore.errors import InvalidInput, InvalidPhoneNumber
from casecore.free_text import short_text
from casecore.people.models import Location
from casecore.phones import is_business_scoped_id, normalise_phone
from casecore.references import new_reference
from casecore.reports.committees import active_member_for
from casecore.reports.models import Report
from casecore.sealing import lookup_key

log = logging.getLogger(__name__)

DESCRIPTION_LENGTH = 500


@dataclass(frozen=True)
class ReportDraft:
    """Everything a conversation collected, in list-of-values codes."""

    channel: str
    channel_session_id: str | None
    reporter_phone: str | None
    language: str
    concern: str
    danger_now: bool
    child_sex: str
    child_age_band: str
    location_code: str | None
    may_contact: bool
    consent_to_share: bool
    answers: dict[str, Any] = field(default_factory=dict)
    kind: str = "child_at_risk"
    description: str | None = None
    # phones.phone_key of the reporter's number, given even when the report is anonymous.
    reporter_key: str | None = None
    last_seen: str | None = None
    relationship: str | None = None


@dataclass(frozen=True)
class SubmittedReport:
    """What the reporter and the alerting job need to know about a stored report."""

    id: uuid.UUID
    reference: str
    urgent: bool
    is_new: bool


def is_urgent(draft: ReportDraft) -> bool:
    """A child in danger right now, a missing child, or a concern calling for immediate escalation is seen first."""
    return draft.danger_now or draft.kind == "tracing" or draft.concern in taxonomy.ESCALATION_CONCERNS


# Built once per dialect so the compiled form is cached. The place is resolved inside the INSERT from the menu's
# p-code (an unknown code leaves it empty; the code stays in answers), and so is the committee member whose number
# made the report (only a number kept with consent can match). A clash on the session or the reference inserts
# nothing instead of raising, so no savepoint is needed around it.
_INSERT_REPORT = {
    name: dialect.insert(Report.__table__)
    .values(location_id=select(Location.id).where(Location.code == bindparam("location_code")).scalar_subquery(),
            committee_member_id=active_member_for(bindparam("member_organisation_id"), bindparam("member_phone_key")))
    .on_conflict_do_nothing()
    .returning(Report.__table__.c.id)  # no row back means nothing was inserted (rowcount is -1 on psycopg)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# Built once, its values given at execution: .values(...) on each report built a new statement and its cache key
# (a twentieth of the last USSD step's CPU).
_INSERT_DEADLINE = CaseDeadline.__table__.insert()


def submit_report(
    session: Session, draft: ReportDraft, *, organisation_id: uuid.UUID, default_region: str,
    timelines: Timelines | None = None,
) -> SubmittedReport:
    """Store the report once per channel session and return its reference; a retried submit returns the first.

    One INSERT and nothing else on the common path (this runs inside the last USSD step, which must stay fast),
    plus, with timelines, the INSERT of the date by which it must be assigned (else the scheduler adds it).
    """
    _validate(draft)
    answers = dict(draft.answers)
    phone = None
    # Written from a WhatsApp business-scoped id, the reporter hid their number: anonymous to every call and SMS.
    reachable = not is_business_scoped_id(draft.reporter_phone)
    if draft.reporter_phone and reachable:
        try:
            phone = normalise_phone(draft.reporter_phone, default_region)
        except InvalidPhoneNumber:
            # Keep what the provider sent so a case worker can still read it; never drop the report.
            answers["reporter_phone_unparsed"] = draft.reporter_phone
    urgent = is_urgent(draft)
    values = dict(
        organisation_id=organisation_id,
        kind=draft.kind,
        channel=draft.channel,
        channel_session_id=draft.channel_session_id,
        reporter_phone=phone,
        language=draft.language,
        concern=draft.concern,
        danger_now=draft.danger_now,
        urgent=urgent,
        child_sex=draft.child_sex,
        child_age_band=draft.child_age_band,
        location_code=draft.location_code,
        may_contact=draft.may_contact and reachable,
        consent_to_share=draft.consent_to_share,
        reporter_key=draft.reporter_key,
        last_seen=draft.last_seen,
        relationship=draft.relationship,
        description=short_text(draft.description, DESCRIPTION_LENGTH),
        answers=answers,
        received_at=utcnow(),
    )
    connection = session.connection()
    statement = _INSERT_REPORT[connection.dialect.name]
    for _ in range(5):
        report_id, reference = uuid.uuid4(), new_reference()
        inserted = connection.execute(statement, {"id": report_id, "reference": reference, **values,
                                                  "member_organisation_id": organisation_id,
                                                  "member_phone_key": phone and lookup_key(phone)}).first()
        if inserted is None:
            # Either the same session was submitted again (AT retries), or the reference collided: draw again.
            existing = find_by_channel_session(session, Report, draft.channel, draft.channel_session_id)
            if existing is not None:
                return SubmittedReport(existing.id, existing.reference, existing.urgent, is_new=False)
            continue
        log.info("report %s received on %s (urgent=%s)", report_id, draft.channel, urgent)
        # Partners subscribed to new reports hear of it from this transaction (casecore.partners.events).
        note_change(session, REPORT_CREATED, report_id, organisation_id)
        if timelines is not None:
            received_at = values["received_at"]
            connection.execute(_INSERT_DEADLINE, {
                "id": uuid.uuid4(), "report_id": report_id, "kind": "assignment", "created_at": received_at,
                "due_at": timelines.assignment_due(received_at, urgent)})
        return SubmittedReport(report_id, reference, urgent, is_new=True)
    raise RuntimeError("could not allocate a unique reference")


def _validate(draft: ReportDraft) -> None:
    taxonomy.require(draft.channel, taxonomy.CHANNELS, "channel")
    taxonomy.require(draft.language, taxonomy.COMMUNITY_LANGUAGES, "language")
    taxonomy.require(draft.concern, taxonomy.PROTECTION_CONCERNS, "protection concern")
    taxonomy.require(draft.child_sex, taxonomy.CHILD_SEXES, "sex")
    taxonomy.require(draft.child_age_band, taxonomy.AGE_BANDS, "age band")
    taxonomy.require(draft.kind, taxonomy.REPORT_KINDS, "report kind")
    if draft.last_seen is not None:
        taxonomy.require(draft.last_seen, taxonomy.LAST_SEEN, "last seen")
    if draft.relationship is not None:
        taxonomy.require(draft.relationship, taxonomy.RELATIONSHIPS, "relationship")
    if draft.reporter_key is not None and not 0 < len(draft.reporter_key) <= 64:
        raise InvalidInput("a reporter key has 1 to 64 characters")
