"""Staff accounts: creation, changes by an administrator, password checks (the reads are in people/lookups.py)."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from casecore import taxonomy
from casecore.accounts.grants import GRANTED_ROLES, pending_for_account, request_role, request_team_member
from casecore.accounts.models import AccessGrant, LoginLock
from casecore.accounts.passwords import password_problem
from casecore.accounts.sessions import end_user_sessions
from casecore.accounts.teams import ONLY_CASE_WORKERS, add_member
from casecore.base import utcnow
from casecore.cases.assignment import cases_follow
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.i18n import N_
from casecore.ids import parse_id
from casecore.paging import Page, fetch_page
from casecore.people.lookups import find_team, get_team, teams_led_by_user
from casecore.people.models import Organisation, Team, User
from casecore.people.organisations import find_organisation
from casecore.phones import mask_phone, normalise_phone

# Matching a case worker to a family: a girl may ask for a woman (domain rules, "Staffing").
STAFF_SEXES = ("female", "male")

# Messages shown to administrators; the web view translates them from its catalogue.
NOT_YOURSELF = N_("You cannot change your own role or deactivate your own account.")
LEADS_A_TEAM = N_("This supervisor leads a team: give the team another supervisor first.")
BAD_LANGUAGES = N_("Spoken languages are codes among fr, en and bm, separated by commas.")
AWAITS_CONFIRMATION = N_("This account opens once a second person confirms its role.")
WRONG_CURRENT_PASSWORD = N_("The current password is not right.")
SAME_PASSWORD = N_("Choose a password other than the current one.")
BAD_DISPLAY_NAME = N_("Give the account a name (at most 120 characters).")
DISPLAY_NAME_LENGTH = 120
NAME_TAKEN = N_("Another account of the organisation has this name: add what tells them apart (a second first name, "
                "the place they work).")


@dataclass(frozen=True)
class UserRow:
    """A staff account as the administrator's list shows it; the phone number is masked."""

    id: uuid.UUID
    display_name: str
    email: str
    role: str
    language: str
    team_id: uuid.UUID | None
    team_name: str | None
    sex: str | None
    spoken_languages: str | None
    is_active: bool
    locked_until: datetime | None
    phone_masked: str
    awaiting_confirmation: bool = False  # a new account whose role waits for a second person

    @property
    def is_locked(self) -> bool:
        """Whether repeated failed logins keep the account locked now, from at least one address."""
        return self.locked_until is not None and self.locked_until > utcnow()


@dataclass(frozen=True)
class AccountChange:
    """What an administrator may change on an account."""

    role: str
    language: str
    is_active: bool
    team_id: uuid.UUID | None = None
    sex: str | None = None
    spoken_languages: str | None = None
    display_name: str | None = None  # None keeps the name


def parse_display_name(raw: str | None) -> str:
    """The name people see for an account, its spaces tidied; InvalidInput when empty or over 120 characters."""
    name = " ".join((raw or "").split())
    if not name or len(name) > DISPLAY_NAME_LENGTH:
        raise InvalidInput(BAD_DISPLAY_NAME)
    return name


def _require_name_free(session: Session, organisation_id: uuid.UUID, name: str,
                       but: uuid.UUID | None = None) -> None:
    # Pickers name staff by their display name, and some choices decide who may read what (the staff a complaint
    # names never see it): two accounts of one organisation never share a name, whatever its case.
    taken = select(User.id).where(User.organisation_id == organisation_id,
                                  func.lower(User.display_name) == name.lower())
    if but is not None:
        taken = taken.where(User.id != but)
    if session.scalar(taken.limit(1)) is not None:
        raise InvalidInput(NAME_TAKEN)


