"""The hand-off jobs: create a report's case in Primero once, read handed-over cases back, add a family's message
to its Primero case as a note, send the case record again when it changes. The rules are casecore.handoff's; these
functions only make the calls.

Never twice: the row is claimed before the call and the case is created under an id derived from the report, so a
repeat is Primero's 409. A job killed during the call leaves the row "sending"; the sweep makes it "unknown", and
the next try looks the case up before creating anything.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select

from bootstrap import Runtime, bootstrap
from casecore.base import utcnow
from casecore.cases.models import Case, CaseEvent
from casecore.errors import InvalidInput
from casecore.handoff.alerts import queue_pause_alerts
from casecore.handoff.follow import apply_snapshot
from casecore.handoff.models import Handoff
from casecore.handoff.modes import slug_of
from casecore.handoff.payload import case_fields, consent_ticks, refused_values
from casecore.handoff.queue import (
    ALREADY_THERE,
    NOT_AUTHORISED,
    UNKNOWN,
    Claim,
    claim_handoff,
    is_paused,
    pause,
    record_outcome,
)
from casecore.handoff.record import FAMILY_SECTION, Sent, record_fields, remember_payload, removals, row_id
from casecore.handoff.routing import note_added
from casecore.i18n import gettext_for
from casecore.people.models import Organisation
from casecore.periods import local_today
from channels.primero.client import (
    CreateOutcome,
    PrimeroClient,
    PrimeroInvalid,
    PrimeroRefused,
    PrimeroUnavailable,
)
from workers.plans import closure_plan
from workers.queueing import enqueue_alert_send, enqueue_send, follow_up_queue

log = logging.getLogger(__name__)

# A claim older than this belongs to a job that died during its calls (a look-up and a create at most).
STALE_AFTER_TIMEOUTS = 3


def hand_over(handoff_id: str) -> str:
    """RQ job: send one hand-off to Primero unless it is not due, taken or settled; returns its status."""
    return send_handoff(bootstrap(), handoff_id)


def poll_cases(handoff_ids: str) -> int:
    """RQ job: read these handed-over cases back from Primero (comma-separated ids); returns how many changed."""
    return follow_cases(bootstrap(), [i for i in handoff_ids.split(",") if i])


def add_family_note(event_id: str) -> str:
    """RQ job: add a family's message to its handed-over case in Primero, as a note (once: the row has a fixed id)."""
    return add_note(bootstrap(), event_id)


def send_record(handoff_id: str) -> str:
    """RQ job: send a handed-over case's record to Primero again (a consent, the registration, the risk, a service
    or a tracing action was recorded since)."""
    return update_record(bootstrap(), handoff_id)


def update_record(runtime: Runtime, handoff_id: str) -> str:
    """PATCH what of the record differs from what Relais last sent: the consent tick boxes on their own first (a
    withdrawal as false: referrals in CPIMS+ rely on them, contract §5, and a field Primero refuses must not hold them
    back), then the rest; a relative taken off the list in Relais is removed there if Primero still has their row."""
    with runtime.unit_of_work(read_only=True) as session:
        handoff = session.get(Handoff, uuid.UUID(handoff_id))
        case = None if handoff is None or handoff.case_id is None else session.get(Case, handoff.case_id)
        if case is None or handoff.status != "sent":
            return "not handed over"
        if case.organisation_id != handoff.organisation_id:
            return "transferred"  # the case is another organisation's now: nothing more goes to this CPIMS+
        if is_paused(session):
            return "paused"  # each refused call would count towards the account's lock-out (contract §7)
        slug, primero_id = slug_of(session, handoff.organisation_id), handoff.primero_id
        try:
            mapping = runtime.primero_mapping(slug)
        except InvalidInput as exc:
            mapping, unreadable = None, str(exc)
        if mapping is not None:
            # The version and the record are read together: a change committed later bumps the version again.
            version, sent = case.record_version, Sent(handoff.record_sent)
            ticks = consent_ticks(session, case.id)
            record = record_fields(session, case, primero_id, mapping, consents=ticks,
                                   today=local_today(runtime.zone))
    if mapping is None:
        # Configuration, not data: every hand-off stops until the file is fixed and an administrator resumes.
        _pause(runtime, unreadable, runtime.primero_settings(slug).SMS_BACKEND)
        return "paused"
    client = runtime.primero(slug)
    if client is None:
        return "not configured"
    consents, rest, gone = sent.unsent(ticks), sent.unsent(record), sent.gone(record)
    status = {"consents": None, "record": None}
    try:
        if consents:
            status["consents"] = _patch(client, primero_id, consents, handoff_id, "consents")
        if gone:
            found = client.get_case(primero_id) or {}
            in_primero = [row.get("unique_id") for row in found.get(FAMILY_SECTION) or [] if isinstance(row, dict)]
            removed = removals(gone, in_primero)
            # A relative gone whose row Primero no longer has (removed there, or never reached it) is forgotten.
            sent.remember({}, removed=[row for row in gone if row not in in_primero])
            if removed:
                rest = {**rest, FAMILY_SECTION: rest.get(FAMILY_SECTION, []) + removed}
        if rest:
            status["record"] = _patch(client, primero_id, rest, handoff_id, "record")
    except PrimeroRefused as exc:
        if exc.status != 403:
            _pause(runtime, str(exc), runtime.primero_settings(slug).SMS_BACKEND)
            return "paused"
        # This case only: it left the account's scope in CPIMS+ (given to someone the account cannot see, §2).
        # Nothing goes until its record changes again; the account and the other cases are fine.
        log.warning("record of hand-off %s not sent: Primero refused this case (%s)", handoff_id, exc)
        status["record"] = "refused"
    # PrimeroUnavailable propagates: RQ retries, then the scheduler's sweep.
    if status["consents"] == "sent":
        sent.remember(consents)
    if status["record"] == "sent":
        sent.remember(rest, removed=[row["unique_id"] for row in rest.get(FAMILY_SECTION, []) if row.get("_destroy")],
                      built=record)
    with runtime.unit_of_work() as session:
        row = session.get(Handoff, uuid.UUID(handoff_id), with_for_update=True, populate_existing=True)
        # Compare and set: a job that read a newer record may have settled it already.
        if version > row.record_version_synced:
            row.record_version_synced, row.record_synced_at, row.record_sent = version, utcnow(), sent.as_json()
    return "refused" if "refused" in status.values() else "sent"


