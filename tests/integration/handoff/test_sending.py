"""Sending hand-offs to the fake Primero, on both databases: what the case holds, and that each report becomes
exactly one Primero case whatever Primero answers, however often the job runs."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases.casework import record_consent
from casecore.errors import InvalidInput
from casecore.handoff.models import Handoff, HandoffPause
from casecore.handoff.queue import (
    claim_handoff,
    handoffs_due,
    is_paused,
    mark_stale_claims_unknown,
    pause,
    queue_handoff,
    record_outcome,
    resume,
    retry_failed,
)
from casecore.messaging.models import OutboundMessage
from tests.concurrency import first_holds_while_second_waits, run_together
from tests.factories import as_staff, make_organisation
from tests.fakes.primero import Answer
from tests.integration.handoff.conftest import audited
from workers.handoff import send_handoff


def _row(env, handoff_id) -> Handoff:
    with env.runtime.unit_of_work(read_only=True) as session:
        row = session.get(Handoff, handoff_id)
        session.expunge(row)
        return row


def _send(env, handoff_id) -> str:
    return send_handoff(env.runtime, str(handoff_id))


def _due_now(env, handoff_id) -> None:
    """Move the row's next try to now (the clock, not the rule, is what a test may change)."""
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, handoff_id).next_attempt_at = utcnow() - timedelta(seconds=1)


def _posts(env) -> list:
    return [r for r in env.primero.requests if r["method"] == "POST"]


def test_an_accepted_report_becomes_one_primero_case_with_the_mapped_fields(handoff_env):
    env = handoff_env
    report = env.report(concern="child_labour", child_sex="male", child_age_band="12_17", danger_now=True,
                        location_code="ML090101", description="Il travaille a la mine", consent_to_share=True,
                        may_contact=True)
    case_id, handoff_id = env.accept(report.id, risk_level="medium")
    assert _send(env, handoff_id) == "sent"
    row = _row(env, handoff_id)
    [stored] = env.primero.cases.values()
    assert stored["id"] == str(row.primero_id)
    assert stored["module_id"] == "primeromodule-cp" and stored["other_agency_id"] == report.reference
    assert stored["sex"] == "male" and stored["protection_concerns"] == ["worst_forms_of_child_labor"]
    assert stored["risk_level"] == "medium" and stored["urgent_protection_concern"] == "true"
    assert stored["location_current"] == "ML01" and stored["owned_by"] == "cp_worker"
    assert stored["registration_date"] == utcnow().date().isoformat()
    assert "consent_for_services" not in stored  # nothing recorded on the case yet: nothing claimed
    [note] = stored["notes_section"]
    assert report.reference in note["note_subject"]
    assert "Il travaille a la mine" in note["note_text"] and "+22376701430" in note["note_text"]
    assert "12" in note["note_text"] and "USSD" in note["note_text"]
    # Read back at once: the short id Primero gave, its owner and status.
    assert (row.status, row.short_id, row.owned_by, row.primero_status) == (
        "sent", stored["case_id_display"], "cp_worker", "open")
    # Sending again changes nothing: the row is settled.
    assert _send(env, handoff_id) == "skipped" and len(_posts(env)) == 1


def test_without_consent_to_share_neither_the_description_nor_the_number_goes(handoff_env):
    env = handoff_env
    report = env.report(description="Details", consent_to_share=False, may_contact=False, reporter_phone=None)
    _case, handoff_id = env.accept(report.id)
    _send(env, handoff_id)
    [stored] = env.primero.cases.values()
    text = stored["notes_section"][0]["note_text"]
    assert "Details" not in text and "+223" not in text


def test_a_number_goes_only_with_consent_to_be_contacted(handoff_env):
    env = handoff_env
    report = env.report(description="Details", consent_to_share=True, may_contact=False)
    _case, handoff_id = env.accept(report.id)
    _send(env, handoff_id)
    [stored] = env.primero.cases.values()
    text = stored["notes_section"][0]["note_text"]
    assert "Details" in text and "+223" not in text


def test_consents_recorded_on_the_case_go_as_primero_tick_boxes(handoff_env):
    env = handoff_env
    report = env.report()
    case_id, handoff_id = env.accept(report.id)
    with env.runtime.unit_of_work() as session:
        from casecore.people.models import User
        worker = session.get(User, env.worker_id)
        record_consent(session, as_staff(worker), case_id, purpose="services", given=True, given_by="caregiver")
        record_consent(session, as_staff(worker), case_id, purpose="sharing_providers", given=False,
                       given_by="caregiver")
    _send(env, handoff_id)
    [stored] = env.primero.cases.values()
    assert stored["consent_for_services"] is True and stored["disclosure_other_orgs"] is False


