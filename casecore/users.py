"""Staff accounts: creation, password checks and lookups."""
from __future__ import annotations

import uuid
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from casecore import taxonomy
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.ids import parse_id
from casecore.models import User
from casecore.organisations import find_organisation
from casecore.phones import normalise_phone

MIN_PASSWORD_LENGTH = 8


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash checked when the email is unknown, so both paths take the same time (made on first use)."""
    return generate_password_hash("relais-timing-equaliser")


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    phone: str,
    password: str,
    language: str = "fr",
    organisation_slug: str = "",
    default_region: str = "ML",
) -> User:
    """Create a staff account in the named organisation, or the only one when none is named."""
    email = (email or "").strip().lower()
    if "@" not in email:
        raise InvalidInput("email must contain @")
    taxonomy.require(role, taxonomy.ROLES, "role")
    taxonomy.require(language, taxonomy.LANGUAGES, "language")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    organisation = find_organisation(session, organisation_slug)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        organisation_id=organisation.id,
        email=email,
        password_hash=generate_password_hash(password),
        role=role,
        phone=normalise_phone(phone, default_region),
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
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
