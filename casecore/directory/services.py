"""The service directory: who provides what, where, how to reach them, and when that was last checked.

Each organisation keeps its own directory. It is not case content: supervisors and administrators manage it,
case workers read it to refer children.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.directory.models import Service
from casecore.errors import InvalidInput, NotFound
from casecore.free_text import without_controls
from casecore.ids import parse_id
from casecore.paging import Page, fetch_page
from casecore.people.models import Location, Organisation

log = logging.getLogger(__name__)

MANAGER_ROLES = frozenset({"supervisor", "admin"})
READER_ROLES = MANAGER_ROLES | {"caseworker"}
NAME_LENGTH = 200
CONTACT_LENGTH = 200


def may_read_services(role: str) -> bool:
    """Whether this role reads the service directory."""
    return role in READER_ROLES


def may_manage_services(role: str) -> bool:
    """Whether this role adds, edits, verifies and deactivates directory entries."""
    return role in MANAGER_ROLES


def is_stale(last_verified_at: datetime | None, stale_days: int, now: datetime | None = None) -> bool:
    """Whether an entry needs checking: never verified, or not for stale_days."""
    if last_verified_at is None:
        return True
    return last_verified_at < (now or utcnow()) - timedelta(days=stale_days)


@dataclass(frozen=True)
class ServiceInput:
    """What a person types for an entry; area_code is a location p-code, empty for every area."""

    provider_name: str
    service_type: str
    area_code: str = ""
    contact: str = ""
    provider_organisation_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ServiceRow:
    """One directory entry as a list shows it."""

    id: uuid.UUID
    provider_name: str
    service_type: str
    area_code: str | None
    area_name: str | None
    contact: str | None
    provider_organisation_name: str | None
    last_verified_at: datetime | None
    is_active: bool
    stale: bool


def list_services(
    session: Session, organisation_id: uuid.UUID, *, stale_days: int, service_type: str = "", area_code: str = "",
    stale_only: bool = False, include_inactive: bool = False, now: datetime | None = None,
) -> list[ServiceRow]:
    """The organisation's entries by type then provider; area_code keeps those covering that place."""
    now = now or utcnow()
    query = _services_query(session, organisation_id, stale_days=stale_days, service_type=service_type,
                            area_code=area_code, stale_only=stale_only, include_inactive=include_inactive, now=now)
    return [_row(row, stale_days, now) for row in session.execute(query)]


def services_page(
    session: Session, organisation_id: uuid.UUID, page: int, *, stale_days: int, service_type: str = "",
    area_code: str = "", stale_only: bool = False, include_inactive: bool = False, now: datetime | None = None,
) -> Page:
    """One page of list_services' entries (the directory page; a referral's choice of service takes them all)."""
    now = now or utcnow()
    query = _services_query(session, organisation_id, stale_days=stale_days, service_type=service_type,
                            area_code=area_code, stale_only=stale_only, include_inactive=include_inactive, now=now)
    found = fetch_page(session, query, page)
    return replace(found, rows=tuple(_row(row, stale_days, now) for row in found.rows))


def _row(row, stale_days: int, now: datetime) -> ServiceRow:
    s, code, name, provider_name = row
    return ServiceRow(s.id, s.provider_name, s.service_type, code, name, s.contact, provider_name, s.last_verified_at,
                      s.is_active, is_stale(s.last_verified_at, stale_days, now))


def _services_query(session: Session, organisation_id: uuid.UUID, *, stale_days: int, service_type: str,
                    area_code: str, stale_only: bool, include_inactive: bool, now: datetime):
    provider = aliased(Organisation)
    query = (
        select(Service, Location.code, Location.name, provider.name)
        .outerjoin(Location, Location.id == Service.area_location_id)
        .outerjoin(provider, provider.id == Service.provider_organisation_id)
        .where(Service.organisation_id == organisation_id)
        .order_by(Service.service_type, Service.provider_name, Service.id)
    )
    if service_type:
        query = query.where(Service.service_type == taxonomy.require(service_type, taxonomy.SERVICE_TYPES,
                                                                      "service type"))
    if area_code:
        covering = covering_areas(session, area_code)
        query = query.where(or_(Service.area_location_id.in_(covering), Service.area_location_id.is_(None)))
    if not include_inactive:
        query = query.where(Service.is_active.is_(True))
    if stale_only:
        query = query.where(or_(Service.last_verified_at.is_(None),
                                Service.last_verified_at < now - timedelta(days=stale_days)))
    return query


def covering_areas(session: Session, area_code: str) -> set[uuid.UUID]:
    """The place with this p-code, the places above it and those within it: a service there serves it."""
    place = session.scalar(select(Location).where(Location.code == area_code))
    if place is None:
        raise InvalidInput("unknown area code")
    ids = {place.id}
    parent_id = place.parent_id
    while parent_id is not None and parent_id not in ids:
        ids.add(parent_id)
        parent_id = session.scalar(select(Location.parent_id).where(Location.id == parent_id))
    level = {place.id}
    while level:  # three levels at most: region, cercle, commune
        level = set(session.scalars(select(Location.id).where(Location.parent_id.in_(level)))) - ids
        ids |= level
    return ids


