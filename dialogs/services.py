"""What the community conversations need from the case store and configuration, passed in by each entry point."""
from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Callable, Mapping

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from casecore.deadlines.timelines import Timelines
from casecore.handoff.mapping import HandoffMapping
from casecore.people.locations import PlaceDirectory


@dataclass
class CommunityServices:
    """Reference data, a way to open a transaction, and the settings the prompts mention."""

    places: PlaceDirectory
    # Opens a transaction (read_only=True: a look-up that commits nothing); only the steps that record or look
    # something up need one.
    unit_of_work: Callable[..., AbstractContextManager[Session]]
    receiving_organisation: uuid.UUID
    default_region: str
    emergency_contacts: tuple[str, ...]
    # Keyed hash of a phone number: lets a number check its own reports without the number being kept.
    phone_key: Callable[[str], str]
    # Keywords per action and language, for help texts on SMS and WhatsApp (e.g. {"complaint": {"fr": "PLAINTE"}}).
    keywords: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The SMS backend for alerts to staff that a conversation writes (e.g. a family's message to its case worker).
    alert_backend: str = "console"
    # Case-work timelines: a new report gets the date by which it must be assigned (None: the scheduler adds it).
    timelines: Timelines | None = None
    # The code dialled to reach the USSD service, as the telco sent it (USSD only): last screens name it.
    ussd_code: str = ""
    # Feedback answers the survey sent to the number within this many days (FEEDBACK_ANSWER_DAYS).
    feedback_answer_days: int = 30
    # An organisation's mapping (by slug) to the Primero instance its cases are handed over to (None: no hand-off):
    # a family's message on a handed-over case reaches the Relais account of its owner in Primero.
    primero_mapping: Callable[[str], HandoffMapping] | None = None
    # A connection for one statement that only reads, or that writes all or nothing by itself (casecore.db
    # single_read, single_write): cheaper than a transaction's session on a USSD step. None: unit_of_work is used.
    single_read: Callable[[], AbstractContextManager[Connection]] | None = None
    single_write: Callable[[], AbstractContextManager[Connection]] | None = None

    def read_one(self) -> AbstractContextManager[Session | Connection]:
        """Where to run one statement that only reads."""
        return self.single_read() if self.single_read else self.unit_of_work(read_only=True)

    def write_one(self) -> AbstractContextManager[Session | Connection]:
        """Where to run one statement that writes all or nothing by itself."""
        return self.single_write() if self.single_write else self.unit_of_work()
