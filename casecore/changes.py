"""Changes a transaction made that systems outside may hear of (partners' event subscriptions).

The feature making a change notes it on the session as it happens; casecore.partners.events turns the notes into
event rows just before the commit, in the same transaction, so an event is never lost nor left behind by a rollback.
Noting costs a dictionary entry: the intake paths stay as fast as they were.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy.orm import Session

REPORT_CREATED = "report.created"
CASE_OPENED = "case.opened"
CASE_UPDATED = "case.updated"
COMPLAINT_CREATED = "complaint.created"
KINDS = (REPORT_CREATED, CASE_OPENED, CASE_UPDATED, COMPLAINT_CREATED)

_NOTED = "relais.changes"


@dataclass
class Change:
    """One thing changed in the transaction: its kind, what it is about, whose it is, and which fields changed."""

    kind: str
    subject_id: uuid.UUID
    organisation_id: uuid.UUID
    fields: set[str] = field(default_factory=set)


def note_change(session: Session, kind: str, subject_id: uuid.UUID, organisation_id: uuid.UUID,
                fields: Iterable[str] = ()) -> None:
    """Note a change made in session's transaction; noted again, its fields add up and its organisation is the last."""
    noted: dict[tuple[str, uuid.UUID], Change] = session.info.setdefault(_NOTED, {})
    change = noted.get((kind, subject_id))
    if change is None:
        noted[(kind, subject_id)] = Change(kind, subject_id, organisation_id, set(fields))
    else:
        change.organisation_id = organisation_id
        change.fields.update(fields)


def take_changes(session: Session) -> list[Change]:
    """The changes noted so far, in the order noted, forgotten by the session."""
    return list(session.info.pop(_NOTED, {}).values())


def forget_changes(session: Session) -> None:
    """Drop what was noted (the transaction rolled back: none of it happened)."""
    session.info.pop(_NOTED, None)
