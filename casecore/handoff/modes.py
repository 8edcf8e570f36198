"""Which organisations hand reports over to Primero, and when (PRIMERO_HANDOFF); and the organisations with a
Primero of their own (PRIMERO_ORGANISATIONS)."""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.errors import InvalidInput
from casecore.people.models import Organisation
from casecore.taxonomy import HANDOFF_MODES


@dataclass(frozen=True)
class HandoffModes:
    """A default mode and the organisations (by slug) that differ from it."""

    default: str = "off"
    by_organisation: Mapping[str, str] = field(default_factory=dict)

    def for_organisation(self, slug: str) -> str:
        """The mode of the organisation with this slug."""
        return self.by_organisation.get(slug, self.default)

    @property
    def any_on(self) -> bool:
        """Whether any organisation hands reports over."""
        return self.default != "off" or any(mode != "off" for mode in self.by_organisation.values())


def parse_modes(raw: str) -> HandoffModes:
    """ "on_accept,slug-b=on_report" as HandoffModes; ValueError naming PRIMERO_HANDOFF when malformed."""
    default, by_organisation = "off", {}
    for part in (raw or "off").split(","):
        slug, sep, mode = part.strip().rpartition("=")
        mode, slug = mode.strip().lower(), slug.strip()
        if mode not in HANDOFF_MODES or (sep and not slug) or slug in by_organisation:
            raise ValueError(f"PRIMERO_HANDOFF must be one of {', '.join(HANDOFF_MODES)}, or a default followed by "
                             f"slug=mode pairs separated by commas; got {raw!r}")
        if sep:
            by_organisation[slug] = mode
        else:
            default = mode
    return HandoffModes(default, MappingProxyType(by_organisation))


def mode_of(session: Session, modes: HandoffModes, organisation_id: uuid.UUID) -> str:
    """The hand-off mode of an organisation (by its id)."""
    if not modes.by_organisation:
        return modes.default
    return modes.for_organisation(slug_of(session, organisation_id))


# What an organisation may set for itself: its instance, its account there, its module and its mapping.
OWN_SETTINGS = ("PRIMERO_URL", "PRIMERO_USERNAME", "PRIMERO_PASSWORD", "PRIMERO_MODULE", "PRIMERO_MAPPING",
                "PRIMERO_PUBLIC_URL")


def load_overrides(path: str) -> dict[str, dict[str, str]]:
    """{slug: {setting: value}} from a JSON file of PRIMERO_ORGANISATIONS; ValueError naming it when malformed."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            given = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError(f"PRIMERO_ORGANISATIONS: cannot read {path}: {exc}") from None
    if not isinstance(given, dict) or not all(
            isinstance(own, dict) and set(own) <= set(OWN_SETTINGS) and all(isinstance(v, str) for v in own.values())
            for own in given.values()):
        raise ValueError(f"PRIMERO_ORGANISATIONS: {path} must be an object of organisation slugs, each an object "
                         f"of some of {', '.join(OWN_SETTINGS)} with text values")
    return {str(slug): dict(own) for slug, own in given.items()}


def slug_of(session: Session, organisation_id: uuid.UUID) -> str:
    """An organisation's slug (whose settings a hand-off follows)."""
    slug = session.scalar(select(Organisation.slug).where(Organisation.id == organisation_id))
    if slug is None:
        raise InvalidInput(f"organisation {organisation_id} does not exist")
    return slug