def test_primero_unavailable_is_tried_again_after_its_retry_after(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    env.primero.answer_next(Answer.unavailable())
    assert _send(env, handoff_id) == "waiting"
    row = _row(env, handoff_id)
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=55) and "503" in row.reason
    assert _send(env, handoff_id) == "skipped"  # not due yet
    _due_now(env, handoff_id)
    assert _send(env, handoff_id) == "sent" and len(env.primero.cases) == 1


def test_throttling_and_server_errors_back_off_then_fail_after_the_retry_window(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    env.primero.answer_next(Answer.throttled(), Answer.server_error())
    assert _send(env, handoff_id) == "waiting"
    _due_now(env, handoff_id)
    assert _send(env, handoff_id) == "waiting"
    assert _row(env, handoff_id).attempts == 2
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, handoff_id).first_tried_at = utcnow() - timedelta(hours=73)
    _due_now(env, handoff_id)
    env.primero.answer_next(Answer.server_error())
    assert _send(env, handoff_id) == "failed"
    assert "72 hours" in _row(env, handoff_id).reason and env.primero.cases == {}
    with env.runtime.unit_of_work(read_only=True) as session:
        failed = [object_id for _, object_id in audited(session, "handoff.failed")]
    assert failed == [str(_row(env, handoff_id).report_id)]


def test_a_refused_value_fails_with_the_field_named_and_goes_again_once_the_mapping_is_fixed(handoff_env,
                                                                                           mapping_file):
    env = handoff_env
    env.primero.instance.lookups["lookup-risk-level"] = ["eleve", "moyen", "faible"]  # a renamed instance
    _case, handoff_id = env.accept(env.report().id)
    assert _send(env, handoff_id) == "failed"
    row = _row(env, handoff_id)
    assert row.invalid_fields == ["/risk_level = high"] and "/risk_level = high" in row.reason
    assert _send(env, handoff_id) == "skipped"  # never blindly retried
    mapping = json.loads(mapping_file.read_text())
    mapping["risk_levels"] = {"high": "eleve", "medium": "moyen", "low": "faible"}
    mapping_file.write_text(json.dumps(mapping))
    with env.runtime.unit_of_work() as session:
        assert retry_failed(session, handoff_id, env.organisation_id, env.admin_id)
    assert _send(env, handoff_id) == "sent"
    [stored] = env.primero.cases.values()
    assert stored["risk_level"] == "eleve"
    with env.runtime.unit_of_work(read_only=True) as session:
        report_id = session.get(Handoff, handoff_id).report_id
        trail = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(report_id),
                                                                AuditEvent.action.like("handoff.%"))
                                .order_by(AuditEvent.at)).all()
    assert trail == ["handoff.queued", "handoff.refused", "handoff.sent"]


def test_a_first_try_refused_for_the_account_is_not_counted(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    env.primero.instance.users["relais_api"] = "changed"
    assert _send(env, handoff_id) == "waiting"
    assert _row(env, handoff_id).attempts == 0  # the account's fault, not the hand-off's: its retries stay whole


def test_a_refused_account_pauses_every_hand_off_and_alerts_the_administrators(handoff_env):
    env = handoff_env
    _case, first = env.accept(env.report().id)
    _case, second = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, first).attempts = 2  # two earlier tries Primero could not take
    env.primero.instance.users["relais_api"] = "changed"
    assert _send(env, first) == "waiting"
    with env.runtime.unit_of_work(read_only=True) as session:
        assert is_paused(session)
        alerts = session.scalars(select(OutboundMessage).where(
            OutboundMessage.purpose_key.like("handoff-paused:%"))).all()
        assert [a.recipient_user_id for a in alerts] == [env.admin_id]
        assert "CPIMS+" in alerts[0].body and handoffs_due(session, utcnow(), utcnow()) == []
    assert _send(env, second) == "skipped"  # nothing is tried while paused
    assert _row(env, first).attempts == 2 and "401" in _row(env, first).reason  # the refused try is not counted
    env.primero.instance.users["relais_api"] = "secret"
    with env.runtime.unit_of_work() as session:
        assert resume(session, env.admin_id)
    assert (_send(env, first), _send(env, second)) == ("sent", "sent")
    assert len(env.primero.cases) == 2