def _patch(client: PrimeroClient, primero_id: uuid.UUID, fields: dict, handoff_id: str, what: str) -> str:
    """PATCH the fields; a refusal is logged with the coded values Primero named (never the child's data) and not
    tried again until the record changes: the same fields would be refused the same way."""
    try:
        client.update_case(primero_id, fields)
    except PrimeroInvalid as exc:
        log.warning("%s of hand-off %s refused by Primero: %s", what, handoff_id,
                    ", ".join(refused_values(fields, exc.fields)) or exc)
        return "refused"
    return "sent"


def _pause(runtime: Runtime, reason: str, sms_backend: str) -> None:
    """Stop every hand-off (a configuration Primero or Relais cannot work with) and tell the administrators."""
    with runtime.unit_of_work() as session:
        pause(session, reason)
        alerts = queue_pause_alerts(session, sms_backend)
    _enqueue_alerts(runtime, alerts)


def send_handoff(runtime: Runtime, handoff_id: str) -> str:
    """Create the report's case in Primero (after looking it up when an earlier try's outcome is unknown)."""
    with runtime.unit_of_work(read_only=True) as session:
        organisation_id = session.scalar(select(Handoff.organisation_id).where(Handoff.id == uuid.UUID(handoff_id)))
        slug = None if organisation_id is None else slug_of(session, organisation_id)
    if slug is None:
        return "skipped"
    client = runtime.primero(slug)
    if client is None:
        log.warning("hand-off %s not sent: no PRIMERO_URL for its organisation", handoff_id)
        return "not configured"
    own = runtime.primero_settings(slug)
    try:
        mapping = runtime.primero_mapping(slug)
    except InvalidInput as exc:
        # Configuration, not data: every hand-off stops until the file is fixed and an administrator resumes.
        _pause(runtime, str(exc), own.SMS_BACKEND)
        return "paused"
    with runtime.unit_of_work() as session:
        claim = claim_handoff(session, handoff_id)
        if claim is None:
            log.info("hand-off %s is not due, taken, settled or paused; not sending it now", handoff_id)
            return "skipped"
        handoff = session.get(Handoff, claim.handoff_id)
        fields = case_fields(session, handoff, mapping, module=own.PRIMERO_MODULE, language=own.DEFAULT_LANGUAGE,
                             today=local_today(runtime.zone))
        case = session.get(Case, handoff.case_id) if handoff.case_id else None
        payload_version = case.record_version if case is not None else 0
        remember_payload(handoff, fields)
    outcome = _look_up(client, claim) if claim.look_up_first else None
    if outcome is None:
        outcome = client.create_case(claim.primero_id, fields)
    refused = tuple(refused_values(fields, outcome.fields))
    reason = f"Primero refused: {', '.join(refused)}" if refused else outcome.reason
    with runtime.unit_of_work() as session:
        status = record_outcome(session, claim, outcome.kind, reason=reason, fields=refused,
                                retry_after=outcome.retry_after, retry_hours=own.PRIMERO_RETRY_HOURS,
                                record_version=payload_version)
        alerts = queue_pause_alerts(session, own.SMS_BACKEND) if outcome.kind == NOT_AUTHORISED else []
    _enqueue_alerts(runtime, alerts)
    if status == "sent":
        # The short id, owner and status, read now (a 204 says nothing); if Primero cannot answer, the poll will.
        _follow(runtime, client, [claim.handoff_id])
    return status or "skipped"