def parse_spoken_languages(raw: str | Iterable[str] | None) -> str | None:
    """'fr, BM' -> 'fr,bm': community language codes, each once, in the order given; None when empty."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or ())
    codes: list[str] = []
    for item in items:
        code = item.strip().lower()
        if not code:
            continue
        if code not in taxonomy.COMMUNITY_LANGUAGES:
            raise InvalidInput(BAD_LANGUAGES)
        if code not in codes:
            codes.append(code)
    return ",".join(codes) or None


def _require_sex(sex: str | None) -> str | None:
    if sex in (None, ""):
        return None
    return taxonomy.require(sex, STAFF_SEXES, "sex")


@lru_cache(maxsize=1)
def timing_hash() -> str:
    """A hash checked when the email is unknown, so both paths take the same time (made on first use)."""
    return generate_password_hash("relais-timing-equaliser")


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: str,
    phone: str,
    password: str,
    language: str = "fr",
    organisation_slug: str = "",
    default_region: str = "ML",
    team_name: str = "",
    sex: str | None = None,
    spoken_languages: str | Iterable[str] | None = None,
    organisation_id: uuid.UUID | None = None,
    requested_by_id: uuid.UUID | None = None,
) -> User:
    """Create a staff account, named display_name, in the organisation given by id or slug, or the only one when
    none is given.

    team_name puts a case worker in that team of the organisation; sex and spoken_languages help match case workers
    to families. Made by an administrator (requested_by_id), a supervisor or focal-point account stays inactive and
    a team place waits until a second person confirms them (casecore.accounts.grants); the command line makes them
    at once (the first of each).
    """
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidInput("email must contain @ (at most 254 characters)")
    display_name = parse_display_name(display_name)
    taxonomy.require(role, taxonomy.ROLES, "role")
    taxonomy.require(language, taxonomy.LANGUAGES, "language")
    sex = _require_sex(sex)
    spoken = parse_spoken_languages(spoken_languages)
    problem = password_problem(password, email)
    if problem is not None:
        raise InvalidInput(problem)
    organisation = (session.get(Organisation, organisation_id) if organisation_id is not None
                    else find_organisation(session, organisation_slug))
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    team = find_team(session, organisation.id, team_name) if team_name else None
    if team is not None and role != "caseworker":
        raise InvalidInput(ONLY_CASE_WORKERS)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    _require_name_free(session, organisation.id, display_name)
    gated = requested_by_id is not None and role in GRANTED_ROLES
    user = User(
        organisation_id=organisation.id,
        email=email,
        display_name=display_name,
        password_hash=generate_password_hash(password),
        # Until a second person confirms it, the account holds the role that opens the least (no case is
        # assigned to it), and stays closed.
        role="caseworker" if gated else role,
        phone=normalise_phone(phone, default_region),
        language=language,
        sex=sex,
        spoken_languages=spoken,
        is_active=not gated,
        # The administrator chose this password: its owner replaces it at the first login.
        must_change_password=requested_by_id is not None,
    )
    session.add(user)
    session.flush()
    if gated:
        request_role(session, user, role, requested_by_id, activates=True)
    if team is not None:
        if requested_by_id is None:
            add_member(session, team, user.id)
        else:
            request_team_member(session, user, team, requested_by_id)
    return user


def org_user(session: Session, organisation_id: uuid.UUID, user_id: str | uuid.UUID) -> User:
    """The organisation's account with this id; NotFound for another organisation's or an unknown one."""
    user = session.get(User, parse_id(user_id, "user"))
    if user is None or user.organisation_id != organisation_id:
        raise NotFound(f"user {user_id} not found")
    return user


def update_user(session: Session, organisation_id: uuid.UUID, user_id: str | uuid.UUID, change: AccountChange,
                *, acting_user_id: uuid.UUID) -> User:
    """Apply an administrator's change: name, role, language, team, active, sex and spoken languages. A supervisor or
    focal-point role and a place in a team are asked for, and given when a second person confirms them."""
    user = org_user(session, organisation_id, user_id)
    taxonomy.require(change.role, taxonomy.ROLES, "role")
    taxonomy.require(change.language, taxonomy.LANGUAGES, "language")
    sex = _require_sex(change.sex)
    spoken = parse_spoken_languages(change.spoken_languages)
    name = user.display_name if change.display_name is None else parse_display_name(change.display_name)
    if name != user.display_name:
        _require_name_free(session, organisation_id, name, but=user.id)
    # An administrator who demoted or deactivated themselves could leave nobody to manage accounts.
    if user.id == acting_user_id and (change.role != user.role or not change.is_active):
        raise InvalidInput(NOT_YOURSELF)
    if change.is_active and not user.is_active and any(g.activates for g in pending_for_account(session, user.id)):
        raise InvalidInput(AWAITS_CONFIRMATION)
    role = change.role
    if role != user.role and role in GRANTED_ROLES:
        request_role(session, user, role, acting_user_id)
        role = user.role  # unchanged until confirmed
    if (role != "supervisor" or not change.is_active) and teams_led_by_user(session, user.id):
        raise InvalidInput(LEADS_A_TEAM)
    if user.is_active and not change.is_active:
        end_user_sessions(session, user.id, "deactivated")  # logged out everywhere, now
    user.role, user.language, user.is_active = role, change.language, change.is_active
    user.sex, user.spoken_languages, user.display_name = sex, spoken, name
    if change.team_id is None or role != "caseworker":
        # Only case workers belong to a team; a new role leaves it.
        if user.team_id is not None:
            cases_follow(session, user.id, None)
        user.team_id = None
    elif change.team_id != user.team_id:
        request_team_member(session, user, get_team(session, organisation_id, change.team_id), acting_user_id)
    session.flush()
    return user


def change_password(session: Session, user_id: uuid.UUID, current: str, new: str) -> User:
    """A staff member replaces their password (giving the current one); every session of theirs ends (the caller
    opens the one it goes on with). InvalidInput with a msgid saying what is wrong."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None or not user.is_active:
        raise NotFound(f"user {user_id} not found")
    if not check_password_hash(user.password_hash, current or ""):
        raise InvalidInput(WRONG_CURRENT_PASSWORD)
    if check_password_hash(user.password_hash, new or ""):
        raise InvalidInput(SAME_PASSWORD)
    problem = password_problem(new, user.email)
    if problem is not None:
        raise InvalidInput(problem)
    user.password_hash, user.must_change_password, user.password_changed_at = generate_password_hash(new), False, \
        utcnow()
    end_user_sessions(session, user.id, "password_changed")
    session.flush()
    return user


