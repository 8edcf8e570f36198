"""The child's registration on a case (forms 1.A, 1.B, 1.E): recorded by the case's worker or supervisor, read on the
case page with the names hidden until someone asks to see them, which the audit trail records (as Primero's hidden
name does). Every change is audited; the timeline says the registration changed, never what it holds.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases import ages
from casecore.cases.access import require_case
from casecore.cases.ages import age_on
from casecore.cases.casework import add_event, lock_case, record_changed
from casecore.cases.models import Case
from casecore.cases.record_models import CaseCaregiver, ChildRegistration
from casecore.cases.view import ReportSummary
from casecore.errors import Refused
from casecore.people.locations import commune_id
from casecore.people.models import Location
from casecore.people.roles import Staff
from casecore.reports.models import Report

NAME_FIELDS = ("name_first", "name_middle", "name_last", "name_nickname", "name_other")
WG_FIELDS = tuple(f"wg_{domain}" for domain in taxonomy.WG_DOMAINS)
# Cases concern children; a young person may still be followed a few years past 18 (a case opened at 17).
MAX_AGE = 24
MAX_CAREGIVERS = 8
NAME_LENGTH, ADDRESS_LENGTH = 100, 500


@dataclass(frozen=True)
class CaregiverEntry:
    """A relative or caregiver as typed in."""

    relation: str
    relation_name: str | None = None
    relation_is_caregiver: bool = False
    lives_with_child: bool = False
    # The row this entry corrects (its id, as the form carries it); none for a relative added: a relative keeps
    # their row, whatever else changes, and with it their row in CPIMS+.
    key: str | None = None


@dataclass(frozen=True)
class RegistrationEntry:
    """A registration as a form gives it: every field optional but what it says must be valid."""

    names: Mapping[str, str] = field(default_factory=dict)
    sex: str | None = None
    date_of_birth: date | None = None
    age: int | None = None
    estimated: bool = False
    languages: Sequence[str] = ()
    functioning: Mapping[str, str] = field(default_factory=dict)  # wg_<domain> -> answer
    documents: Sequence[str] = ()
    location_code: str | None = None
    address_current: str | None = None
    protection_status: str | None = None
    protection_concerns: Sequence[str] = ()
    caregivers: Sequence[CaregiverEntry] = ()


@dataclass(frozen=True)
class Registration:
    """The registration as the case page shows it; names None unless they were asked for (and the asking audited)."""

    recorded: bool
    names: dict[str, str] | None
    sex: str
    date_of_birth: date | None
    age: int | None
    estimated: bool
    languages: list[str]
    functioning: dict[str, str]
    documents: list[str]
    location_code: str | None
    location_name: str | None
    address_current: str | None
    protection_status: str | None
    protection_concerns: list[str]
    caregivers: list[CaregiverEntry]
    has_names: bool

    @property
    def functional_difficulty(self) -> bool:
        """The Washington Group's cut-off: "a lot of difficulty" or "cannot do at all" in any domain."""
        return any(answer in ("a_lot_of_difficulty", "cannot_do_at_all") for answer in self.functioning.values())


def record_registration(session: Session, staff: Staff, case_id: str | uuid.UUID, entry: RegistrationEntry,
                        today: date) -> ChildRegistration:
    """Record (or correct) the child's registration; Refused with a code saying what is wrong."""
    case = lock_case(session, staff, case_id)
    if case.status not in ("open", "closure_requested"):
        raise Refused("case_closed")
    values = _checked(session, entry, today)
    # The reporter's concern first, as Primero lists the concern that brought the case.
    reported = session.scalar(select(Report.concern).where(Report.id == case.report_id)) if case.report_id else None
    if reported in values["protection_concerns"]:
        values["protection_concerns"].remove(reported)
        values["protection_concerns"].insert(0, reported)
    registration = session.scalar(select(ChildRegistration).where(ChildRegistration.case_id == case.id))
    if registration is None:
        registration = ChildRegistration(case_id=case.id)
        session.add(registration)
    for name, value in values.items():
        setattr(registration, name, value)
    registration.updated_at, registration.updated_by_id = utcnow(), staff.id
    record_changed(case)
    _keep_caregivers(session, case.id, _caregivers(entry.caregivers))
    session.flush()
    add_event(session, case.id, "registration_updated", staff.id)
    record_event(session, staff.id, "registration.updated", "case", case.id)
    return registration


def registration_of(session: Session, staff: Staff, case: Case, report: ReportSummary | None, *,
                    show_names: bool, today: date) -> Registration:
    """The case's registration for the page (the report's sex and concern until one is recorded); show_names
    records in the audit trail that this person saw the child's names."""
    require_case(session, staff, case.id)
    row = session.scalar(select(ChildRegistration).where(ChildRegistration.case_id == case.id))
    caregivers = [CaregiverEntry(c.relation, c.relation_name, c.relation_is_caregiver, c.lives_with_child, str(c.id))
                  for c in session.scalars(select(CaseCaregiver).where(CaseCaregiver.case_id == case.id)
                                           .order_by(CaseCaregiver.position))]
    reported_sex = report.child_sex if report is not None else "unknown"
    reported_concern = [report.concern] if report is not None else []
    if row is None:
        return Registration(False, {} if show_names else None, reported_sex, None, None, False, [], {}, [], None,
                            None, None, None, reported_concern, caregivers, False)
    place = session.get(Location, row.location_current_id) if row.location_current_id else None
    names = {name: getattr(row, name) for name in NAME_FIELDS if getattr(row, name)}
    if show_names:
        record_event(session, staff.id, "case.names_shown", "case", case.id)
    return Registration(
        True, names if show_names else None, row.sex or reported_sex, row.date_of_birth,
        current_age(row, today), row.estimated, list(row.languages or []),
        {name: getattr(row, name) for name in WG_FIELDS if getattr(row, name)}, list(row.documents or []),
        place.code if place else None, place.name if place else None, row.address_current, row.protection_status,
        list(row.protection_concerns or []) or reported_concern, caregivers, bool(names))


