"""Running queued RQ jobs inside a test: burst workers, with retries scheduled for later run at once."""
from __future__ import annotations

from datetime import timedelta

from rq import Queue
from sqlalchemy import update

from casecore.base import utcnow
from casecore.messaging.models import OutboundMessage
from casecore.partners.models import EventDelivery
from workers.queueing import queues_in_order
from workers.worker import RelaisWorker


class BurstWorker(RelaisWorker):
    """The worker process's in-process worker (each job's ids bound for its log lines and the jobs it enqueues),
    without the command channel (stop/kill by pub/sub), which costs a second per run."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def drain(queue: Queue, max_rounds: int = 20, runtime=None) -> int:
    """Work the queue until nothing is queued or scheduled; returns how many rounds it took.

    With runtime, outbox messages waiting out a backoff are made due before their scheduled sends run: as if the
    wait had passed (a send run early is otherwise, rightly, skipped).
    """
    queues = queues_in_order(queue)
    for rounds in range(1, max_rounds + 1):
        BurstWorker(queues, connection=queue.connection).work(burst=True)
        scheduled = [(q.scheduled_job_registry, job_id) for q in queues
                     for job_id in q.scheduled_job_registry.get_job_ids()]
        if not scheduled and queued(queue) == 0:
            return rounds
        if runtime is not None:
            make_sends_due(runtime)
        for registry, job_id in scheduled:
            # A retry waits its interval (10 s and more): a test should not.
            registry.requeue(job_id)
    raise AssertionError(f"queue {queue.name} still has work after {max_rounds} rounds")


def work_once(queue: Queue) -> None:
    """Run what is queued now, leaving retries scheduled for later where they are."""
    BurstWorker(queues_in_order(queue), connection=queue.connection).work(burst=True)


def queued(queue: Queue) -> int:
    """How many jobs wait in the queue and the queues beside it (alerts, replies, background)."""
    return sum(q.count for q in queues_in_order(queue))


def queued_job_ids(queue: Queue) -> list[str]:
    """The ids of the jobs waiting in the queue and the queues beside it, most urgent queue first."""
    return [job_id for q in queues_in_order(queue) for job_id in q.job_ids]


def make_sends_due(runtime) -> None:
    """Let the backoff of every queued outbox message pass, as a clock moved forward would.

    The send job reads the real clock, so the waits are moved instead: each retry's time becomes a second ago. It
    stays a time (not None, which means a first try): a retry is still sent only because its time has come.
    """
    with runtime.unit_of_work() as session:
        session.execute(update(OutboundMessage)
                        .where(OutboundMessage.status == "queued", OutboundMessage.next_attempt_at.is_not(None))
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
                        .execution_options(synchronize_session=False))


def make_deliveries_due(runtime) -> None:
    """Let the backoff of every pending event delivery pass, as a clock moved forward would."""
    with runtime.unit_of_work() as session:
        session.execute(update(EventDelivery).where(EventDelivery.status == "pending")
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
                        .execution_options(synchronize_session=False))
