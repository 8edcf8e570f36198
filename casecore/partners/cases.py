"""Cases for partners: an organisation's cases as a partner system reads them, under need-to-know.

A token sees its organisation's cases: a case transferred to another organisation is theirs once they accepted it
(casecore.cases.transfers moves Case.organisation_id), so it leaves the sender's reads and joins the receiver's.
What is personal (the child's names, date of birth and address, the relatives' names, the family's numbers, free
text and the timeline) is read only when the caller may have it; numbers stay masked as the case page shows them,
since no role of any organisation sees them whole.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.cases.models import Case, CaseContact, CaseEvent, Referral
from casecore.cases.record_models import CaseCaregiver, ChildRegistration
from casecore.deadlines.models import CaseDeadline
from casecore.directory.models import Service
from casecore.errors import NotFound
from casecore.partners.paging import ListFilters, page_query
from casecore.partners.tokens import TokenHolder
from casecore.people.models import User
from casecore.phones import mask_phone
from casecore.references import clean_reference
from casecore.reports.models import Report

# Case.reference's column length.
REFERENCE_LENGTH = 16
NAME_FIELDS = ("name_first", "name_middle", "name_last", "name_nickname", "name_other")


@dataclass(frozen=True)
class DeadlineRow:
    """A date the case must meet, and when it was met (None: not yet)."""

    kind: str
    due_at: datetime
    met_at: datetime | None


@dataclass(frozen=True)
class ReferralRow:
    """A referral to a service of the directory; the notes only for a caller with personal data."""

    provider_name: str
    service_type: str
    status: str
    declined_because: str | None
    created_at: datetime
    updated_at: datetime
    notes: str | None = None
    counter_referral_notes: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of the case's timeline, and the display name of the staff member who wrote it."""

    at: datetime
    kind: str
    channel: str | None
    body: str | None
    author: str | None


@dataclass(frozen=True)
class Relative:
    """A relative or caregiver of the child, as registered."""

    relation: str
    name: str | None
    is_caregiver: bool
    lives_with_child: bool


@dataclass(frozen=True)
class PersonalPart:
    """What identifies the child or the family, and what people wrote: only for a caller with personal data."""

    child_names: dict[str, str | None]
    date_of_birth: date | None
    address_current: str | None
    relatives: list[Relative]
    family_numbers: list[str]  # masked
    reopen_reason: str | None
    history: list[HistoryEntry]


@dataclass(frozen=True)
class PartnerCase:
    """A case as a partner reads it."""

    case: Case
    assigned_to: str | None
    report_reference: str | None
    deadlines: list[DeadlineRow]
    referrals: list[ReferralRow]
    personal: PersonalPart | None


def case_by_reference(session: Session, holder: TokenHolder, reference: str, *, personal: bool) -> PartnerCase:
    """The organisation's case with this reference (spaces and dashes as typed); NotFound otherwise."""
    code = clean_reference(reference)
    # Text that cannot be a reference never reaches the database (PostgreSQL refuses a NUL in a string).
    if not (code.isascii() and code.isalnum() and len(code) <= REFERENCE_LENGTH):
        raise NotFound("no such case")
    row = session.execute(_cases(holder).where(Case.reference == code)).first()
    if row is None:
        raise NotFound("no such case")
    return _described(session, [tuple(row)], personal)[0]


def list_cases(session: Session, holder: TokenHolder, filters: ListFilters, limit: int, *,
               personal: bool) -> tuple[list[PartnerCase], bool]:
    """The organisation's cases, first opened first, at most limit, and whether more follow."""
    query = page_query(_cases(holder), filters, status=Case.status, at=Case.opened_at, row_id=Case.id, limit=limit)
    rows = [tuple(row) for row in session.execute(query)]
    return _described(session, rows[:limit], personal), len(rows) > limit


def _cases(holder: TokenHolder):
    return (select(Case, User.display_name, Report.reference)
            .outerjoin(User, User.id == Case.assigned_to_id)
            .outerjoin(Report, Report.id == Case.report_id)
            .where(Case.organisation_id == holder.organisation_id))