def test_a_second_refusal_while_paused_adds_no_second_pause(handoff_env):
    env = handoff_env
    with env.runtime.unit_of_work() as session:
        first = pause(session, "401 from Primero")
        assert first is not None and pause(session, "401 again, from another job") is None
        assert [p.id for p in session.scalars(select(HandoffPause))] == [first.id]
        assert [object_id for _, object_id in audited(session, "handoff.paused")] == [str(first.id)]


def test_resuming_moves_each_waiting_rows_window_by_the_pause_and_touches_nothing_else(handoff_env):
    env = handoff_env
    now = utcnow()
    _case, waiting = env.accept(env.report().id)
    _case, never_tried = env.accept(env.report().id)
    _case, failed = env.accept(env.report().id)
    later = now + timedelta(minutes=10)
    with env.runtime.unit_of_work() as session:
        for row_id, status, first_tried in [(waiting, "waiting", now - timedelta(hours=1)),
                                            (never_tried, "waiting", None),
                                            (failed, "failed", now - timedelta(hours=2))]:
            row = session.get(Handoff, row_id)
            row.status, row.first_tried_at, row.next_attempt_at = status, first_tried, later
        assert not resume(session, env.admin_id)  # nothing paused: nothing moves
    assert _row(env, waiting).next_attempt_at == later
    with env.runtime.unit_of_work() as session:
        session.add(HandoffPause(reason="an old one", paused_at=now - timedelta(hours=10),
                                 resumed_at=now - timedelta(hours=9), resumed_by_id=env.supervisor_id))
        pause(session, "401 from Primero").paused_at = now - timedelta(minutes=30)
    with env.runtime.unit_of_work() as session:
        assert resume(session, env.admin_id)
        old = session.scalar(select(HandoffPause).where(HandoffPause.reason == "an old one"))
        assert (old.resumed_by_id, old.resumed_at) == (env.supervisor_id, now - timedelta(hours=9))
        resumed = [user_id for user_id, _ in audited(session, "handoff.resumed")]
    assert resumed == [env.admin_id]
    moved = _row(env, waiting).first_tried_at - (now - timedelta(hours=1))
    assert timedelta(minutes=30) <= moved < timedelta(minutes=31)  # the pause's length does not count
    assert (_row(env, waiting).next_attempt_at, _row(env, never_tried).next_attempt_at) == (None, None)
    assert _row(env, never_tried).first_tried_at is None
    assert (_row(env, failed).first_tried_at, _row(env, failed).next_attempt_at) == (now - timedelta(hours=2), later)