def follow_cases(runtime: Runtime, handoff_ids: list[str]) -> int:
    """Read these hand-offs' cases from their organisations' Primero and apply what changed; returns how many
    changed."""
    if not handoff_ids:
        return 0
    with runtime.unit_of_work(read_only=True) as session:
        owners = session.execute(select(Handoff.id, Organisation.slug).join(
            Organisation, Organisation.id == Handoff.organisation_id).where(
            Handoff.id.in_([uuid.UUID(i) for i in handoff_ids]))).all()
    by_slug: dict[str, list[uuid.UUID]] = {}
    for handoff_id, slug in owners:
        by_slug.setdefault(slug, []).append(handoff_id)
    changed = 0
    for slug, ids in by_slug.items():
        client = runtime.primero(slug)
        if client is not None:
            changed += _follow(runtime, client, ids)
    return changed


def add_note(runtime: Runtime, event_id: str) -> str:
    """Add a family's message to the Primero case of its handed-over Relais case, as a note row."""
    with runtime.unit_of_work(read_only=True) as session:
        event = session.get(CaseEvent, uuid.UUID(event_id))
        handoff = None if event is None else session.scalar(
            select(Handoff).where(Handoff.case_id == event.case_id, Handoff.status == "sent"))
        if event is None or handoff is None:
            return "not handed over"
        slug = slug_of(session, handoff.organisation_id)
        _ = gettext_for(runtime.primero_settings(slug).DEFAULT_LANGUAGE, "web")
        row = {"unique_id": str(row_id(handoff.primero_id, f"family-message:{event.id}")),
               "note_date": event.at.date().isoformat(),
               "note_subject": _("Message from the family, received by Relais"), "note_text": event.body or ""}
        primero_id, handoff_id = handoff.primero_id, handoff.id
    client = runtime.primero(slug)
    if client is None:
        return "not configured"
    try:
        client.update_case(primero_id, {"notes_section": [row]})
        status = "added"
    except PrimeroInvalid as exc:
        log.warning("family message %s not added to Primero: %s", event_id, exc)
        status = "refused"
    # PrimeroUnavailable and PrimeroRefused propagate: RQ retries, then the scheduler's sweep; the message is in
    # Relais and alerted whatever happens.
    with runtime.unit_of_work() as session:
        note_added(session, uuid.UUID(event_id), handoff_id, status)
    return status


def find_stale_after(runtime: Runtime) -> timedelta:
    """How old a claim must be to belong to a job that died."""
    return timedelta(seconds=STALE_AFTER_TIMEOUTS * runtime.settings.PROVIDER_TIMEOUT + 60)


def _look_up(client: PrimeroClient, claim: Claim) -> CreateOutcome | None:
    """What became of an earlier try: the case exists (done), surely not (None: create it), or still unknown."""
    try:
        found = client.get_case(claim.primero_id)
    except PrimeroUnavailable as exc:
        return CreateOutcome(UNKNOWN, f"could not look the case up: {exc}", retry_after=exc.retry_after)
    except PrimeroRefused as exc:
        return CreateOutcome(NOT_AUTHORISED, str(exc))
    return CreateOutcome(ALREADY_THERE, "found in Primero") if found is not None else None


def _follow(runtime: Runtime, client: PrimeroClient, handoff_ids: list[uuid.UUID]) -> int:
    with runtime.unit_of_work(read_only=True) as session:
        primero_ids = dict(session.execute(select(Handoff.primero_id, Handoff.id)
                                           .where(Handoff.id.in_(handoff_ids))).all())
    now = utcnow()
    try:
        snapshots = client.cases_by_ids(list(primero_ids))
    except (PrimeroUnavailable, PrimeroRefused) as exc:
        log.warning("%d handed-over case(s) not read from Primero: %s", len(handoff_ids), exc)
        with runtime.unit_of_work() as session:
            # Read again at the next poll, not at every sweep: a Primero in trouble is not called every 30 s.
            session.execute(Handoff.__table__.update().where(Handoff.id.in_(handoff_ids)).values(followed_at=now))
            # A refused account stops everything (and the poll must not lock it out with more failed logins).
            alerts = queue_pause_alerts(session, runtime.settings.SMS_BACKEND) if isinstance(
                exc, PrimeroRefused) and pause(session, str(exc)) else []
        _enqueue_alerts(runtime, alerts)
        return 0
    plan = closure_plan(runtime)
    changed, outbox_ids = 0, []
    with runtime.unit_of_work() as session:
        for snapshot in snapshots:
            followed = apply_snapshot(session, snapshot, plan, now=now)
            if followed is not None and followed.changed:
                changed += 1
                outbox_ids += followed.outbox_ids
        # Cases Primero did not return (no longer readable by the account) are not asked for again at once.
        session.execute(Handoff.__table__.update().where(Handoff.id.in_(handoff_ids))
                        .values(followed_at=now))
    queue = follow_up_queue(runtime)
    for message_id in outbox_ids:
        enqueue_send(queue, message_id)
    return changed


def _enqueue_alerts(runtime: Runtime, message_ids: list[uuid.UUID]) -> None:
    # After the commit; a False (Redis down) is caught up by the scheduler's sweep of staff alerts.
    for message_id in message_ids:
        enqueue_alert_send(runtime.queue, message_id)
