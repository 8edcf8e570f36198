"""Deadline alerts as RQ jobs: the scheduler finds the deadlines due for an alert, one job per deadline writes it."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from bootstrap import Runtime, bootstrap
from casecore.cases.deadline_alerts import alert_deadline as write_deadline_alert
from casecore.cases.deadline_alerts import deadlines_to_alert, schedule_missing_assignment_deadlines
from workers.queueing import enqueue_send, follow_up_queue

log = logging.getLogger(__name__)


def find_deadlines_to_alert(runtime: Runtime, session: Session, now: datetime) -> list[uuid.UUID]:
    """The scheduler's part: give new reports their assignment date if they lack one, and list the deadlines due
    for a warning or an overdue alert."""
    added = schedule_missing_assignment_deadlines(session, runtime.timelines, now)
    if added:
        log.info("%d new report(s) given their assignment deadline", added)
    return deadlines_to_alert(session, now, runtime.timelines.warn_before_fraction)


def alert_deadline(deadline_id: str) -> int:
    """RQ job: write the alert one deadline calls for (once) and enqueue its sends; returns how many."""
    runtime = bootstrap()
    with runtime.unit_of_work() as session:
        message_ids = write_deadline_alert(session, deadline_id, runtime.timelines, runtime.settings.SMS_BACKEND)
    queue = follow_up_queue(runtime)
    for message_id in message_ids:
        # A False here (Redis gone mid-job) is covered: the scheduler enqueues queued messages it finds.
        enqueue_send(queue, message_id)
    return len(message_ids)