def test_a_connection_lost_after_sending_is_settled_by_looking_the_case_up(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    env.primero.answer_next(Answer.dropped())
    before = utcnow()
    assert _send(env, handoff_id) == "unknown"
    after = utcnow()
    assert len(env.primero.cases) == 1  # Primero created it; Relais does not know yet
    with env.runtime.unit_of_work() as session:
        # Looked up a minute later (after a first try, longer than its 30 s backoff), so Primero has finished.
        due = session.get(Handoff, handoff_id).next_attempt_at
        assert before + timedelta(seconds=60) <= due <= after + timedelta(seconds=60)
    _due_now(env, handoff_id)
    assert _send(env, handoff_id) == "sent"
    assert len(_posts(env)) == 1  # looked up, never posted again
    # Found there, made by a payload Relais cannot be sure of: nothing counts as sent, the record goes again.
    row = _row(env, handoff_id)
    assert row.record_version_synced == 0 and row.record_sent["fields"] == {}


def test_a_timeout_is_unknown_and_a_case_not_found_is_created_then(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        # As a timeout before Primero saved it would leave it.
        row = session.get(Handoff, handoff_id)
        row.status, row.next_attempt_at = "unknown", utcnow() - timedelta(seconds=1)
    assert _send(env, handoff_id) == "sent"
    assert [r["method"] for r in env.primero.requests][:2] == ["GET", "POST"]
    assert len(env.primero.cases) == 1


def test_a_slow_primero_is_an_unknown_outcome_never_a_second_case(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    env.primero.answer_next(Answer(delay=2.5))  # longer than PROVIDER_TIMEOUT: the case is created all the same
    assert _send(env, handoff_id) == "unknown"
    _due_now(env, handoff_id)
    assert _send(env, handoff_id) == "sent" and len(env.primero.cases) == 1 and len(_posts(env)) == 1


def test_two_jobs_on_one_row_make_one_call(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    results, errors = run_together(2, lambda: _send(env, handoff_id))
    assert errors == [] and sorted(results) == ["sent", "skipped"]
    assert len(_posts(env)) == 1 and len(env.primero.cases) == 1


def test_the_same_decision_twice_writes_one_row(handoff_env):
    env = handoff_env
    report = env.report()
    case_id, handoff_id = env.accept(report.id)
    with env.runtime.unit_of_work() as session:
        assert queue_handoff(session, report.id, env.organisation_id, "on_accept", case_id=case_id) == handoff_id
        assert len(session.scalars(select(Handoff)).all()) == 1


def test_queuing_is_audited_once_per_report_and_a_repeat_gives_that_reports_row(handoff_env):
    env = handoff_env
    first, second = env.report(), env.report()
    _case, first_row = env.accept(first.id)
    _case, second_row = env.accept(second.id)
    with env.runtime.unit_of_work() as session:
        assert queue_handoff(session, second.id, env.organisation_id, "on_accept") == second_row
        assert queue_handoff(session, first.id, env.organisation_id, "on_accept") == first_row
        queued = audited(session, "handoff.queued")
    assert sorted(queued) == sorted([(env.supervisor_id, str(first.id)), (env.supervisor_id, str(second.id))])


def test_a_hand_off_is_queued_only_by_a_decision_that_hands_over(handoff_env):
    env = handoff_env
    report = env.report()
    with env.runtime.unit_of_work() as session:
        for trigger in ("off", "sometimes"):
            with pytest.raises(InvalidInput, match="hand-off trigger"):
                queue_handoff(session, report.id, env.organisation_id, trigger)
        assert session.scalars(select(Handoff)).all() == []


def test_a_hand_off_is_claimed_from_its_next_try_on_not_before(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    due = utcnow().replace(microsecond=0) + timedelta(minutes=5)
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, handoff_id).next_attempt_at = due
    with env.runtime.unit_of_work() as session:
        assert claim_handoff(session, handoff_id, now=due - timedelta(seconds=1)) is None
        assert session.get(Handoff, handoff_id).status == "waiting"
        assert claim_handoff(session, handoff_id, now=due) is not None


def test_the_sweep_finds_due_tries_outcomes_to_settle_and_rows_whose_first_job_was_lost_oldest_first(handoff_env):
    env = handoff_env
    now = utcnow().replace(microsecond=0)
    lost_before = now - timedelta(minutes=2)
    rows = {  # name: (status, next try, queued at), queued in this order of names but dated as given
        "retry_due": ("waiting", now - timedelta(minutes=1), now - timedelta(hours=3)),
        "retry_later": ("waiting", now + timedelta(minutes=1), now - timedelta(hours=4)),
        "settle_now": ("unknown", now, now - timedelta(hours=1)),
        "first_job_lost": ("waiting", None, lost_before - timedelta(seconds=1)),
        "first_job_coming": ("waiting", None, lost_before),
        "sent": ("sent", None, now - timedelta(hours=5)),
        "failed": ("failed", now - timedelta(hours=1), now - timedelta(hours=6)),
    }
    ids = {}
    for name, (status, next_try, queued_at) in rows.items():
        _case, ids[name] = env.accept(env.report().id)
        with env.runtime.unit_of_work() as session:
            row = session.get(Handoff, ids[name])
            row.status, row.next_attempt_at, row.created_at = status, next_try, queued_at
    with env.runtime.unit_of_work(read_only=True) as session:
        due = handoffs_due(session, now, lost_before)
    assert due == [ids["retry_due"], ids["settle_now"], ids["first_job_lost"]]
    with env.runtime.unit_of_work(read_only=True) as session:
        assert handoffs_due(session, now, lost_before, limit=2) == due[:2]


def test_a_person_retries_only_a_failed_hand_off_of_their_own_organisation_afresh(handoff_env):
    env = handoff_env
    _case, failed = env.accept(env.report().id)
    _case, other_failed = env.accept(env.report().id)
    _case, waiting = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        for row_id in (failed, other_failed):
            row = session.get(Handoff, row_id)
            row.status, row.attempts, row.first_tried_at, row.invalid_fields = "failed", 7, utcnow(), ["/sex"]
        other_org = make_organisation(session).id
    with env.runtime.unit_of_work() as session:
        assert not retry_failed(session, failed, other_org, env.admin_id)  # not theirs
        assert not retry_failed(session, waiting, env.organisation_id, env.admin_id)  # not failed
        assert retry_failed(session, failed, env.organisation_id, env.admin_id)
    retried, untouched = _row(env, failed), _row(env, other_failed)
    assert (retried.status, retried.attempts, retried.first_tried_at, retried.invalid_fields) == ("waiting", 0, None,
                                                                                                   None)
    assert (untouched.status, untouched.attempts) == ("failed", 7)
    with env.runtime.unit_of_work(read_only=True) as session:
        events = audited(session, "handoff.retried")
    assert events == [(env.admin_id, str(failed))]


def test_only_claims_older_than_the_cut_off_are_taken_for_dead_jobs(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    claimed_at = utcnow().replace(microsecond=0)
    with env.runtime.unit_of_work() as session:
        assert claim_handoff(session, handoff_id, now=claimed_at) is not None
    with env.runtime.unit_of_work() as session:
        assert mark_stale_claims_unknown(session, claimed_before=claimed_at - timedelta(minutes=5)) == 0
        assert mark_stale_claims_unknown(session, claimed_before=claimed_at) == 0  # claimed at the cut-off: alive
        assert session.get(Handoff, handoff_id).status == "sending"
        assert mark_stale_claims_unknown(session, claimed_before=claimed_at + timedelta(seconds=1)) == 1


def test_a_hand_off_fails_once_its_retry_window_has_passed_to_the_second_and_keeps_300_characters_of_why(
        handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    started = utcnow().replace(microsecond=0) - timedelta(hours=80)
    for elapsed, status in [(timedelta(hours=72) - timedelta(seconds=1), "waiting"), (timedelta(hours=72), "failed")]:
        with env.runtime.unit_of_work() as session:
            row = session.get(Handoff, handoff_id)
            row.first_tried_at, row.next_attempt_at = started, None
            claim = claim_handoff(session, handoff_id, now=started + elapsed)
            assert record_outcome(session, claim, "try_later", reason="503 " + "x" * 400, retry_hours=72,
                                  record_version=0, now=started + elapsed) == status
    reason = _row(env, handoff_id).reason  # as long as the column holds (PostgreSQL would refuse a longer one)
    assert len(reason) == 300 and reason.startswith("Primero did not take it for 72 hours; last: 503 xxx")


def test_a_job_whose_claim_was_lost_changes_nothing(handoff_env):
    # Its call outlived the stale-claim sweep, and a second job took the row: the first one's answer is not recorded.
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        lost = claim_handoff(session, handoff_id)
    with env.runtime.unit_of_work() as session:
        assert mark_stale_claims_unknown(session, claimed_before=utcnow() + timedelta(seconds=1)) == 1
        current = claim_handoff(session, handoff_id)
        assert record_outcome(session, lost, "try_later", reason="late", retry_hours=72, record_version=0) is None
        row = session.get(Handoff, handoff_id)
        assert (row.status, row.claim, row.reason) == ("sending", current.token,
                                                       "the job sending it stopped during the call")


def test_a_stale_claim_sweep_and_the_jobs_own_answer_at_once_leave_the_row_to_be_looked_up(handoff_env):
    # The sweep takes the claim of a job it thinks dead, and holds the row until the job, answering at last, waits
    # on it (PostgreSQL). The job must then read its claim as lost and change nothing: the row is looked up next.
    # Reading it without a lock, the job would see its claim still there and write over the sweep's verdict.
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        claim = claim_handoff(session, handoff_id)
    swept, recorded = first_holds_while_second_waits(
        env.runtime, lambda session: mark_stale_claims_unknown(session, claimed_before=utcnow() + timedelta(seconds=1)),
        lambda session: record_outcome(session, claim, "try_later", reason="late", retry_hours=72, record_version=0))
    assert (swept, recorded) == (1, None)
    row = _row(env, handoff_id)
    assert (row.status, row.claim, row.reason) == ("unknown", None, "the job sending it stopped during the call")


def test_a_claim_is_for_one_job_only(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    _case, other_id = env.accept(env.report().id)
    with env.runtime.unit_of_work() as session:
        assert claim_handoff(session, handoff_id) is not None
        assert claim_handoff(session, handoff_id) is None
        # ...and for its own row: the other report's, due too, still waits for its own job.
        other = session.get(Handoff, other_id)
        assert (other.status, other.claim, other.attempts) == ("waiting", None, 0)