def area_choices(session: Session, also: str = "") -> list[tuple[str, str, int]]:
    """Regions and cercles as (code, name, level), each region followed by its cercles: the areas to pick from.

    also: the p-code of an entry's area, listed too when it is a commune (an import may set one).
    """
    rows = session.execute(select(Location.id, Location.code, Location.name, Location.level, Location.parent_id)
                           .where(or_(Location.level <= 2, Location.code == also))).all()
    regions = sorted((r for r in rows if r.level == 1), key=lambda r: r.name.casefold())
    choices = []
    for region in regions:
        choices.append((region.code, region.name, 1))
        cercles = sorted((r for r in rows if r.parent_id == region.id), key=lambda r: r.name.casefold())
        choices.extend((c.code, c.name, 2) for c in cercles)
    listed = {code for code, _, _ in choices}
    choices.extend((r.code, r.name, r.level) for r in rows if r.code not in listed)
    return choices


def get_service(session: Session, organisation_id: uuid.UUID, service_id: str | uuid.UUID) -> Service:
    """An entry of this organisation's directory; NotFound for any other."""
    service = session.get(Service, parse_id(service_id, "service"))
    if service is None or service.organisation_id != organisation_id:
        raise NotFound(f"service {service_id} not found")
    return service


def service_area_code(session: Session, service: Service) -> str:
    """The p-code of the entry's area, empty for every area."""
    if service.area_location_id is None:
        return ""
    return session.scalar(select(Location.code).where(Location.id == service.area_location_id)) or ""


def create_service(
    session: Session, organisation_id: uuid.UUID, data: ServiceInput, *, user_id: uuid.UUID | None,
    verified_at: datetime | None = None,
) -> Service:
    """Add an entry to the organisation's directory."""
    service = Service(organisation_id=organisation_id, last_verified_at=verified_at, is_active=True)
    _apply(session, service, data)
    session.add(service)
    session.flush()
    record_event(session, user_id, "service.created", "service", service.id)
    return service


def update_service(
    session: Session, organisation_id: uuid.UUID, service_id: str | uuid.UUID, data: ServiceInput, *,
    user_id: uuid.UUID | None,
) -> Service:
    """Change an entry's provider, type, area or contact."""
    service = get_service(session, organisation_id, service_id)
    _apply(session, service, data)
    session.flush()
    record_event(session, user_id, "service.updated", "service", service.id)
    return service


def set_service_active(
    session: Session, organisation_id: uuid.UUID, service_id: str | uuid.UUID, active: bool, *,
    user_id: uuid.UUID | None,
) -> Service:
    """Deactivate an entry (kept for the referrals that name it) or bring it back."""
    service = get_service(session, organisation_id, service_id)
    service.is_active = active
    session.flush()
    record_event(session, user_id, "service.activated" if active else "service.deactivated", "service", service.id)
    return service


def mark_verified(
    session: Session, organisation_id: uuid.UUID, service_id: str | uuid.UUID, *, user_id: uuid.UUID | None,
    now: datetime | None = None,
) -> Service:
    """Record that someone checked today that the entry is still right."""
    service = get_service(session, organisation_id, service_id)
    service.last_verified_at = now or utcnow()
    session.flush()
    record_event(session, user_id, "service.verified", "service", service.id)
    return service


def check_input(data: ServiceInput) -> ServiceInput:
    """The input with spaces trimmed; InvalidInput naming the first field that is not acceptable."""
    name, contact, area = (without_controls(text).strip() for text in (data.provider_name, data.contact,
                                                                       data.area_code))
    if not name:
        raise InvalidInput("the provider's name is required")
    if len(name) > NAME_LENGTH:
        raise InvalidInput(f"the provider's name is longer than {NAME_LENGTH} characters")
    if len(contact) > CONTACT_LENGTH:
        raise InvalidInput(f"the contact is longer than {CONTACT_LENGTH} characters")
    taxonomy.require(data.service_type, taxonomy.SERVICE_TYPES, "service type")
    return ServiceInput(name, data.service_type, area, contact, data.provider_organisation_id)


def _apply(session: Session, service: Service, data: ServiceInput) -> None:
    data = check_input(data)
    area_id = None
    if data.area_code:
        area_id = session.scalar(select(Location.id).where(Location.code == data.area_code))
        if area_id is None:
            raise InvalidInput("unknown area code")
    provider = data.provider_organisation_id
    if provider is not None and session.get(Organisation, provider) is None:
        raise InvalidInput("unknown provider organisation")
    service.provider_name, service.service_type = data.provider_name, data.service_type
    service.area_location_id, service.contact = area_id, data.contact or None
    service.provider_organisation_id = data.provider_organisation_id
