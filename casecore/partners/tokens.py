"""Making, listing, revoking and checking API tokens.

A token reads `rls_<prefix>_<secret>`: the prefix finds the row, the secret is compared with its SHA-256 in
constant time. Both are random (secrets.token_urlsafe), so a plain hash is enough: no password to guess.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.partners.models import ApiToken, EventSubscription
from casecore.partners.scopes import SCOPES
from casecore.partners.subscriptions import end_subscriptions
from casecore.people.models import Organisation
from casecore.people.organisations import find_organisation

TOKEN_START = "rls_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOKEN = re.compile(r"^rls_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{32,64})$")
# Writing last_used_at on every call would make each read a write: once a minute is enough to tell it is in use.
LAST_USED_EVERY_SECONDS = 60


@dataclass(frozen=True)
class TokenHolder:
    """Who is calling: the token's id and name, its organisation and what it may do."""

    id: uuid.UUID
    name: str
    organisation_id: uuid.UUID
    scopes: frozenset[str]
    last_used_at: datetime | None = None

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    def use_to_note(self, now: datetime) -> bool:
        """Whether this call should write when the token was last used (at most once a minute)."""
        return self.last_used_at is None or (now - self.last_used_at).total_seconds() >= LAST_USED_EVERY_SECONDS


@dataclass(frozen=True)
class TokenRow:
    """A token as `token list` shows it (never its secret)."""

    name: str
    organisation_slug: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def parse_scopes(text: str) -> tuple[str, ...]:
    """Scopes written with commas or spaces, each one of SCOPES; InvalidInput names any other."""
    scopes = tuple(dict.fromkeys(part for part in re.split(r"[\s,]+", text.strip()) if part))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput(f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(SCOPES)}" if unknown
                           else f"give at least one scope of {', '.join(SCOPES)}")
    return scopes


def create_token(session: Session, name: str, organisation_slug: str, scopes: tuple[str, ...]) -> str:
    """Make a token for an organisation's partner system and return it whole: the only time it is ever seen."""
    if not _NAME.match(name or ""):
        raise InvalidInput("a token name has 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    organisation = find_organisation(session, organisation_slug)
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict(f"a token named {name!r} exists already (revoked tokens keep their name)")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(ApiToken(organisation_id=organisation.id, name=name, prefix=prefix, secret_hash=_digest(secret),
                         scopes=" ".join(parse_scopes(" ".join(scopes)))))
    session.flush()
    return f"{TOKEN_START}{prefix}_{secret}"


def revoke_token(session: Session, name: str) -> None:
    """Revoke a token at once: its next call is refused, and its subscriptions end (what waited is failed, and the
    personal data it held goes with it)."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFound(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        end_subscriptions(session, EventSubscription.token_id == token.id, "the token was revoked")


def list_tokens(session: Session) -> list[TokenRow]:
    """Every token, newest first, revoked ones included."""
    rows = session.execute(select(ApiToken, Organisation.slug).join(Organisation,
                                                                    Organisation.id == ApiToken.organisation_id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.name))
    return [TokenRow(token.name, slug, tuple(token.scopes.split()), token.created_at, token.last_used_at,
                     token.revoked_at) for token, slug in rows]


def token_holder(session: Session, presented: str) -> TokenHolder | None:
    """The holder of a presented token, or None when it is malformed, unknown, wrong or revoked (reads only)."""
    match = _TOKEN.match(presented or "")
    if match is None:
        return None
    prefix, secret = match.groups()
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    return TokenHolder(token.id, token.name, token.organisation_id, frozenset(token.scopes.split()),
                       token.last_used_at)


def note_use(session: Session, holder: TokenHolder, now: datetime) -> None:
    """Write that the token was used now."""
    session.execute(update(ApiToken).where(ApiToken.id == holder.id).values(last_used_at=now))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
