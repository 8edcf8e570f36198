"""Access to sensitive data given by an administrator takes effect only when a second person confirms it.

Administrators manage accounts but never read cases or complaints; without this, one could create a supervisor or
focal-point account, or put a case worker account in a team, and log in as it. A supervisor or focal-point role
(a new account stays inactive meanwhile) and a case worker's place in a team wait in access_grant until confirmed:
a focal-point role by an existing focal point, the others by a supervisor of the organisation; never by the person
the grant is for. The first of each is created from the command line (`flask --app app user create`).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from casecore.accounts.models import AccessGrant
from casecore.accounts.teams import add_member
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.assignment import cases_follow
from casecore.errors import NotAllowed, NotFound, Refused
from casecore.ids import parse_id
from casecore.people.models import Team, User
from casecore.people.roles import FOCAL_POINT, SUPERVISOR, Staff
from casecore.phones import mask_phone

# The roles that open children's or complainants' data, and who confirms each.
GRANTED_ROLES = (SUPERVISOR, FOCAL_POINT)
CONFIRMED_BY = {FOCAL_POINT: FOCAL_POINT, SUPERVISOR: SUPERVISOR, "team_member": SUPERVISOR}


@dataclass(frozen=True)
class GrantRow:
    """A grant as the pages list it: the account's name, email and masked phone tell whose it is."""

    id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    email: str
    phone_masked: str
    kind: str
    role: str | None
    team_name: str | None
    requested_by: str
    requested_at: datetime


def request_role(session: Session, user: User, role: str, requested_by_id: uuid.UUID, *,
                 activates: bool = False) -> uuid.UUID:
    """Ask for the account to get a supervisor or focal-point role (an earlier request for it is replaced)."""
    return _request(session, user, "role", requested_by_id, role=role, activates=activates)


def request_team_member(session: Session, user: User, team: Team, requested_by_id: uuid.UUID) -> uuid.UUID:
    """Ask for the case worker to join the team (an earlier request for a team is replaced)."""
    return _request(session, user, "team_member", requested_by_id, team_id=team.id)


def pending_for_account(session: Session, user_id: uuid.UUID) -> list[AccessGrant]:
    """The account's grants still waiting, oldest first."""
    return list(session.scalars(select(AccessGrant).where(AccessGrant.user_id == user_id,
                                                          AccessGrant.status == "pending")
                                .order_by(AccessGrant.requested_at)))


def grants_to_confirm(session: Session, staff: Staff) -> list[GrantRow]:
    """The grants this person may confirm: of their organisation, of the kind their role confirms, not their own."""
    kinds = [kind for kind, role in CONFIRMED_BY.items() if role == staff.role]
    if not kinds:
        return []
    requester = aliased(User)
    rows = session.execute(
        select(AccessGrant, User.display_name, User.email, User.phone, Team.name, requester.display_name)
        .join(User, User.id == AccessGrant.user_id).join(requester, requester.id == AccessGrant.requested_by_id)
        .outerjoin(Team, Team.id == AccessGrant.team_id)
        .where(AccessGrant.organisation_id == staff.organisation_id, AccessGrant.status == "pending",
               AccessGrant.user_id != staff.id)
        .order_by(AccessGrant.requested_at))
    return [GrantRow(grant.id, grant.user_id, name, email, mask_phone(phone), grant.kind, grant.role, team, by,
                     grant.requested_at)
            for grant, name, email, phone, team, by in rows
            if (grant.role if grant.kind == "role" else grant.kind) in kinds]


def decide(session: Session, staff: Staff, grant_id: str | uuid.UUID, confirm: bool) -> AccessGrant:
    """Confirm (and apply) or refuse a grant; NotFound for one this person may not decide."""
    grant = session.get(AccessGrant, parse_id(grant_id, "grant"), with_for_update=True)
    if grant is None or grant.organisation_id != staff.organisation_id:
        raise NotFound(f"grant {grant_id} not found")
    if CONFIRMED_BY.get(grant.role if grant.kind == "role" else grant.kind) != staff.role:
        raise NotAllowed("another role confirms this grant")
    if grant.user_id == staff.id or grant.requested_by_id == staff.id:
        raise NotAllowed("a second person confirms a grant")
    if grant.status != "pending":
        raise Refused("already_decided")
    grant.status, grant.decided_by_id, grant.decided_at = ("confirmed" if confirm else "refused"), staff.id, utcnow()
    if confirm and not _applies(session, grant):
        grant.status = "stale"  # the account changed since: nothing to give; the administrator asks again
    elif confirm:
        _apply(session, grant)
    record_event(session, staff.id, f"grant.{grant.status}", "user", grant.user_id)
    session.flush()
    return grant


def _applies(session: Session, grant: AccessGrant) -> bool:
    """Whether the grant still fits its account: a team place is for an active case worker of the organisation."""
    if grant.kind == "role":
        return True
    team = session.get(Team, grant.team_id)
    user = session.get(User, grant.user_id)
    return (team is not None and user is not None and user.role == "caseworker" and user.is_active
            and team.organisation_id == user.organisation_id)


def _apply(session: Session, grant: AccessGrant) -> None:
    user = session.get(User, grant.user_id)
    if grant.kind == "role":
        if user.team_id is not None:
            # Only case workers belong to a team: their cases follow them out of it.
            cases_follow(session, user.id, None)
            user.team_id = None
        user.role = grant.role
        if grant.activates:
            user.is_active = True
    else:
        add_member(session, session.get(Team, grant.team_id), user.id)


def _request(session: Session, user: User, kind: str, requested_by_id: uuid.UUID, **values) -> uuid.UUID:
    replaced = list(session.scalars(select(AccessGrant).where(
        AccessGrant.user_id == user.id, AccessGrant.kind == kind, AccessGrant.status == "pending")))
    for old in replaced:
        old.status = "replaced"
    # A new account stays closed whatever is asked for it next: the opening goes with the request replacing it.
    activates = values.pop("activates", False) or any(old.activates for old in replaced)
    grant = AccessGrant(organisation_id=user.organisation_id, user_id=user.id, kind=kind,
                        requested_by_id=requested_by_id, requested_at=utcnow(), status="pending",
                        activates=activates, **values)
    session.add(grant)
    session.flush()
    record_event(session, requested_by_id, f"grant.requested_{kind}", "user", user.id)
    return grant.id
