"""The case record a handed-over case carries to its Primero case: the registration (forms 1.A-1.E) with the
child's relatives, the current risk level, the services the organisation gave and the tracing actions, in stock
Primero's fields (README, "The case record"), with the instance's values for every coded one.

Coded fields go always (sex, age, risk, concerns, protection status, place). Who the child is (names, date of
birth, address, relatives) and what staff wrote (a service's outcome, a tracing action) go only while the family's
consent to services, which covers collecting and keeping their data, is given and not withdrawn; what went before a
withdrawal stays in CPIMS+, whose users see the consent withdrawn.

Both systems are written to, so a field or a row goes again only when its value in Relais differs from what Relais
last sent (`Sent`, digests kept on the hand-off): an edit made in CPIMS+ is overwritten only by a later edit of the
same field in Relais. A field cleared in Relais is sent as null. Subform rows have ids derived from the Primero
case's id (Primero merges rows by unique_id, contract §3): a relative's from their row in Relais, which corrections
keep (casecore.cases.registration), so each relative's row in CPIMS+, and what its users added to it, stays theirs.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.cases.ages import current_age
from casecore.cases.models import Case
from casecore.cases.record_models import CaseCaregiver, ChildRegistration, ServiceGiven, TracingAction
from casecore.cases.registration import NAME_FIELDS
from casecore.handoff.mapping import HandoffMapping
from casecore.handoff.models import Handoff
from casecore.people.models import Location

# Stock Primero's tracing outcomes (options of tracing_actions_section.tracing_outcome, not a lookup).
TRACING_OUTCOMES = {"found": "successful", "lead": "pending", "not_found": "unsuccessful"}
# The family's consent that lets who the child is reach Primero (the Primero tick box it is sent as).
IDENTITY_CONSENT = "consent_for_services"
FAMILY_SECTION, SERVICES_SECTION, TRACING_SECTION = ("family_details_section", "services_section",
                                                     "tracing_actions_section")


def record_fields(session: Session, case: Case, primero_id: uuid.UUID, mapping: HandoffMapping, *,
                  consents: dict[str, bool], today: date) -> dict[str, Any]:
    """The record's fields for the Primero case as Relais holds it (consents: the tick boxes as they stand)."""
    identity = consents.get(IDENTITY_CONSENT) is True
    fields: dict[str, Any] = {}
    if case.risk_level in mapping.risk_levels:
        fields["risk_level"] = mapping.risk_levels[case.risk_level]
    registration = session.scalar(select(ChildRegistration).where(ChildRegistration.case_id == case.id))
    if registration is not None:
        fields.update(_registration(session, registration, mapping, identity=identity, today=today))
        if identity:
            fields[FAMILY_SECTION] = family_rows(session, case.id, primero_id, mapping)
    services = [_service_row(row, primero_id, mapping, identity) for row in session.scalars(
        select(ServiceGiven).where(ServiceGiven.case_id == case.id).order_by(ServiceGiven.created_at))]
    if services:
        fields[SERVICES_SECTION] = services
    if identity:
        tracing = [_tracing_row(session, row, primero_id, mapping) for row in session.scalars(
            select(TracingAction).where(TracingAction.case_id == case.id).order_by(TracingAction.created_at))]
        if tracing:
            fields[TRACING_SECTION] = tracing
    return fields


def family_rows(session: Session, case_id: uuid.UUID, primero_id: uuid.UUID,
                mapping: HandoffMapping) -> list[dict[str, Any]]:
    """The child's relatives as Primero's family rows, each under an id that follows the relative."""
    return [{"unique_id": str(row_id(primero_id, f"relative:{relative.id}")),
             "relation": mapping.relationships.get(relative.relation), "relation_name": relative.relation_name,
             "relation_is_caregiver": bool(relative.relation_is_caregiver)}
            for relative in session.scalars(select(CaseCaregiver).where(CaseCaregiver.case_id == case_id)
                                            .order_by(CaseCaregiver.position))]


SUBFORMS = (FAMILY_SECTION, SERVICES_SECTION, TRACING_SECTION)


