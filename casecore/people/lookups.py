"""Finding staff and teams: the reads every feature needs about who works where (the writes are in accounts/)."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.errors import NotFound
from casecore.ids import parse_id
from casecore.people.models import Team, User


def active_users_with_role(session: Session, organisation_id: uuid.UUID, role: str) -> list[tuple[uuid.UUID, str]]:
    """(id, display name) of the organisation's active accounts with this role, by name: for choosing in a form."""
    return [tuple(row) for row in session.execute(
        select(User.id, User.display_name)
        .where(User.organisation_id == organisation_id, User.role == role, User.is_active.is_(True))
        .order_by(User.display_name, User.email)
    )]


def find_user_by_email(session: Session, organisation_id: uuid.UUID, email: str) -> User:
    """The organisation's account with this email; NotFound otherwise."""
    user = session.scalar(select(User).where(User.organisation_id == organisation_id,
                                             User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound(f"no account {email!r} in this organisation")
    return user


def get_user(session: Session, user_id: str | uuid.UUID) -> User | None:
    """The user with this id, or None when the id is unknown or malformed."""
    try:
        return session.get(User, parse_id(user_id, "user"))
    except NotFound:
        return None


def supervisors_of(session: Session, organisation_id: uuid.UUID) -> list[User]:
    """Active supervisors of an organisation who have a phone for alerts."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation_id,
                User.role == "supervisor",
                User.is_active.is_(True),
                User.phone.is_not(None),
            )
            .order_by(User.email)
        )
    )


def get_team(session: Session, organisation_id: uuid.UUID, team_id: str | uuid.UUID) -> Team:
    """The organisation's team with this id; NotFound for another organisation's or an unknown one."""
    team = session.get(Team, parse_id(team_id, "team"))
    if team is None or team.organisation_id != organisation_id:
        raise NotFound(f"team {team_id} not found")
    return team


def find_team(session: Session, organisation_id: uuid.UUID, name: str) -> Team:
    """The organisation's team with this name; NotFound otherwise."""
    team = session.scalar(select(Team).where(Team.organisation_id == organisation_id,
                                             Team.name == " ".join((name or "").split())))
    if team is None:
        raise NotFound(f"no team {name!r} in this organisation")
    return team


def teams_led_by_user(session: Session, user_id: uuid.UUID) -> list[str]:
    """Names of the teams this user leads."""
    return list(session.scalars(select(Team.name).where(Team.supervisor_id == user_id).order_by(Team.name)))


def case_workers_led_by(session: Session, supervisor_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The active case workers of the teams this supervisor leads, as (id, display name) by name."""
    return [tuple(row) for row in session.execute(
        select(User.id, User.display_name).join(Team, Team.id == User.team_id)
        .where(Team.supervisor_id == supervisor_id, User.role == "caseworker", User.is_active.is_(True))
        .order_by(User.display_name, User.email))]
