"""Community child protection committees: the members a supervisor registers, and the thanks sent when their
report is taken up (a reference and nothing else)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.free_text import short_text, without_controls
from casecore.i18n import N_
from casecore.ids import parse_id
from casecore.messaging.contacts import language_for
from casecore.messaging.outbox import OutboundRef, queue_message
from casecore.paging import Page, fetch_page
from casecore.people.locations import find_location
from casecore.people.models import Location
from casecore.phones import mask_phone, normalise_phone
from casecore.reports.models import CommitteeMember, Report

log = logging.getLogger(__name__)

NAME_LENGTH = 200
# Error messages are marked N_: the web view shows them translated, from its own catalogue.


@dataclass(frozen=True)
class MemberRow:
    """A committee member as the committee page lists it; the number is masked."""

    id: uuid.UUID
    name: str
    phone_masked: str
    committee: str
    location_name: str | None
    is_active: bool


def register_member(session: Session, organisation_id: uuid.UUID, *, name: str, phone: str, committee: str,
                    registered_by_id: uuid.UUID, location_code: str | None = None,
                    default_region: str = "ML") -> uuid.UUID:
    """Register a committee member of the organisation (a deactivated one with the same number comes back)."""
    name_text = _required(name, N_("the member's name is required"))
    committee_text = _required(committee, N_("the committee's name is required"))
    e164 = normalise_phone(phone, default_region)
    location_id = _location_id(session, location_code)
    member = session.scalar(select(CommitteeMember).where(
        CommitteeMember.organisation_id == organisation_id, CommitteeMember.phone == e164))
    if member is not None and member.is_active:
        raise Conflict(N_("a committee member with this number is already registered"))
    if member is None:
        member = CommitteeMember(organisation_id=organisation_id, phone=e164)
        session.add(member)
    member.name, member.committee, member.location_id = name_text, committee_text, location_id
    member.registered_by_id, member.is_active = registered_by_id, True
    session.flush()
    log.info("committee member %s registered in organisation %s", member.id, organisation_id)
    return member.id


def deactivate_member(session: Session, organisation_id: uuid.UUID, member_id: str | uuid.UUID) -> bool:
    """Stop treating this number as a committee member's; False if it was inactive already."""
    member = session.scalar(select(CommitteeMember).where(
        CommitteeMember.id == parse_id(member_id, "committee member"),
        CommitteeMember.organisation_id == organisation_id))
    if member is None:
        raise NotFound(f"committee member {member_id} not found")
    if not member.is_active:
        return False
    member.is_active = False
    session.flush()
    return True


def list_members(session: Session, organisation_id: uuid.UUID, page: int = 1) -> Page:
    """A page of the organisation's committee members: active first, then by committee, then in the order they were
    registered (names are sealed in the database, which cannot sort them, and sorting the opened names of every
    member to show fifty would open them all)."""
    found = fetch_page(session, (
        select(CommitteeMember.id, CommitteeMember.name, CommitteeMember.phone, CommitteeMember.committee,
               Location.name, CommitteeMember.is_active)
        .outerjoin(Location, Location.id == CommitteeMember.location_id)
        .where(CommitteeMember.organisation_id == organisation_id)
        .order_by(CommitteeMember.is_active.desc(), func.lower(CommitteeMember.committee), CommitteeMember.committee,
                  CommitteeMember.created_at, CommitteeMember.id)), page)
    return replace(found, rows=tuple(MemberRow(mid, name, mask_phone(phone), committee, place, active)
                                     for mid, name, phone, committee, place, active in found.rows))


def active_member_for(organisation_id, phone_key):
    """SQL: the id of the organisation's active member whose number has this look-up key (for a report's INSERT)."""
    return (select(CommitteeMember.id)
            .where(CommitteeMember.organisation_id == organisation_id, CommitteeMember.phone_key == phone_key,
                   CommitteeMember.is_active.is_(True))
            .limit(1).scalar_subquery())


def queue_acceptance_thanks(session: Session, report: Report, backend: str,
                            thanks_text: Callable[[str, str], str]) -> OutboundRef | None:
    """Write the thanks for an accepted report made by a committee member (once); None when there is nobody to tell.

    thanks_text(language, reference) gives the SMS as sent (the words live with the conversations, the GSM-7
    respelling with the channels); the language is the one the member's number chose, else French.
    """
    if report.committee_member_id is None:
        return None
    member = session.get(CommitteeMember, report.committee_member_id)
    if member is None or not member.is_active:
        return None
    language = language_for(session, member.phone) or "fr"
    if language not in taxonomy.COMMUNITY_LANGUAGES:
        language = "fr"
    return queue_message(
        session, purpose_key=f"committee-accepted:{report.id}", to_phone=member.phone,
        body=thanks_text(language, report.reference), backend=backend, organisation_id=report.organisation_id,
    )


def _location_id(session: Session, code: str | None) -> uuid.UUID | None:
    if not code:
        return None
    try:
        return find_location(session, code).id
    except NotFound:
        raise InvalidInput(N_("unknown location")) from None


def _required(value: str | None, message: str) -> str:
    text = short_text(without_controls(value), NAME_LENGTH)  # PostgreSQL cannot store a NUL
    if text is None:
        raise InvalidInput(message)
    return text
