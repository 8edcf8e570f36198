"""What an entry point does once a conversation's transaction is committed: put the follow-up jobs on the queue."""
from __future__ import annotations

from typing import Any, Iterable

from rq import Queue

from casecore.messaging.media import MEDIA_RECEIVED
from dialogs.case_message import OUTBOUND_QUEUED, PRIMERO_NOTE
from dialogs.complaint import COMPLAINT_SUBMITTED
from dialogs.report_child import REPORT_SUBMITTED
from workers.queueing import (
    Trips,
    enqueue_complaint_alert,
    enqueue_family_note,
    enqueue_media,
    enqueue_new_report_alert,
    enqueue_send,
)


def follow_up(queue: Queue, events: Iterable[tuple[str, Any]], trips: Trips | None = None) -> None:
    """Enqueue the jobs a conversation's events call for; when Redis is down the scheduler's sweeps catch up.

    trips: the thread's own way to Redis (dialogs.redis_trips), for a new report's alert on a webhook's path."""
    for event, value in events:
        if event == REPORT_SUBMITTED:
            # Said only of a report this very conversation inserted: no job can hold its id yet.
            enqueue_new_report_alert(queue, value, trips)
        elif event == OUTBOUND_QUEUED:
            for message_id in value:
                enqueue_send(queue, message_id)
        elif event == MEDIA_RECEIVED:
            for media_id in value:
                enqueue_media(queue, media_id)
        elif event == COMPLAINT_SUBMITTED:
            enqueue_complaint_alert(queue, value)
        elif event == PRIMERO_NOTE:
            # Lost with Redis, the note is missing in Primero only: the message itself is in Relais and alerted.
            enqueue_family_note(queue, value)