def unlock_user(session: Session, organisation_id: uuid.UUID, user_id: str | uuid.UUID) -> User:
    """Lift the locks left by repeated failed logins (from every address), and forget the failures."""
    user = org_user(session, organisation_id, user_id)
    session.execute(delete(LoginLock).where(LoginLock.user_id == user.id).execution_options(synchronize_session=False))
    session.flush()
    return user


def list_users(session: Session, organisation_id: uuid.UUID, user_id: uuid.UUID | None = None) -> list[UserRow]:
    """The organisation's accounts by name (or the one with user_id), with their team's name."""
    query = _users_query(organisation_id)
    if user_id is not None:
        query = query.where(User.id == user_id)
    return [_user_row(*row) for row in session.execute(query).all()]


def users_page(session: Session, organisation_id: uuid.UUID, page: int) -> Page:
    """One page of the organisation's accounts by name, as list_users gives them."""
    found = fetch_page(session, _users_query(organisation_id), page)
    return replace(found, rows=tuple(_user_row(*row) for row in found.rows))


def _user_row(u: User, team_name: str | None, locked: datetime | None, waits: bool) -> UserRow:
    return UserRow(u.id, u.display_name, u.email, u.role, u.language, u.team_id, team_name, u.sex,
                   u.spoken_languages, u.is_active, locked, mask_phone(u.phone), bool(waits))


def _users_query(organisation_id: uuid.UUID):
    # Locked from at least one address until the latest of those locks ends.
    locked_until = (select(func.max(LoginLock.locked_until)).where(LoginLock.user_id == User.id)
                    .correlate(User).scalar_subquery())
    awaiting = (select(AccessGrant.id).where(AccessGrant.user_id == User.id, AccessGrant.status == "pending",
                                             AccessGrant.activates.is_(True)).correlate(User).exists())
    return (select(User, Team.name, locked_until, awaiting).outerjoin(Team, Team.id == User.team_id)
            .where(User.organisation_id == organisation_id).order_by(User.display_name, User.email, User.id))


def account_row(session: Session, organisation_id: uuid.UUID, user_id: str | uuid.UUID) -> UserRow:
    """One of the organisation's accounts as a row; NotFound for another organisation's or an unknown one."""
    rows = list_users(session, organisation_id, parse_id(user_id, "user"))
    if not rows:
        raise NotFound(f"user {user_id} not found")
    return rows[0]


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        check_password_hash(timing_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    return user