def current_age(row: ChildRegistration, today: date) -> int | None:
    """The child's age today: from the date of birth when known, else the age recorded."""
    return ages.current_age(row.date_of_birth, row.age, today)


def _checked(session: Session, entry: RegistrationEntry, today: date) -> dict:
    """The columns to write, each value checked; Refused("registration_<what>") for the first wrong one."""
    names = {}
    for name in NAME_FIELDS:
        value = (entry.names.get(name) or "").strip()
        if len(value) > (NAME_LENGTH if name != "name_other" else 2 * NAME_LENGTH):
            raise Refused("registration_name_too_long")
        names[name] = value or None
    if entry.sex is not None and entry.sex not in taxonomy.CHILD_SEXES:
        raise Refused("registration_sex")
    age = entry.age
    if entry.date_of_birth is not None:
        if entry.date_of_birth > today:
            raise Refused("registration_birth_in_future")
        age = age_on(entry.date_of_birth, today)
    if age is not None and not 0 <= age <= MAX_AGE:
        raise Refused("registration_age")
    _only(entry.languages, taxonomy.CHILD_LANGUAGES, "registration_language")
    _only(entry.documents, taxonomy.CHILD_DOCUMENTS, "registration_document")
    if "none" in entry.documents and len(set(entry.documents)) > 1:
        raise Refused("registration_documents_none")
    functioning = {}
    for name in WG_FIELDS:
        answer = entry.functioning.get(name) or None
        if answer is not None and answer not in taxonomy.WG_ANSWERS:
            raise Refused("registration_functioning")
        functioning[name] = answer
    if entry.protection_status is not None and entry.protection_status not in taxonomy.PROTECTION_STATUSES:
        raise Refused("registration_protection_status")
    _only(entry.protection_concerns, taxonomy.PROTECTION_CONCERNS, "registration_concern")
    location_id = None
    if entry.location_code:
        location_id = commune_id(session, entry.location_code)
        if location_id is None:
            raise Refused("registration_location")
    address = (entry.address_current or "").strip() or None
    if address is not None and len(address) > ADDRESS_LENGTH:
        raise Refused("registration_address_too_long")
    return {**names, "sex": entry.sex, "date_of_birth": entry.date_of_birth, "age": age,
            "estimated": bool(entry.estimated) and entry.date_of_birth is None, **functioning,
            "languages": list(dict.fromkeys(entry.languages)), "documents": list(dict.fromkeys(entry.documents)),
            "location_current_id": location_id, "address_current": address,
            "protection_status": entry.protection_status,
            "protection_concerns": list(dict.fromkeys(entry.protection_concerns))}


def _caregivers(entries: Sequence[CaregiverEntry]) -> list[CaregiverEntry]:
    """The rows given, blank ones dropped; Refused for an unknown relation, a name too long or too many rows."""
    kept = [c for c in entries if c.relation or (c.relation_name or "").strip()]
    if len(kept) > MAX_CAREGIVERS:
        raise Refused("registration_too_many_caregivers")
    for caregiver in kept:
        if caregiver.relation not in taxonomy.FAMILY_RELATIONSHIPS:
            raise Refused("registration_relation")
        if len((caregiver.relation_name or "").strip()) > 2 * NAME_LENGTH:
            raise Refused("registration_name_too_long")
    return [CaregiverEntry(c.relation, (c.relation_name or "").strip() or None, c.relation_is_caregiver,
                           c.lives_with_child, c.key) for c in kept]


def _keep_caregivers(session: Session, case_id: uuid.UUID, entries: list[CaregiverEntry]) -> None:
    """The case's relatives as entered: a row the form names is corrected in place, the others added, the rows
    left out removed."""
    rows = {str(row.id): row for row in session.scalars(select(CaseCaregiver).where(CaseCaregiver.case_id == case_id))}
    for position, entry in enumerate(entries):
        row = rows.pop(entry.key, None) if entry.key else None
        if row is None:
            row = CaseCaregiver(case_id=case_id)
            session.add(row)
        row.position, row.relation, row.relation_name = position, entry.relation, entry.relation_name
        row.relation_is_caregiver, row.lives_with_child = entry.relation_is_caregiver, entry.lives_with_child
    for row in rows.values():
        session.delete(row)


def _only(values: Sequence[str], allowed: tuple[str, ...], code: str) -> None:
    if any(value not in allowed for value in values):
        raise Refused(code)
