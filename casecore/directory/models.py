"""The service directory: who provides which service, where."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from casecore.base import Base, UTCDateTime, utcnow, uuid_pk


class Service(Base):
    """An entry of the service directory: who provides what, where, how to reach them, when last checked."""

    __tablename__ = "service"

    id: Mapped[uuid.UUID] = uuid_pk()
    # The organisation whose directory lists it.
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    provider_name: Mapped[str] = mapped_column(String(200))
    service_type: Mapped[str] = mapped_column(String(40))  # taxonomy.SERVICE_TYPES
    area_location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("location.id"))
    contact: Mapped[Optional[str]] = mapped_column(String(200))
    # When the provider is itself an organisation in Relais, a case can be transferred to it.
    provider_organisation_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("organisation.id"))
    last_verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