def _described(session: Session, rows: list[tuple[Case, str | None, str | None]],
               personal: bool) -> list[PartnerCase]:
    """The cases with their deadlines and referrals (and personal part), a query for each, not one per case."""
    ids = [case.id for case, _name, _reference in rows]
    if not ids:
        return []
    deadlines = _deadlines(session, ids)
    referrals = _referrals(session, ids, personal)
    parts = _personal(session, rows) if personal else {}
    return [PartnerCase(case, name, reference, deadlines[case.id], referrals[case.id], parts.get(case.id))
            for case, name, reference in rows]


def _deadlines(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[DeadlineRow]]:
    found: dict[uuid.UUID, list[DeadlineRow]] = defaultdict(list)
    for case_id, kind, due_at, met_at in session.execute(
            select(CaseDeadline.case_id, CaseDeadline.kind, CaseDeadline.due_at, CaseDeadline.met_at)
            .where(CaseDeadline.case_id.in_(ids)).order_by(CaseDeadline.due_at, CaseDeadline.id)):
        found[case_id].append(DeadlineRow(kind, due_at, met_at))
    return found


def _referrals(session: Session, ids: list[uuid.UUID], personal: bool) -> dict[uuid.UUID, list[ReferralRow]]:
    columns = [Referral.case_id, Service.provider_name, Service.service_type, Referral.status,
               Referral.declined_because, Referral.created_at, Referral.updated_at]
    if personal:
        columns += [Referral.notes, Referral.counter_referral_notes]
    found: dict[uuid.UUID, list[ReferralRow]] = defaultdict(list)
    for case_id, *values in session.execute(
            select(*columns).join(Service, Service.id == Referral.service_id)
            .where(Referral.case_id.in_(ids)).order_by(Referral.created_at, Referral.id)):
        found[case_id].append(ReferralRow(*values))
    return found


def _personal(session: Session, rows: list[tuple[Case, str | None, str | None]]) -> dict[uuid.UUID, PersonalPart]:
    ids = [case.id for case, _name, _reference in rows]
    registrations = {row.case_id: row for row in session.execute(
        select(ChildRegistration.case_id, ChildRegistration.date_of_birth, ChildRegistration.address_current,
               *(getattr(ChildRegistration, name) for name in NAME_FIELDS))
        .where(ChildRegistration.case_id.in_(ids)))}
    relatives: dict[uuid.UUID, list[Relative]] = defaultdict(list)
    for case_id, *values in session.execute(
            select(CaseCaregiver.case_id, CaseCaregiver.relation, CaseCaregiver.relation_name,
                   CaseCaregiver.relation_is_caregiver, CaseCaregiver.lives_with_child)
            .where(CaseCaregiver.case_id.in_(ids)).order_by(CaseCaregiver.position, CaseCaregiver.id)):
        relatives[case_id].append(Relative(*values))
    numbers: dict[uuid.UUID, list[str]] = defaultdict(list)
    for case_id, phone in session.execute(
            select(CaseContact.case_id, CaseContact.phone).where(CaseContact.case_id.in_(ids))
            .order_by(CaseContact.added_at, CaseContact.id)):
        numbers[case_id].append(mask_phone(phone))
    history: dict[uuid.UUID, list[HistoryEntry]] = defaultdict(list)
    for case_id, *values in session.execute(
            select(CaseEvent.case_id, CaseEvent.at, CaseEvent.kind, CaseEvent.channel, CaseEvent.body,
                   User.display_name)
            .outerjoin(User, User.id == CaseEvent.author_user_id)
            .where(CaseEvent.case_id.in_(ids)).order_by(CaseEvent.at, CaseEvent.id)):
        history[case_id].append(HistoryEntry(*values))
    parts = {}
    for case, _name, _reference in rows:
        registration = registrations.get(case.id)
        parts[case.id] = PersonalPart(
            child_names={name: getattr(registration, name, None) for name in NAME_FIELDS},
            date_of_birth=getattr(registration, "date_of_birth", None),
            address_current=getattr(registration, "address_current", None),
            relatives=relatives[case.id], family_numbers=numbers[case.id], reopen_reason=case.reopen_reason,
            history=history[case.id])
    return parts