class Sent:
    """What Relais last sent to one Primero case, as digests: each top-level field's, and each subform row's by id
    (kept on the hand-off as JSON: {"fields": {name: digest}, "rows": {section: {unique_id: digest}}})."""

    def __init__(self, kept: dict[str, Any] | None = None) -> None:
        kept = kept or {}
        self.fields: dict[str, str | None] = dict(kept.get("fields") or {})
        self.rows: dict[str, dict[str, str | None]] = {section: dict(rows)
                                                       for section, rows in (kept.get("rows") or {}).items()}

    def as_json(self) -> dict[str, Any]:
        return {"fields": self.fields, "rows": self.rows}

    def unsent(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The fields whose value differs from what was sent; of a subform, the rows that differ. A null goes only
        to clear what Relais itself sent (not what CPIMS+ users wrote where Relais had nothing), and a row's empty
        keys not at all (its other keys may be theirs)."""
        changed: dict[str, Any] = {}
        for name, value in fields.items():
            if name in SUBFORMS:
                sent = self.rows.get(name, {})
                rows = [{key: item for key, item in row.items() if item is not None} for row in value
                        if sent.get(row["unique_id"]) != _digest(row)]
                if rows:
                    changed[name] = rows
            elif self.fields.get(name) != _digest(value) and (value is not None or name in self.fields):
                changed[name] = value
        return changed

    def gone(self, fields: dict[str, Any]) -> list[str]:
        """The family rows sent before that the record no longer has (a relative taken off the list)."""
        if FAMILY_SECTION not in fields:
            return []
        current = {row["unique_id"] for row in fields[FAMILY_SECTION]}
        return [row for row in self.rows.get(FAMILY_SECTION, {}) if row not in current]

    def remember(self, fields: dict[str, Any], removed: Iterable[str] = (),
                 built: dict[str, Any] | None = None) -> None:
        """These fields and rows reached Primero (built: the record they were taken from, whose rows stand for
        the ones sent without their empty keys); the removed family rows are no longer there."""
        for name, value in fields.items():
            if name in SUBFORMS:
                whole = {row["unique_id"]: row for row in (built or fields).get(name, [])}
                self.rows.setdefault(name, {}).update(
                    {row["unique_id"]: _digest(whole.get(row["unique_id"], row)) for row in value
                     if not row.get("_destroy")})
            else:
                self.fields[name] = _digest(value)
        for row in removed:
            self.rows.get(FAMILY_SECTION, {}).pop(row, None)

    def forget_values(self) -> None:
        """Nothing is known to be there any more (send it all again), but which family rows may be."""
        self.fields = {}
        self.rows = {FAMILY_SECTION: dict.fromkeys(self.rows.get(FAMILY_SECTION, {}))}


def remember_payload(handoff: Handoff, fields: dict[str, Any]) -> None:
    """A creation's payload is about to go: what it holds is what Primero will have if this try creates the case
    (a later try's payload replaces it; a case found created by an earlier one forgets it all, Sent.forget_values)."""
    sent = Sent(handoff.record_sent)
    sent.forget_values()  # an earlier try's payload, refused or lost, is not what this one holds
    sent.remember(fields)
    handoff.record_sent = sent.as_json()


def removals(gone: Iterable[str], in_primero: Iterable[str]) -> list[dict[str, Any]]:
    """A _destroy row for each relative gone that Primero still has: only those, since a _destroy row sent into a
    case with no such list is stored as it is."""
    there = set(in_primero)
    return [{"unique_id": row, "_destroy": True} for row in gone if row in there]


def _registration(session: Session, row: ChildRegistration, mapping: HandoffMapping, *, identity: bool,
                  today: date) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    sex = mapping.sexes.get(row.sex) if row.sex else None
    if sex:
        fields["sex"] = sex
    age = current_age(row.date_of_birth, row.age, today)
    fields["age"] = age
    if age is not None:
        fields["estimated"] = bool(row.estimated)  # a tick box takes no null
    fields["protection_status"] = mapping.protection_statuses.get(row.protection_status) \
        if row.protection_status else None
    concerns = mapping.concern_values(row.protection_concerns or [])
    if concerns:
        fields["protection_concerns"] = concerns
    place = _location_code(session, row.location_current_id, mapping)
    if place:
        fields["location_current"] = place  # none: the report's place, sent with the hand-off, stands
    if identity:
        fields.update({name: getattr(row, name) or None for name in NAME_FIELDS})
        fields["date_of_birth"] = row.date_of_birth.isoformat() if row.date_of_birth else None
        fields["address_current"] = row.address_current or None
    return fields


def _service_row(row: ServiceGiven, primero_id: uuid.UUID, mapping: HandoffMapping,
                 identity: bool) -> dict[str, Any]:
    # A day only: noon UTC keeps it the same day in every time zone Relais is used in (a date-time field, §0).
    fields: dict[str, Any] = {"unique_id": str(row_id(primero_id, f"service-given:{row.id}")),
                              "service_implemented_day_time": f"{row.given_on.isoformat()}T12:00:00Z",
                              "service_type": mapping.service_types.get(row.service_type)}
    if identity and row.outcome:
        fields["service_referral_notes"] = row.outcome
    return fields


def _tracing_row(session: Session, row: TracingAction, primero_id: uuid.UUID,
                 mapping: HandoffMapping) -> dict[str, Any]:
    return {"unique_id": str(row_id(primero_id, f"tracing-action:{row.id}")), "date_tracing": row.done_on.isoformat(),
            "location_tracing": _location_code(session, row.location_id, mapping), "address_tracing": row.address,
            "tracing_action_description": row.action, "tracing_outcome": TRACING_OUTCOMES[row.outcome]}


def _location_code(session: Session, location_id: uuid.UUID | None, mapping: HandoffMapping) -> str | None:
    if location_id is None:
        return None
    return mapping.location_code(session.scalar(select(Location.code).where(Location.id == location_id)))


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def row_id(primero_id: uuid.UUID, what: str) -> uuid.UUID:
    """The fixed id of a subform row (a note, a relative...) on a Primero case: Primero merges rows by it, so
    sending it again adds nothing."""
    return uuid.uuid5(primero_id, what)
