"""Primero's outbound webhooks (case.create, case.update): a full snapshot of a case, with the key Primero was
configured to send and nothing else to prove where it comes from (no signature, no event name, no retry, §6).

Each is applied as casecore.handoff.follow says (older and repeated snapshots change nothing) and answered 200, so
Primero records it as sent; a snapshot of a case Relais did not hand over is acknowledged and dropped. Nothing is
written back to the case in reply: that would be an update, and Primero would send another webhook (the loop).
"""
from __future__ import annotations

import hmac
import logging

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from app.runtime import runtime
from app.webhooks import limits
from app.webhooks.common import bp, plain
from casecore.audit import record_event
from casecore.handoff.follow import apply_snapshot, snapshot_case_id
from workers.plans import closure_plan
from workers.queueing import enqueue_send

log = logging.getLogger(__name__)

# A case's snapshot holds every field its role may read, subforms too: more than the 64 kB of a provider's form.
SNAPSHOT_MAX_BYTES = 2 * 1024 * 1024


@bp.post("/primero")
def primero_case():
    """A Primero case snapshot, refused without the configured x-api-key."""
    rt = runtime()
    expected = rt.settings.PRIMERO_WEBHOOK_KEY
    if not expected:
        return plain("Forbidden: Primero webhooks are not configured here (PRIMERO_WEBHOOK_KEY)", 403)
    given = request.headers.get("x-api-key", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        limits.note_auth_failure()
        return plain("Forbidden: missing or wrong x-api-key", 403)
    request.max_content_length = SNAPSHOT_MAX_BYTES
    body = request.get_json(silent=True)
    snapshot = body.get("data") if isinstance(body, dict) else None
    if not isinstance(snapshot, dict) or snapshot_case_id(snapshot) is None:
        return plain('Bad Request: a Primero webhook is JSON {"data": {"record_id": <case id>, ...}}', 400)
    if snapshot.get("record_type", "case") != "case":
        return plain("OK: only cases are followed")
    try:
        with rt.unit_of_work() as session:
            followed = apply_snapshot(session, snapshot, closure_plan(rt))
            if followed is not None:
                record_event(session, None, "handoff.webhook", "primero_handoff", followed.handoff_id)
    except SQLAlchemyError:
        # Primero never retries: the poll (PRIMERO_POLL_MINUTES) reads the case again.
        log.exception("a Primero webhook could not be applied; the poll will read the case again")
        return plain("Service Unavailable: try again later", 503)
    if followed is None:
        log.info("a Primero webhook about a case Relais did not hand over: acknowledged, not kept")
        return plain("OK: not a case Relais handed over")
    for message_id in followed.outbox_ids:
        # After the commit; a False (Redis down) is caught up by the scheduler's sweep of queued messages.
        enqueue_send(rt.queue, message_id)
    return plain("OK")
