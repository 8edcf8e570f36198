"""Roles: what each kind of staff member may do, and the protocol that access decisions read a person through."""
from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import select

from casecore.people.models import Team

SUPERVISOR = "supervisor"
CASEWORKER = "caseworker"
ADMIN = "admin"
FOCAL_POINT = "focal_point"
# Roles that may read case content at all.
CASE_ROLES = frozenset({SUPERVISOR, CASEWORKER})
# Case workers a supervisor supervises, at most, by the quality framework's norm (a supervisor for 5 to 6).
SUPERVISION_SPAN = 6


class Staff(Protocol):
    """What access decisions need to know about the person asking (app.auth.views.StaffUser has it)."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    role: str


def may_triage(role: str) -> bool:
    """Whether this role reads the triage queue and decides about new reports."""
    return role == SUPERVISOR


def may_manage_people(role: str) -> bool:
    """Whether this role manages users, teams, locations and settings (and never case content)."""
    return role == ADMIN


def teams_led_by(user_id: uuid.UUID):
    """SQL: the ids of the teams a supervisor leads."""
    return select(Team.id).where(Team.supervisor_id == user_id)
