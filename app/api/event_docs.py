"""The outbound events as /api/v1/docs tells them (each kind, the scopes it needs, what it carries, the headers, the
signature and the retries), read from the code that writes, signs and sends them; the README tells the same at
length, with a receiver's check in Python."""
from __future__ import annotations

from dataclasses import dataclass

from casecore.changes import CASE_OPENED, CASE_UPDATED, COMPLAINT_CREATED, KINDS, REPORT_CREATED
from casecore.partners import deliveries, signing
from casecore.partners.events import RESOURCE_OF, WATCHED_CASE_FIELDS
from casecore.partners.resources import PERSONAL_FIELDS
from casecore.partners.scopes import EVENTS
from casecore.partners.subscriptions import KIND_SCOPES

# What a case's events carry of the Case schema: where it stands, nothing personal.
CASE_SUMMARY = ("the fields of the Case that say where it stands (its deadlines, referrals and personal part are read "
                "with GET /cases/{reference})")
# When each kind is sent, the schema of the document its data follows (None: none yet), and what the data holds.
# tests/web/api/test_api_docs.py fails for a kind of casecore.changes without its line here; the page lists it all
# the same, with the README to read.
TELLS = {
    REPORT_CREATED: ("A report was received, by any channel (USSD, SMS, WhatsApp, the web form, this API).", "Report",
                     "the report, as GET /reports/{reference} gives it"),
    CASE_OPENED: ("A supervisor opened a case from a report.", "Case", CASE_SUMMARY),
    CASE_UPDATED: ("A case's status, step, risk level, case worker or organisation changed (one event per "
                   "transaction that changed it).", "Case", CASE_SUMMARY),
    COMPLAINT_CREATED: ("A complaint was received (a focal point's data).", None,
                        "the complaint: its reference, channel, category, status, severity, whether it is anonymous "
                        "and may be contacted, when it was received and is due"),
}
# A worked signature, computed by the code that signs every event, for a partner to test its check against.
EXAMPLE_SECRET = "whsec_example"
EXAMPLE_TIMESTAMP = 1767261600
EXAMPLE_BODY = ('{"id":"0f6c2b1e-5d7a-4c1e-9b7e-2a9f4e1c3d55","type":"case.updated",'
                '"occurred_at":"2026-01-01T10:00:00.123456Z","data":{"reference":"C4TW9RA","changed":["status"]}}')


@dataclass(frozen=True)
class EventKind:
    """One kind of event as the page lists it."""

    name: str
    scopes: tuple[str, ...]
    tells: str
    schema: str | None
    carries: str
    personal_fields: tuple[str, ...]
    changed: tuple[str, ...]


@dataclass(frozen=True)
class EventsDoc:
    """Everything the page's events section says, with the values the code uses."""

    kinds: list[EventKind]
    events_scope: str
    signature_header: str
    delivery_header: str
    event_header: str
    tolerance_seconds: int
    first_retry_seconds: int
    longest_retry_seconds: int
    give_up_hours: int
    example_secret: str
    example_body: str
    example_signature: str


def events_doc() -> EventsDoc:
    """The events section of the docs page."""
    kinds = []
    for kind in KINDS:
        tells, schema, carries = TELLS.get(kind, ("See the README, Outbound events.", None, "see the README"))
        kinds.append(EventKind(
            name=kind, scopes=(EVENTS, KIND_SCOPES[kind]), tells=tells, schema=schema, carries=carries,
            personal_fields=PERSONAL_FIELDS[RESOURCE_OF[kind]],
            changed=tuple(WATCHED_CASE_FIELDS.values()) if kind == CASE_UPDATED else ()))
    return EventsDoc(
        kinds=kinds, events_scope=EVENTS, signature_header=signing.HEADER, delivery_header=signing.DELIVERY_HEADER,
        event_header=signing.EVENT_HEADER, tolerance_seconds=signing.TOLERANCE_SECONDS,
        first_retry_seconds=deliveries.BACKOFF_FIRST_SECONDS, longest_retry_seconds=deliveries.BACKOFF_LONGEST_SECONDS,
        give_up_hours=deliveries.GIVE_UP_HOURS, example_secret=EXAMPLE_SECRET, example_body=EXAMPLE_BODY,
        example_signature=signing.sign(EXAMPLE_SECRET, EXAMPLE_BODY.encode("utf-8"), EXAMPLE_TIMESTAMP))
