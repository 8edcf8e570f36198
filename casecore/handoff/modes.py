"""Which organisations hand reports over to Primero, and when (PRIMERO_HANDOFF)."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    return modes.for_organisation(session.scalar(select(Organisation.slug).where(
        Organisation.id == organisation_id)) or "")
