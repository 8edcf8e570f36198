"""Transfers of a case to another organisation (casecore.cases.transfers): who may ask, who sees what before and after
the answer, on both databases."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.cases import transfers
from casecore.cases.access import require_case
from casecore.cases.deadline_alerts import alert_deadline
from casecore.cases.models import Case, CaseEvent, CaseTransfer
from casecore.cases.reassignment import assign_case
from casecore.deadlines.timelines import Timelines, open_deadlines
from casecore.errors import Conflict, InvalidInput, NotAllowed, NotFound
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Team, User
from tests.factories import as_staff, make_case, make_organisation, make_user


@pytest.fixture
def world(any_db_runtime):
    """A high-risk case in team A of the sending organisation; the receiving organisation; a third one."""
    with any_db_runtime.unit_of_work() as session:
        sending = make_organisation(session, name="Sending NGO")
        receiving = make_organisation(session, name="Receiving NGO")
        third = make_organisation(session, name="Third NGO")
        lead = make_user(session, sending)
        other_lead = make_user(session, sending)
        team = Team(organisation_id=sending.id, name="A", supervisor_id=lead.id)
        session.add(team)
        session.flush()
        worker = make_user(session, sending, role="caseworker")
        case = make_case(session, organisation_slug=sending.slug, assigned_to_id=worker.id)
        case.team_id, case.risk_level = team.id, "high"
        people = {name: as_staff(u) for name, u in [
            ("lead", lead), ("other_lead", other_lead), ("worker", worker),
            ("receiver", make_user(session, receiving)),
            ("receiver_worker", make_user(session, receiving, role="caseworker")),
            ("third", make_user(session, third)),
        ]}
        ids = {"case": case.id, "sending": sending.id, "receiving": receiving.id, "reference": case.reference}
    return any_db_runtime, people, ids


def _ask(runtime, who, ids, to="receiving", reason="The family moved to Kati."):
    with runtime.unit_of_work() as session:
        return transfers.request_transfer(session, who, ids["case"], ids.get(to, to), reason,
                                          sms_backend="console").transfer_id


def _decide(runtime, who, transfer_id, accept=True):
    with runtime.unit_of_work() as session:
        return transfers.decide_transfer(session, who, transfer_id, accept, timelines=Timelines(),
                                         sms_backend="console").transfer


def _sees(runtime, who, case_id) -> bool:
    with runtime.unit_of_work() as session:
        try:
            require_case(session, who, case_id)
        except NotFound:
            return False
        return True


def test_receiving_side_sees_a_summary_only_until_it_accepts_then_the_sender_loses_the_case(world):
    runtime, people, ids = world
    transfer_id = _ask(runtime, people["lead"], ids)
    assert _sees(runtime, people["lead"], ids["case"]) and _sees(runtime, people["worker"], ids["case"])
    assert not _sees(runtime, people["receiver"], ids["case"])
    with runtime.unit_of_work() as session:
        (incoming,) = transfers.incoming_transfers(session, people["receiver"]).rows
        assert (incoming.id, incoming.case_reference, incoming.risk_level, incoming.from_organisation) == (
            transfer_id, ids["reference"], "high", "Sending NGO")
        assert not hasattr(incoming, "reason")
        assert transfers.incoming_transfers(session, people["third"]).rows == ()
        assert transfers.incoming_transfers(session, people["receiver_worker"]).rows == ()
        assert transfers.pending_transfer(session, ids["case"]).to_organisation == "Receiving NGO"

    _decide(runtime, people["receiver"], transfer_id)

    with runtime.unit_of_work() as session:
        case = session.get(Case, ids["case"])
        assert (case.organisation_id, case.team_id, case.assigned_to_id, case.assigned_at, case.status) == (
            ids["receiving"], None, None, None, "open")
        assert transfers.incoming_transfers(session, people["receiver"]).rows == ()
        (outgoing,) = transfers.outgoing_transfers(session, people["lead"]).rows
        assert (outgoing.case_reference, outgoing.to_organisation, outgoing.status) == (
            ids["reference"], "Receiving NGO", "accepted")
        assert outgoing.decided_at is not None
    assert _sees(runtime, people["receiver"], ids["case"])
    assert not _sees(runtime, people["receiver_worker"], ids["case"])  # until a supervisor assigns it
    for sender in ("lead", "other_lead", "worker"):
        assert not _sees(runtime, people[sender], ids["case"])


def _sms_to(session, user_id) -> list[str]:
    return list(session.scalars(select(OutboundMessage.body).where(OutboundMessage.recipient_user_id == user_id)
                                .order_by(OutboundMessage.created_at)))


def test_each_side_is_told_by_sms_and_the_case_must_be_assigned_within_the_hour(world):
    runtime, people, ids = world
    transfer_id = _ask(runtime, people["lead"], ids)
    with runtime.unit_of_work() as session:
        (asked,) = _sms_to(session, people["receiver"].id)
        assert asked == (f"Relais: une autre organisation vous demande de reprendre le dossier {ids['reference']}."
                         " Connectez-vous pour répondre.")
        assert _sms_to(session, people["third"].id) == []
    _decide(runtime, people["receiver"], transfer_id)
    with runtime.unit_of_work() as session:
        (answered,) = _sms_to(session, people["lead"].id)
        assert answered == f"Relais: le transfert du dossier {ids['reference']} a été accepté."
        (deadline,) = [d for d in open_deadlines(session, case_id=ids["case"]) if d.kind == "assignment"]
        # A high-risk case: one hour, like a new urgent report.
        assert 3500 < (deadline.due_at - deadline.created_at).total_seconds() <= 3600

    # The receiving supervisor assigns it: the case worker sees it, is told, and the deadline is met.
    with runtime.unit_of_work() as session:
        outbox_ids = assign_case(session, people["receiver"], ids["case"], people["receiver_worker"].id,
                                 sms_backend="console")
        assert len(outbox_ids) == 1
    assert _sees(runtime, people["receiver_worker"], ids["case"])
    with runtime.unit_of_work() as session:
        assert _sms_to(session, people["receiver_worker"].id) == [
            f"Relais: le dossier {ids['reference']} vous est attribué. Connectez-vous pour le voir."]
        assert [d.kind for d in open_deadlines(session, case_id=ids["case"]) if d.kind == "assignment"] == []
        worker = session.get(User, people["receiver_worker"].id)
        assert session.get(Case, ids["case"]).team_id == worker.team_id


def test_a_declined_transfer_is_told_to_the_supervisor_who_asked(world):
    runtime, people, ids = world
    transfer_id = _ask(runtime, people["lead"], ids)
    _decide(runtime, people["receiver"], transfer_id, accept=False)
    with runtime.unit_of_work() as session:
        assert _sms_to(session, people["lead"].id) == [
            f"Relais: le transfert du dossier {ids['reference']} a été refusé. Le dossier reste chez vous."]
        assert [d for d in open_deadlines(session, case_id=ids["case"]) if d.kind == "assignment"] == []


def test_both_sides_are_in_the_audit_trail_and_the_timeline(world):
    runtime, people, ids = world
    transfer_id = _ask(runtime, people["lead"], ids)
    _decide(runtime, people["receiver"], transfer_id)
    with runtime.unit_of_work() as session:
        audit = set(session.execute(select(AuditEvent.user_id, AuditEvent.action, AuditEvent.object_id)))
        assert {
            (people["lead"].id, "transfer.requested", str(transfer_id)),
            (people["lead"].id, "case.transfer_requested", str(ids["case"])),
            (people["receiver"].id, "transfer.accepted", str(transfer_id)),
            (people["receiver"].id, "case.transferred_in", str(ids["case"])),
        } <= audit
        bodies = session.scalars(select(CaseEvent.body).where(CaseEvent.kind == "transfer")
                                 .order_by(CaseEvent.at)).all()
        assert bodies == ["requested: Receiving NGO\nThe family moved to Kati.", "accepted: Receiving NGO"]


def test_a_declined_transfer_leaves_the_case_where_it_was(world):
    runtime, people, ids = world
    transfer_id = _ask(runtime, people["lead"], ids)
    transfer = _decide(runtime, people["receiver"], transfer_id, accept=False)
    assert transfer.status == "declined" and transfer.decided_by_id == people["receiver"].id
    with runtime.unit_of_work() as session:
        case = session.get(Case, ids["case"])
        assert (case.organisation_id, case.assigned_to_id) == (ids["sending"], people["worker"].id)
    assert not _sees(runtime, people["receiver"], ids["case"])
    # Declined, it may be asked again (elsewhere or later).
    _ask(runtime, people["lead"], ids, to="receiving")


def test_a_transfer_is_answered_once_and_only_by_the_receiving_supervisors(world):
    runtime, people, ids = world
    transfer_id = _ask(runtime, people["lead"], ids)
    with pytest.raises(NotFound):
        _decide(runtime, people["third"], transfer_id)
    with pytest.raises(NotFound):
        _decide(runtime, people["lead"], transfer_id)  # the sender cannot accept its own request
    with pytest.raises(NotAllowed):
        _decide(runtime, people["receiver_worker"], transfer_id)
    with pytest.raises(NotFound):
        _decide(runtime, people["receiver"], "not-a-transfer")
    _decide(runtime, people["receiver"], transfer_id)
    for accept in (True, False):
        with pytest.raises(Conflict):
            _decide(runtime, people["receiver"], transfer_id, accept)


@pytest.mark.parametrize("who, to, reason, error", [
    ("worker", "receiving", "moved", NotAllowed),  # case workers do not ask for transfers
    ("other_lead", "receiving", "moved", NotFound),  # a supervisor of another team does not see the case
    ("receiver", "receiving", "moved", NotFound),
    ("lead", "sending", "moved", InvalidInput),  # a transfer goes to another organisation
    ("lead", "not-an-organisation", "moved", InvalidInput),
    ("lead", "receiving", "  ", InvalidInput),
    ("lead", "receiving", "x" * 2001, InvalidInput),
])
def test_only_a_supervisor_of_the_cases_team_asks_with_a_reason_for_another_organisation(world, who, to, reason,
                                                                                           error):
    runtime, people, ids = world
    with pytest.raises(error):
        _ask(runtime, people[who], ids, to=to, reason=reason)
    with runtime.unit_of_work() as session:
        assert session.scalars(select(CaseTransfer)).all() == []


def test_one_pending_transfer_at_a_time_and_only_for_an_open_case(world):
    runtime, people, ids = world
    _ask(runtime, people["lead"], ids)
    with pytest.raises(Conflict):
        _ask(runtime, people["lead"], ids)
    with runtime.unit_of_work() as session:
        session.execute(CaseTransfer.__table__.delete())
        session.get(Case, ids["case"]).status = "closed"
    with pytest.raises(Conflict):
        _ask(runtime, people["lead"], ids)


def test_a_case_closed_while_the_transfer_waited_cannot_be_accepted_only_declined(world):
    runtime, people, ids = world
    transfer_id = _ask(runtime, people["lead"], ids)
    with runtime.unit_of_work() as session:
        session.get(Case, ids["case"]).status = "closed"
    with pytest.raises(Conflict):
        _decide(runtime, people["receiver"], transfer_id)
    assert _decide(runtime, people["receiver"], transfer_id, accept=False).status == "declined"


def test_targets_are_the_other_organisations(world):
    runtime, _, ids = world
    with runtime.unit_of_work() as session:
        names = [name for _, name in transfers.transfer_targets(session, ids["sending"])]
    assert names == ["Receiving NGO", "Third NGO"]


def test_a_transferred_case_left_unassigned_is_alerted_to_the_receiving_supervisors(world):
    runtime, people, ids = world
    _decide(runtime, people["receiver"], _ask(runtime, people["lead"], ids))
    with runtime.unit_of_work() as session:
        (deadline,) = [d for d in open_deadlines(session, case_id=ids["case"]) if d.kind == "assignment"]
        later = deadline.due_at + timedelta(minutes=1)
        assert alert_deadline(session, deadline.id, Timelines(), "console", now=later)
    with runtime.unit_of_work() as session:
        assert _sms_to(session, people["receiver"].id)[-1] == (
            f"Relais: dossier {ids['reference']}, attribution à un agent social en retard: à faire avant le "
            f"{deadline.due_at:%Y-%m-%d %H:%M} UTC.")
        assert _sms_to(session, people["lead"].id) == [
            f"Relais: le transfert du dossier {ids['reference']} a été accepté."]
