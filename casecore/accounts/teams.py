"""Teams: a supervisor and the case workers they lead, within one organisation."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.cases.assignment import cases_follow
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.free_text import without_controls
from casecore.i18n import N_
from casecore.ids import parse_id
from casecore.people.models import Team, User
from casecore.people.roles import SUPERVISION_SPAN

# Messages shown to administrators; the web view translates them from its catalogue.
NEEDS_SUPERVISOR = N_("A team is led by an active supervisor of the same organisation.")
ONLY_CASE_WORKERS = N_("Only active case workers of the same organisation can join a team.")
NAME_TAKEN = N_("A team with this name already exists.")
NAME_NEEDED = N_("Give the team a name (at most 120 characters).")


@dataclass(frozen=True)
class Member:
    """A case worker of a team, as lists show them."""

    id: uuid.UUID
    display_name: str
    is_active: bool


@dataclass(frozen=True)
class TeamRow:
    """A team with its supervisor and members, as plain values."""

    id: uuid.UUID
    name: str
    supervisor_id: uuid.UUID | None
    supervisor_name: str | None
    members: tuple[Member, ...]


def _org_user(session: Session, organisation_id: uuid.UUID, user_id: str | uuid.UUID) -> User | None:
    try:
        user = session.get(User, parse_id(user_id, "user"))
    except NotFound:
        return None
    return user if user is not None and user.organisation_id == organisation_id else None


def _require_supervisor(session: Session, organisation_id: uuid.UUID, user_id) -> User:
    user = _org_user(session, organisation_id, user_id) if user_id else None
    if user is None or user.role != "supervisor" or not user.is_active:
        raise InvalidInput(NEEDS_SUPERVISOR)
    return user


def _clean_name(name: str) -> str:
    name = " ".join(without_controls(name).split())  # PostgreSQL cannot store a NUL
    if not name or len(name) > 120:
        raise InvalidInput(NAME_NEEDED)
    return name


def create_team(session: Session, *, organisation_id: uuid.UUID, name: str, supervisor_id) -> Team:
    """Create a team in the organisation, led by one of its active supervisors; names are unique per organisation."""
    name = _clean_name(name)
    supervisor = _require_supervisor(session, organisation_id, supervisor_id)
    taken = session.scalar(select(Team.id).where(Team.organisation_id == organisation_id, Team.name == name))
    if taken is not None:
        raise Conflict(NAME_TAKEN)
    team = Team(organisation_id=organisation_id, name=name, supervisor_id=supervisor.id)
    session.add(team)
    session.flush()
    return team


def set_supervisor(session: Session, team: Team, supervisor_id) -> None:
    """Give the team another supervisor (an active supervisor of its organisation)."""
    team.supervisor_id = _require_supervisor(session, team.organisation_id, supervisor_id).id
    session.flush()


def member_candidate(session: Session, team: Team, user_id) -> User:
    """The account if it may join the team (an active case worker of its organisation); InvalidInput otherwise."""
    user = _org_user(session, team.organisation_id, user_id)
    if user is None or user.role != "caseworker" or not user.is_active:
        raise InvalidInput(ONLY_CASE_WORKERS)
    return user


def add_member(session: Session, team: Team, user_id) -> User:
    """Put a case worker in the team (out of any other: a case worker belongs to one team)."""
    user = member_candidate(session, team, user_id)
    user.team_id = team.id
    cases_follow(session, user.id, team.id)
    session.flush()
    return user


def remove_member(session: Session, team: Team, user_id) -> bool:
    """Take a case worker out of the team; False when they were not in it."""
    user = _org_user(session, team.organisation_id, user_id)
    if user is None or user.team_id != team.id:
        return False
    user.team_id = None
    cases_follow(session, user.id, None)
    session.flush()
    return True


def supervisors_over_span(teams: list[TeamRow]) -> dict[uuid.UUID, int]:
    """The supervisors leading more active case workers than the norm (SUPERVISION_SPAN), across their teams, with
    how many."""
    spans: dict[uuid.UUID, int] = {}
    for team in teams:
        if team.supervisor_id is not None:
            spans[team.supervisor_id] = spans.get(team.supervisor_id, 0) + sum(1 for m in team.members if m.is_active)
    return {supervisor: n for supervisor, n in spans.items() if n > SUPERVISION_SPAN}


def list_teams(session: Session, organisation_id: uuid.UUID) -> list[TeamRow]:
    """The organisation's teams by name, each with its supervisor and members (two queries)."""
    teams = session.execute(
        select(Team.id, Team.name, Team.supervisor_id, User.display_name)
        .outerjoin(User, User.id == Team.supervisor_id)
        .where(Team.organisation_id == organisation_id)
        .order_by(Team.name)
    ).all()
    members: dict[uuid.UUID, list[Member]] = {}
    for row in session.execute(
        select(User.team_id, User.id, User.display_name, User.is_active)
        .where(User.organisation_id == organisation_id, User.team_id.is_not(None))
        .order_by(User.display_name, User.email)
    ):
        members.setdefault(row.team_id, []).append(Member(row.id, row.display_name, row.is_active))
    return [TeamRow(t.id, t.name, t.supervisor_id, t.display_name, tuple(members.get(t.id, ()))) for t in teams]
