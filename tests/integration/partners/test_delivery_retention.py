"""Retention of partners' event deliveries, on both databases, with the clock moved forward: a delivery settled
(delivered or failed) goes RETENTION_MESSAGE_DAYS after its event, like an outbox row's body; one still pending or
being sent never goes; a recent one stays; a dry run only counts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from casecore.base import utcnow
from casecore.partners.deliveries import GIVE_UP_AFTER, claim_delivery, record_outcome
from casecore.partners.models import EventDelivery
from casecore.partners.subscriptions import subscribe
from casecore.partners.tokens import create_token, parse_scopes
from casecore.retention import RetentionPolicy, purge
from tests.factories import make_organisation, make_report

POLICY = RetentionPolicy(message_days=90)
LATER = timedelta(days=100)  # the recent delivery's event, this long after the others
PURGE_AT = timedelta(days=120)  # the clock when the purge runs


@pytest.fixture
def deliveries(any_db_runtime):
    """Five events for one subscription, as the workers leave them: old delivered, old pending, old failed, old
    being sent (its job still at it), and one delivered that happened LATER."""
    rt, start = any_db_runtime, utcnow()
    with rt.unit_of_work() as session:
        make_organisation(session, slug="ours")
        create_token(session, "hotline", "ours", parse_scopes("events,reports:read,personal_data"))
        subscribe(session, "hotline", "https://partner.example.org/relais", ("report.created",))
    names = ("old_delivered", "old_pending", "old_failed", "old_sending", "recent_delivered")
    ids = {}
    for name in names:
        with rt.unit_of_work() as session:
            make_report(session, organisation_slug="ours", description="Frappée chaque soir.")
        with rt.unit_of_work() as session:
            ids[name] = session.scalar(select(EventDelivery.id).where(EventDelivery.id.not_in(list(ids.values()))))
    with rt.unit_of_work() as session:
        session.execute(update(EventDelivery).where(EventDelivery.id == ids["recent_delivered"])
                        .values(occurred_at=start + LATER))
    _deliver(rt, ids["old_delivered"], start)
    _deliver(rt, ids["recent_delivered"], start + LATER)
    with rt.unit_of_work() as session:
        assert claim_delivery(session, ids["old_sending"], now=start) is not None
        # Tried first a day after its event: given up (failed), as the worker would.
        assert claim_delivery(session, ids["old_failed"], now=start + GIVE_UP_AFTER + timedelta(minutes=1)) is None
    return rt, start, ids


def _deliver(rt, delivery_id, now):
    with rt.unit_of_work() as session:
        outgoing = claim_delivery(session, delivery_id, now=now)
        assert record_outcome(session, outgoing, delivered=True, now=now)[0] == "delivered"


def _left(rt, ids) -> dict[str, str]:
    names = {value: name for name, value in ids.items()}
    with rt.unit_of_work(read_only=True) as session:
        return {names[row.id]: row.status for row in session.scalars(select(EventDelivery))}


def test_settled_deliveries_go_after_the_message_days_and_pending_ones_never(deliveries):
    rt, start, ids = deliveries
    assert _left(rt, ids) == {"old_delivered": "delivered", "old_pending": "pending", "old_failed": "failed",
                              "old_sending": "sending", "recent_delivered": "delivered"}

    assert purge(rt.unit_of_work, POLICY, now=start + timedelta(days=89)).event_deliveries == 0
    done = purge(rt.unit_of_work, POLICY, now=start + PURGE_AT)
    assert done.event_deliveries == 2
    assert _left(rt, ids) == {"old_pending": "pending", "old_sending": "sending", "recent_delivered": "delivered"}
    assert purge(rt.unit_of_work, POLICY, now=start + PURGE_AT).event_deliveries == 0


def test_a_dry_run_counts_the_settled_deliveries_and_removes_none(deliveries):
    rt, start, ids = deliveries
    before = _left(rt, ids)
    assert purge(rt.unit_of_work, POLICY, now=start + PURGE_AT, dry_run=True).event_deliveries == 2
    assert _left(rt, ids) == before
