"""Who exists: organisations, the places of the administrative hierarchy, staff and their teams."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false, orm
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk
from casecore.sealing import SealedText


class Organisation(Base):
    """An agency that receives reports and employs supervisors and case workers."""

    __tablename__ = "organisation"

    id: Mapped[uuid.UUID] = uuid_pk()
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Location(Base):
    """A place in the administrative hierarchy (level 1 region, 2 cercle, 3 commune), keyed by its p-code."""

    __tablename__ = "location"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"), index=True)

    parent: Mapped[Optional["Location"]] = orm.relationship(remote_side="Location.id")


class User(Base):
    """A staff member who logs in to the web view and may receive alerts by SMS."""

    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # How people see the staff member in lists, pickers and the audit trail; the email stays the login.
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    # An account an administrator made: its owner sets their own password at the first login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_changed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    role: Mapped[str] = mapped_column(String(32))
    phone: Mapped[Optional[str]] = mapped_column(SealedText)
    language: Mapped[str] = mapped_column(String(8), default="fr")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The team a case worker belongs to (a supervisor leads teams: Team.supervisor_id).
    team_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("team.id", use_alter=True), index=True)
    # Matching a case worker to a family: a girl may ask for a woman; the languages spoken (comma-separated codes).
    sex: Mapped[Optional[str]] = mapped_column(String(16))
    spoken_languages: Mapped[Optional[str]] = mapped_column(String(64))

    organisation: Mapped[Organisation] = orm.relationship()


class Team(Base):
    """A supervisor's team of case workers within an organisation; a supervisor sees the team's cases."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_team_organisation_name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    supervisor_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
