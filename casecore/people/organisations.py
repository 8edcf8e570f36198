"""Organisations: finding the one a report or a new account belongs to."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.errors import NoOrganisation
from casecore.people.models import Organisation


def find_organisation(session: Session, slug: str = "") -> Organisation:
    """The organisation with this slug, else the only one; NoOrganisation when that is ambiguous or empty."""
    if slug:
        org = session.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None:
            raise NoOrganisation(f"organisation {slug!r} does not exist")
        return org
    orgs = session.scalars(select(Organisation).order_by(Organisation.created_at).limit(2)).all()
    if len(orgs) != 1:
        raise NoOrganisation("several organisations exist; name one" if orgs else "no organisation exists yet")
    return orgs[0]
