"""Complaint alerts as RQ jobs: a new complaint's alerts and acknowledgement, and each complaint's date."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from bootstrap import Runtime, bootstrap
from casecore.complaints.alerts import alert_complaint_deadline as write_deadline_alert
from casecore.complaints.alerts import complaints_to_alert, queue_complaint_alerts, schedule_missing_complaint_deadlines
from channels.sms.encoding import to_gsm7
from dialogs.complaint_ack import acknowledgement_text
from workers.queueing import enqueue_send, follow_up_queue

log = logging.getLogger(__name__)


def find_complaints_to_alert(runtime: Runtime, session: Session, now: datetime) -> list[uuid.UUID]:
    """The scheduler's part: give complaints lacking one their date to close by, and list those due an alert."""
    added = schedule_missing_complaint_deadlines(session, runtime.timelines, now)
    if added:
        log.info("%d complaint(s) given their date to be closed by", added)
    return complaints_to_alert(session, now, runtime.timelines.warn_before_fraction)


def alert_complaint(complaint_id: str) -> int:
    """RQ job: write a new complaint's alerts and acknowledgement (once) and enqueue their sends; returns how many."""
    runtime = bootstrap()
    with runtime.unit_of_work() as session:
        message_ids = queue_complaint_alerts(session, complaint_id, runtime.settings.SMS_BACKEND,
                                             acknowledgement_text, respell_sms=to_gsm7)
    _enqueue_sends(runtime, message_ids)
    return len(message_ids)


def alert_complaint_deadline(complaint_id: str) -> int:
    """RQ job: write the alert a complaint's date calls for (once) and enqueue its sends; returns how many."""
    runtime = bootstrap()
    with runtime.unit_of_work() as session:
        message_ids = write_deadline_alert(session, complaint_id, runtime.timelines, runtime.settings.SMS_BACKEND)
    _enqueue_sends(runtime, message_ids)
    return len(message_ids)


def _enqueue_sends(runtime: Runtime, message_ids: list[uuid.UUID]) -> None:
    queue = follow_up_queue(runtime)
    for message_id in message_ids:
        # A False here (Redis gone mid-job) is covered: the scheduler enqueues queued messages it finds.
        enqueue_send(queue, message_id)
