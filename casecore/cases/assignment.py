"""Choosing a case worker for a new case: open caseloads, the caseload limit, and the family's stated needs.

Staffing standards (../shared/domain/README.md): at most 25 cases per case worker, enough women case workers for
girls, and the child's preference (sex, language) taken into account.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casecore.cases.models import Case
from casecore.people.models import Team, User
from casecore.people.roles import CASEWORKER

# A case still in a case worker's hands: open, or waiting for the supervisor to approve its closure.
OPEN_STATUSES = ("open", "closure_requested")


@dataclass(frozen=True)
class Candidate:
    """An active case worker as the assignment list shows them, with what matches the family's needs."""

    id: uuid.UUID
    name: str
    team_name: str | None
    open_cases: int
    over_limit: bool
    # None when the family asked nothing on this point; else whether this worker meets the request.
    is_woman: bool | None
    speaks_family_language: bool | None

    @property
    def matches(self) -> int:
        """How many of the family's requests this worker meets."""
        return int(bool(self.is_woman)) + int(bool(self.speaks_family_language))


def open_caseloads():
    """SQL: (assigned_to_id, open case count) for every case worker with open cases."""
    return (select(Case.assigned_to_id.label("user_id"), func.count(Case.id).label("open_cases"))
            .where(Case.status.in_(OPEN_STATUSES), Case.assigned_to_id.is_not(None))
            .group_by(Case.assigned_to_id).subquery())


def candidates(session: Session, organisation_id: uuid.UUID, *, caseload_limit: int,
               wants_female_worker: bool = False, family_language: str | None = None) -> list[Candidate]:
    """The organisation's active case workers, best match first, then the lightest caseload, then by name."""
    loads = open_caseloads()
    rows = session.execute(
        select(User.id, User.display_name, Team.name, func.coalesce(loads.c.open_cases, 0), User.sex,
               User.spoken_languages)
        .outerjoin(loads, loads.c.user_id == User.id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.organisation_id == organisation_id, User.role == CASEWORKER, User.is_active.is_(True))
    )
    found = [
        Candidate(
            id=user_id, name=name, team_name=team, open_cases=count, over_limit=count > caseload_limit,
            is_woman=(sex or "").strip().lower() == "female" if wants_female_worker else None,
            speaks_family_language=family_language in spoken(languages) if family_language else None,
        )
        for user_id, name, team, count, sex, languages in rows
    ]
    return sorted(found, key=lambda c: (-c.matches, c.open_cases, c.name.casefold(), str(c.id)))


def spoken(languages: str | None) -> set[str]:
    """The language codes of a User.spoken_languages value ("fr,bm")."""
    return {code.strip().lower() for code in (languages or "").split(",") if code.strip()}


def find_case_worker(session: Session, organisation_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """The organisation's active case worker with this id, or None."""
    return session.scalar(select(User).where(
        User.id == user_id, User.organisation_id == organisation_id, User.role == CASEWORKER,
        User.is_active.is_(True)))


def cases_follow(session: Session, user_id: uuid.UUID, team_id: uuid.UUID | None) -> int:
    """A case worker's open cases follow them to their new team (none: the organisation's supervisors), so the
    supervisor who oversees the worker oversees their cases; returns how many moved."""
    return session.execute(
        update(Case).where(Case.assigned_to_id == user_id, Case.status.in_(OPEN_STATUSES))
        .values(team_id=team_id).execution_options(synchronize_session=False)
    ).rowcount
