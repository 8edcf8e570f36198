"""The case record a handed-over case carries to its Primero case: the registration (forms 1.A-1.E), the current
risk level, the services the organisation gave and the tracing actions, in stock Primero's fields (README, "The
case record"), with the instance's values for every coded one.

Coded fields go always (sex, age, risk, concerns, protection status, place). Who the child is (names, date of
birth, address, relatives) and what staff wrote (a service's outcome, a tracing action) go only while the family's
consent to services, which covers collecting and keeping their data, is given and not withdrawn.

Subform rows have ids derived from the Primero case's id, so sending them again updates them (Primero merges rows
by unique_id, contract §3). Relatives are rows by their place in the list; a relative removed in Relais is removed
there with `_destroy` — only for rows Relais sent, since Primero stores a `_destroy` row as it is when the case has
no such list yet.
"""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.cases.ages import current_age
from casecore.cases.models import Case
from casecore.cases.record_models import CaseCaregiver, ChildRegistration, ServiceGiven, TracingAction
from casecore.handoff.mapping import HandoffMapping
from casecore.people.models import Location

# Stock Primero's tracing outcomes (options of tracing_actions_section.tracing_outcome, not a lookup).
TRACING_OUTCOMES = {"found": "successful", "lead": "pending", "not_found": "unsuccessful"}
# The family's consent that lets who the child is reach Primero (the Primero tick box it is sent as).
IDENTITY_CONSENT = "consent_for_services"
FAMILY_SECTION, SERVICES_SECTION, TRACING_SECTION = "family_details_section", "services_section", \
    "tracing_actions_section"


def record_fields(session: Session, case: Case, primero_id: uuid.UUID, mapping: HandoffMapping, *,
                  consents: dict[str, bool], today: date, family_rows_sent: int = 0) -> dict[str, Any]:
    """The case record's fields for the Primero case (consents: the tick boxes being sent with them)."""
    identity = consents.get(IDENTITY_CONSENT) is True
    fields: dict[str, Any] = {}
    if case.risk_level in mapping.risk_levels:
        fields["risk_level"] = mapping.risk_levels[case.risk_level]
    registration = session.scalar(select(ChildRegistration).where(ChildRegistration.case_id == case.id))
    if registration is not None:
        fields.update(_registration(session, registration, mapping, identity=identity, today=today))
        if identity:
            fields[FAMILY_SECTION] = family_rows(session, case.id, primero_id, mapping, family_rows_sent)
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


def family_rows(session: Session, case_id: uuid.UUID, primero_id: uuid.UUID, mapping: HandoffMapping,
                rows_sent: int) -> list[dict[str, Any]]:
    """The child's relatives as Primero's family rows, then a removal for each row sent before and gone since."""
    rows: list[dict[str, Any]] = []
    for n, relative in enumerate(session.scalars(select(CaseCaregiver).where(CaseCaregiver.case_id == case_id)
                                                 .order_by(CaseCaregiver.position))):
        row = {"unique_id": str(row_id(primero_id, f"relative:{n}")),
               "relation_is_caregiver": bool(relative.relation_is_caregiver)}
        if mapping.relationships.get(relative.relation):
            row["relation"] = mapping.relationships[relative.relation]
        if relative.relation_name:
            row["relation_name"] = relative.relation_name
        rows.append(row)
    rows += [{"unique_id": str(row_id(primero_id, f"relative:{n}")), "_destroy": True}
             for n in range(len(rows), rows_sent)]
    return rows


def rows_kept(fields: dict[str, Any]) -> int | None:
    """How many family rows these fields leave in Primero (None: the fields do not touch them)."""
    rows = fields.get(FAMILY_SECTION)
    return None if rows is None else sum(1 for row in rows if not row.get("_destroy"))


def _registration(session: Session, row: ChildRegistration, mapping: HandoffMapping, *, identity: bool,
                  today: date) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    sex = mapping.sexes.get(row.sex) if row.sex else None
    if sex:
        fields["sex"] = sex
    age = current_age(row.date_of_birth, row.age, today)
    if age is not None:
        fields["age"], fields["estimated"] = age, bool(row.estimated)
    status = mapping.protection_statuses.get(row.protection_status) if row.protection_status else None
    if status:
        fields["protection_status"] = status
    concerns = mapping.concern_values(row.protection_concerns or [])
    if concerns:
        fields["protection_concerns"] = concerns
    place = _location_code(session, row.location_current_id, mapping)
    if place:
        fields["location_current"] = place
    if identity:
        for name in ("name_first", "name_middle", "name_last", "name_nickname", "name_other"):
            if getattr(row, name):
                fields[name] = getattr(row, name)
        if row.date_of_birth is not None:
            fields["date_of_birth"] = row.date_of_birth.isoformat()
        if row.address_current:
            fields["address_current"] = row.address_current
    return fields


def _service_row(row: ServiceGiven, primero_id: uuid.UUID, mapping: HandoffMapping,
                 identity: bool) -> dict[str, Any]:
    # A day only: noon UTC keeps it the same day in every time zone Relais is used in (a date-time field, §0).
    fields: dict[str, Any] = {"unique_id": str(row_id(primero_id, f"service-given:{row.id}")),
                              "service_implemented_day_time": f"{row.given_on.isoformat()}T12:00:00Z"}
    service_type = mapping.service_types.get(row.service_type)
    if service_type:
        fields["service_type"] = service_type
    if identity and row.outcome:
        fields["service_referral_notes"] = row.outcome
    return fields


def _tracing_row(session: Session, row: TracingAction, primero_id: uuid.UUID,
                 mapping: HandoffMapping) -> dict[str, Any]:
    fields: dict[str, Any] = {"unique_id": str(row_id(primero_id, f"tracing-action:{row.id}")),
                              "date_tracing": row.done_on.isoformat(), "tracing_action_description": row.action,
                              "tracing_outcome": TRACING_OUTCOMES[row.outcome]}
    place = _location_code(session, row.location_id, mapping)
    if place:
        fields["location_tracing"] = place
    if row.address:
        fields["address_tracing"] = row.address
    return fields


def _location_code(session: Session, location_id: uuid.UUID | None, mapping: HandoffMapping) -> str | None:
    if location_id is None:
        return None
    return mapping.location_code(session.scalar(select(Location.code).where(Location.id == location_id)))


def row_id(primero_id: uuid.UUID, what: str) -> uuid.UUID:
    """The fixed id of a subform row (a note, a relative...) on a Primero case: Primero merges rows by it, so
    sending it again adds nothing."""
    return uuid.uuid5(primero_id, what)
