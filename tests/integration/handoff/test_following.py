"""Following handed-over cases from Primero, on both databases: the poll reads what webhooks missed, a closure
there closes the Relais case and sends the closure surveys once, a reopening opens it again, a report handed over
on arrival never waits for a decision in Relais, and a family's message reaches the case's owner."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from casecore.base import utcnow
from casecore.cases.casework import reopen_case
from casecore.cases.models import Case, CaseEvent
from casecore.cases.opening import record_family_message
from casecore.cases.status import report_status
from casecore.deadlines.models import CaseDeadline
from casecore.handoff.follow import apply_snapshot, handoffs_to_follow
from casecore.handoff.models import Handoff
from casecore.handoff.queue import hand_over_new_report, is_paused, pause, resume
from casecore.messaging.models import OutboundMessage
from casecore.people.models import User
from casecore.reports.committees import register_member
from casecore.reports.models import Report
from tests.concurrency import first_holds_while_second_waits
from tests.factories import as_staff, make_organisation, make_user
from tests.fakes.primero import Answer
from tests.integration.handoff.conftest import audited
from tests.queues import drain, queued_job_ids
from workers import jobs
from workers.handoff import add_note, follow_cases, send_handoff
from workers.plans import closure_plan
from workers.queueing import send_job_id
from workers.scheduler import run_once

FAMILY = "+22376701430"


def _sent(env, **report) -> tuple:
    submitted = env.report(**report)
    case_id, handoff_id = env.accept(submitted.id)
    assert send_handoff(env.runtime, str(handoff_id)) == "sent"
    with env.runtime.unit_of_work(read_only=True) as session:
        primero_id = str(session.get(Handoff, handoff_id).primero_id)
    return submitted, case_id, handoff_id, primero_id


def _handed_over_on_arrival(env, submitted) -> Handoff:
    """Run the report's alert job, which hands an on_report organisation's report over; its hand-off row."""
    jobs.alert_supervisors(str(submitted.id))
    with env.runtime.unit_of_work(read_only=True) as session:
        row = session.scalar(select(Handoff).where(Handoff.report_id == submitted.id))
        session.expunge(row)
        return row


def _surveys(env) -> list[OutboundMessage]:
    with env.runtime.unit_of_work(read_only=True) as session:
        return list(session.scalars(select(OutboundMessage).where(
            OutboundMessage.purpose_key.like("closure-survey:%"))))


def _closing_in_relais(case_id):
    """A closure of the case in Relais, flushed: it holds the case's row until its unit of work ends."""
    def close(session):
        session.get(Case, case_id, with_for_update=True).status = "closed"
        session.flush()
    return close


def _read_while(env, primero_id, first) -> None:
    """Primero's case read and applied while first(session), at once, holds what it locked (PostgreSQL)."""
    snapshot, plan = env.primero.snapshot(primero_id)["data"], closure_plan(env.runtime)
    first_holds_while_second_waits(env.runtime, first, lambda session: apply_snapshot(session, snapshot, plan))


def test_the_poll_reads_a_closure_the_webhook_missed_and_acts_on_it_once(handoff_env):
    env = handoff_env
    submitted, case_id, handoff_id, primero_id = _sent(env, consent_to_share=True, may_contact=True,
                                                      reporter_key="family-key")
    env.primero.close_case(primero_id)  # no webhook configured: only the poll can know
    assert follow_cases(env.runtime, [str(handoff_id)]) == 1
    assert follow_cases(env.runtime, [str(handoff_id)]) == 0  # the same case read again: nothing new
    with env.runtime.unit_of_work(read_only=True) as session:
        case = session.get(Case, case_id)
        assert case.status == "closed"
        assert session.scalar(select(CaseEvent.body).where(CaseEvent.case_id == case_id,
                                                            CaseEvent.kind == "closed_in_primero")) == "formal_closing"
        assert session.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case_id,
                                                          CaseDeadline.met_at.is_(None))).all() == []
        assert report_status(session, submitted.reference, "family-key") == "closed"
        row = session.get(Handoff, handoff_id)
        assert row.primero_status == "closed" and row.closure_seen_at is not None
        assert audited(session, "handoff.closed_in_primero") == [(None, str(submitted.id))]
    surveys = _surveys(env)
    assert {m.to_phone for m in surveys} == {FAMILY} and len(surveys) == 2
    assert all(submitted.reference not in m.body for m in surveys)
    # Read again, and the same snapshot replayed: nothing more is sent.
    follow_cases(env.runtime, [str(handoff_id)])
    with env.runtime.unit_of_work() as session:
        apply_snapshot(session, env.primero.snapshot(primero_id)["data"], closure_plan(env.runtime))
    assert len(_surveys(env)) == 2


def test_a_case_primero_speaks_of_settles_a_hand_off_whose_answer_was_lost_and_marks_it_read(handoff_env):
    env = handoff_env
    _submitted, _case_id, other_id, _other_primero_id = _sent(env)
    _submitted, _case_id, handoff_id, primero_id = _sent(env)
    snapshot = env.primero.snapshot(primero_id)["data"]
    with env.runtime.unit_of_work() as session:
        for row_id in (other_id, handoff_id):
            row = session.get(Handoff, row_id)  # as a lost answer leaves it
            row.status, row.reason, row.sent_at = "unknown", "the job sending it stopped during the call", None
    read_at = utcnow().replace(microsecond=0) + timedelta(minutes=1)
    with env.runtime.unit_of_work() as session:
        assert apply_snapshot(session, snapshot, closure_plan(env.runtime), now=read_at).changed
    with env.runtime.unit_of_work(read_only=True) as session:
        row = session.get(Handoff, handoff_id)
        assert (row.status, row.reason, row.sent_at, row.followed_at) == ("sent", None, read_at, read_at)
        sent = [object_id for _, object_id in audited(session, "handoff.sent")]
    assert sent.count(str(row.report_id)) == 2  # the send's, then the settling's
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Handoff, other_id).status == "unknown"  # another case's row waits for its own news


def test_what_primero_says_of_a_case_is_kept_to_its_columns_length(handoff_env):
    # PostgreSQL would refuse a longer value, and the whole poll with it.
    env = handoff_env
    _submitted, _case_id, handoff_id, primero_id = _sent(env)
    snapshot = {**env.primero.snapshot(primero_id)["data"], "case_id_display": "C" * 50, "owned_by": "u" * 120,
                "status": "s" * 40, "last_updated_at": "2030-01-01T00:00:00.000Z"}
    with env.runtime.unit_of_work() as session:
        apply_snapshot(session, snapshot, closure_plan(env.runtime))
    with env.runtime.unit_of_work(read_only=True) as session:
        row = session.get(Handoff, handoff_id)
        assert (row.short_id, row.owned_by, row.primero_status) == ("C" * 40, "u" * 100, "s" * 32)
    # A later snapshot that does not speak of the owner (a webhook's few fields) leaves the owner known.
    with env.runtime.unit_of_work() as session:
        apply_snapshot(session, {"id": primero_id, "last_updated_at": "2030-01-02T00:00:00.000Z"},
                       closure_plan(env.runtime))
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Handoff, handoff_id).owned_by == "u" * 100


def test_a_closure_reason_typed_at_length_keeps_its_first_200_characters_on_the_timeline(handoff_env):
    # An instance whose closure reason is free text: the timeline shows what it was, not a page of it.
    env = handoff_env
    _submitted, case_id, _handoff_id, primero_id = _sent(env)
    snapshot = {**env.primero.snapshot(primero_id)["data"], "status": "closed", "closure_reason": "x" * 199 + "yz",
                "last_updated_at": "2030-01-01T00:00:00.000Z"}
    with env.runtime.unit_of_work() as session:
        assert apply_snapshot(session, snapshot, closure_plan(env.runtime)).closed
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.scalar(select(CaseEvent.body).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "closed_in_primero")) == "x" * 199 + "y"


def test_a_status_that_is_empty_or_not_text_leaves_the_status_read_before(handoff_env):
    # An instance's hook or a proxy can send "" or a number: the poll must go on, and the page keep what it knew.
    env = handoff_env
    _submitted, case_id, handoff_id, primero_id = _sent(env)
    for day, status in enumerate(["", 7, None], start=1):
        snapshot = {**env.primero.snapshot(primero_id)["data"], "status": status,
                    "last_updated_at": f"2030-01-0{day}T00:00:00.000Z"}
        with env.runtime.unit_of_work() as session:
            assert apply_snapshot(session, snapshot, closure_plan(env.runtime)).changed
        with env.runtime.unit_of_work(read_only=True) as session:
            assert session.get(Handoff, handoff_id).primero_status == "open"
            assert session.get(Case, case_id).status != "closed"


def test_an_open_case_read_again_is_no_reopening(handoff_env):
    env = handoff_env
    _submitted, case_id, _handoff_id, primero_id = _sent(env)
    snapshot = {**env.primero.snapshot(primero_id)["data"], "last_updated_at": "2030-01-01T00:00:00.000Z"}
    assert snapshot["status"] == "open"
    with env.runtime.unit_of_work() as session:
        followed = apply_snapshot(session, snapshot, closure_plan(env.runtime))
        assert followed.changed and not followed.reopened and not followed.closed
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id,
                                                            CaseEvent.kind.like("%_in_primero"))).all() == []


def test_a_reopening_in_primero_opens_the_relais_case_again_and_a_new_closure_asks_again(handoff_env):
    env = handoff_env
    submitted, case_id, handoff_id, primero_id = _sent(env, consent_to_share=True, may_contact=True)
    env.primero.close_case(primero_id)
    follow_cases(env.runtime, [str(handoff_id)])
    env.primero.reopen_case(primero_id)
    with env.runtime.unit_of_work() as session:
        followed = apply_snapshot(session, env.primero.snapshot(primero_id)["data"], closure_plan(env.runtime))
        assert followed.reopened
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Case, case_id).status == "open"
        assert session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(
            CaseEvent.at)).all()[-2:] == ["closed_in_primero", "reopened_in_primero"]
        assert audited(session, "handoff.reopened_in_primero") == [(None, str(submitted.id))]
    env.primero.close_case(primero_id)
    follow_cases(env.runtime, [str(handoff_id)])
    assert len(_surveys(env)) == 4


def test_an_older_snapshot_after_a_newer_one_changes_nothing(handoff_env):
    env = handoff_env
    _submitted, case_id, handoff_id, primero_id = _sent(env)
    open_snapshot = env.primero.snapshot(primero_id)["data"]
    env.primero.close_case(primero_id)
    closed = env.primero.snapshot(primero_id)["data"]
    plan = closure_plan(env.runtime)
    with env.runtime.unit_of_work() as session:
        assert apply_snapshot(session, closed, plan).closed
    with env.runtime.unit_of_work() as session:
        late = apply_snapshot(session, open_snapshot, plan)
        assert not late.changed and not late.reopened
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Case, case_id).status == "closed"


def test_a_webhook_settles_an_unknown_outcome(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    env.primero.answer_next(Answer.dropped())
    assert send_handoff(env.runtime, str(handoff_id)) == "unknown"
    [primero_id] = env.primero.cases
    # Primero's webhook about the case it created arrives before any look-up.
    with env.runtime.unit_of_work() as session:
        apply_snapshot(session, env.primero.snapshot(primero_id)["data"], closure_plan(env.runtime))
    with env.runtime.unit_of_work(read_only=True) as session:
        row = session.get(Handoff, handoff_id)
        assert (row.status, row.short_id) == ("sent", env.primero.cases[primero_id]["case_id_display"])
    assert send_handoff(env.runtime, str(handoff_id)) == "skipped"


def test_only_open_cases_not_read_lately_are_polled_never_read_first_then_the_longest_unread(handoff_env):
    env = handoff_env
    _s, _c, read_now, _p = _sent(env)
    _s, _c, read_long_ago, _p = _sent(env)
    _s, _c, read_longer_ago, _p = _sent(env)
    _s, _c, never_read, _p = _sent(env)
    _s, _c, closed_there, _p = _sent(env)
    _s, _c, read_at_the_cut_off, _p = _sent(env)
    _case, not_sent = env.accept(env.report().id)
    now = utcnow()
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, read_at_the_cut_off).followed_at = now - timedelta(minutes=60)
        session.get(Handoff, read_long_ago).followed_at = now - timedelta(hours=2)
        session.get(Handoff, read_longer_ago).followed_at = now - timedelta(hours=3)
        session.get(Handoff, never_read).followed_at = None
        closed = session.get(Handoff, closed_there)
        closed.followed_at, closed.closure_seen_at = now - timedelta(hours=4), now - timedelta(hours=4)
        assert session.get(Handoff, not_sent).followed_at is None
    with env.runtime.unit_of_work(read_only=True) as session:
        assert handoffs_to_follow(session, now - timedelta(minutes=60)) == [never_read, read_longer_ago,
                                                                            read_long_ago]
        assert handoffs_to_follow(session, now - timedelta(minutes=60), limit=2) == [never_read, read_longer_ago]


def test_the_scheduler_sends_what_waits_turns_dead_claims_unknown_and_polls(handoff_env):
    env = handoff_env
    _case, waiting = env.accept(env.report().id)
    _case, dead = env.accept(env.report().id)
    _s, _c, stale_read, _p = _sent(env)
    now = utcnow()
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, waiting).created_at = now - timedelta(minutes=5)  # its first job was lost
        row = session.get(Handoff, dead)
        row.status, row.claim, row.claimed_at = "sending", "gone", now - timedelta(minutes=10)  # worker killed
        session.get(Handoff, stale_read).followed_at = now - timedelta(hours=2)
    run_once(env.runtime, now)
    jobs_waiting = queued_job_ids(env.runtime.queue)
    assert f"handoff-{waiting}" in jobs_waiting and f"handoff-{dead}" in jobs_waiting
    assert any(job.startswith("primero-poll-") for job in jobs_waiting)
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Handoff, dead).status == "unknown"
    # The killed worker's case may exist: the next try looks it up first and never creates a second.
    assert send_handoff(env.runtime, str(dead)) == "sent"
    assert [r["method"] for r in env.primero.requests][-3:-1] == ["GET", "POST"]


def test_a_report_of_an_on_report_organisation_goes_straight_over_with_no_decision(on_report_env):
    env = on_report_env
    with env.runtime.unit_of_work() as session:
        register_member(session, env.organisation_id, name="Fanta", phone="+22376709999",
                        committee="Comité de Sikasso", registered_by_id=env.supervisor_id)
    submitted = env.report(reporter_phone="+22376709999", danger_now=True)
    run_once(env.runtime)  # the scheduler gives the report its assignment date
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.scalar(select(CaseDeadline.kind).where(CaseDeadline.report_id == submitted.id)) == "assignment"
    row = _handed_over_on_arrival(env, submitted)
    with env.runtime.unit_of_work(read_only=True) as session:
        report = session.get(Report, submitted.id)
        assert report.status == "handed_over" and row.trigger == "on_report" and row.case_id is None
        # Relais's assignment deadline no longer waits for a decision made in CPIMS+.
        assert session.scalars(select(CaseDeadline).where(CaseDeadline.report_id == submitted.id,
                                                          CaseDeadline.met_at.is_(None))).all() == []
    assert f"handoff-{row.id}" in queued_job_ids(env.runtime.queue)
    assert send_handoff(env.runtime, str(row.id)) == "sent"
    [stored] = env.primero.cases.values()
    assert "risk_level" not in stored and stored["owned_by"] == "relais_api"
    assert "comité" in stored["notes_section"][0]["note_text"] and "+22376709999" not in str(stored)
    env.primero.close_case(stored["id"])
    follow_cases(env.runtime, [str(row.id)])
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Report, submitted.id).status == "closed"
        thanks = session.scalars(select(OutboundMessage).where(
            OutboundMessage.purpose_key == f"committee-accepted:{submitted.id}")).all()
        assert [m.to_phone for m in thanks] == ["+22376709999"]
    # ...and on its way at once, not left for the sweep of queued messages.
    assert send_job_id(thanks[0].id) in queued_job_ids(env.runtime.queue)


def test_a_report_handed_over_on_arrival_follows_its_primero_case_closed_and_reopened(on_report_env):
    env = on_report_env
    rows = []
    for _ in range(2):
        rows.append(_handed_over_on_arrival(env, env.report()))
        assert send_handoff(env.runtime, str(rows[-1].id)) == "sent"
        env.primero.close_case(str(rows[-1].primero_id))
    follow_cases(env.runtime, [str(row.id) for row in rows])
    reopened, still_closed = rows
    env.primero.reopen_case(str(reopened.primero_id))
    follow_cases(env.runtime, [str(reopened.id)])
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Report, reopened.report_id).status == "handed_over"
        assert session.get(Report, still_closed.report_id).status == "closed"
        assert audited(session, "handoff.reopened_in_primero") == [(None, str(reopened.report_id))]


def test_a_case_reopened_in_relais_first_is_not_reopened_again_by_primero(handoff_env):
    env = handoff_env
    _submitted, case_id, handoff_id, primero_id = _sent(env)
    env.primero.close_case(primero_id)
    follow_cases(env.runtime, [str(handoff_id)])
    with env.runtime.unit_of_work() as session:
        supervisor = as_staff(session.get(User, env.supervisor_id))
        reopen_case(session, supervisor, case_id, "La famille a rappelé", env.runtime.timelines)
        reopened_at = session.get(Case, case_id).reopened_at
    env.primero.reopen_case(primero_id)
    follow_cases(env.runtime, [str(handoff_id)])
    with env.runtime.unit_of_work(read_only=True) as session:
        case = session.get(Case, case_id)
        assert (case.status, case.reopened_at) == ("open", reopened_at)
        assert session.scalars(select(CaseEvent.kind).where(
            CaseEvent.case_id == case_id, CaseEvent.kind.like("reopened%"))).all() == ["reopened"]


def test_the_webhook_and_the_poll_reading_one_closure_at_once_act_on_it_once(handoff_env):
    # Primero's webhook and the poll bring the same closure at once; the first holds the hand-off until the second
    # waits on it (PostgreSQL). The second must then read the closure as seen: reading the hand-off without a lock,
    # it would act on the closure a second time.
    env = handoff_env
    submitted, _case_id, _handoff_id, primero_id = _sent(env, consent_to_share=True, may_contact=True)
    env.primero.close_case(primero_id)
    snapshot, plan = env.primero.snapshot(primero_id)["data"], closure_plan(env.runtime)
    first_holds_while_second_waits(env.runtime, lambda session: apply_snapshot(session, snapshot, plan),
                                   lambda session: apply_snapshot(session, snapshot, plan))
    assert len(_surveys(env)) == 2
    with env.runtime.unit_of_work(read_only=True) as session:
        assert audited(session, "handoff.closed_in_primero") == [(None, str(submitted.id))]


def test_a_closure_in_relais_and_in_primero_at_once_survey_the_family_once(handoff_env):
    # The case is closed in Relais (which sends its own surveys) as Primero's closure is read; Relais's closure holds
    # the case until the reading waits on it (PostgreSQL). The reading must then find the case closed: without its
    # lock on the case, it would read it open and survey the family a second time.
    env = handoff_env
    _submitted, case_id, _handoff_id, primero_id = _sent(env, consent_to_share=True, may_contact=True)
    env.primero.close_case(primero_id)
    _read_while(env, primero_id, _closing_in_relais(case_id))
    assert _surveys(env) == []


def test_a_reopening_in_relais_and_in_primero_at_once_reopen_the_case_once(handoff_env):
    # A supervisor reopens the case in Relais as Primero's reopening is read; the supervisor's reopening holds the
    # case until the reading waits on it (PostgreSQL). The reading must then find the case open: without its lock on
    # the case, it would read it closed and reopen it a second time.
    env = handoff_env
    _submitted, case_id, handoff_id, primero_id = _sent(env)
    env.primero.close_case(primero_id)
    follow_cases(env.runtime, [str(handoff_id)])
    env.primero.reopen_case(primero_id)

    def reopen_in_relais(session):
        supervisor = as_staff(session.get(User, env.supervisor_id))
        reopen_case(session, supervisor, case_id, "La famille a rappelé", env.runtime.timelines)
        session.flush()

    _read_while(env, primero_id, reopen_in_relais)
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.scalars(select(CaseEvent.kind).where(
            CaseEvent.case_id == case_id, CaseEvent.kind.like("reopened%"))).all() == ["reopened"]


def test_a_case_closed_in_relais_as_primero_gives_it_to_another_user_stays_with_its_worker(handoff_env, mapping_file):
    # The case is closed in Relais as Primero's new owner is read; the closure holds the case until the reading waits
    # on it (PostgreSQL). The reading must then find the case closed and leave it: without its lock on the case, it
    # would read it open and give the closed case to another worker.
    env = handoff_env
    _submitted, case_id, _handoff_id, primero_id = _sent(env)
    mapping = json.loads(mapping_file.read_text())
    mapping["users"]["fanta@relais.example"] = "cp_worker2"
    mapping_file.write_text(json.dumps(mapping))
    env.primero.instance.user_names.add("cp_worker2")
    with env.runtime.unit_of_work() as session:
        from casecore.people.models import Organisation
        make_user(session, session.get(Organisation, env.organisation_id), role="caseworker",
                  email="fanta@relais.example")
    env.primero.reassign(primero_id, "cp_worker2")
    _read_while(env, primero_id, _closing_in_relais(case_id))
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Case, case_id).assigned_to_id == env.worker_id
        assert audited(session, "handoff.owner_followed") == []


def test_a_decision_and_the_hand_over_at_once_leave_the_report_decided(on_report_env):
    # A supervisor accepts the report as its alert job hands it over; the acceptance holds the report until the job
    # waits on it (PostgreSQL). The job must then read the report as decided and hand nothing over. Reading it
    # without a lock, it would see it new and mark the accepted report handed over: a case in Relais and in CPIMS+.
    env = on_report_env
    submitted = env.report()
    case_id, handed_over = first_holds_while_second_waits(
        env.runtime, lambda session: env.accept_in(session, submitted.id).case_id,
        lambda session: hand_over_new_report(session, submitted.id))
    assert case_id is not None and handed_over is None
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Report, submitted.id).status == "accepted"
        assert session.scalars(select(Handoff)).all() == []


def test_a_report_decided_before_its_alert_job_stays_decided(on_report_env):
    env = on_report_env
    submitted = env.report()
    env.accept(submitted.id)  # a supervisor was quicker than the job
    jobs.alert_supervisors(str(submitted.id))
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Report, submitted.id).status == "accepted"
        assert len(session.scalars(select(Handoff)).all()) == 1  # the acceptance's, not a second


def test_a_family_message_on_a_handed_over_case_reaches_the_owner_and_becomes_one_note(handoff_env):
    env = handoff_env
    _submitted, case_id, handoff_id, primero_id = _sent(env)
    env.primero.reassign(primero_id, "cp_supervisor")
    follow_cases(env.runtime, [str(handoff_id)])
    from casecore.cases.alerts import queue_family_message_alert
    from casecore.handoff.routing import handed_over_case, owner_accounts
    with env.runtime.unit_of_work() as session:
        message = record_family_message(session, case_id, channel="sms", body="Mon fils va mieux",
                                        source_key="sms:test-1")
        handoff = handed_over_case(session, case_id)
        owners = owner_accounts(session, handoff, env.runtime.primero_mapping())
        queued = queue_family_message_alert(session, message.event_id, "console", owners)
        assert [u.id for u in owners] == [env.supervisor_id] and len(queued) == 1
    assert add_note(env.runtime, str(message.event_id)) == "added"
    assert add_note(env.runtime, str(message.event_id)) == "added"  # a retried job: the same row, not two
    notes = env.primero.cases[primero_id]["notes_section"]
    assert len(notes) == 2 and notes[1]["note_text"] == "Mon fils va mieux"


def test_a_case_closed_in_relais_first_is_not_surveyed_again_by_primero(handoff_env):
    env = handoff_env
    _submitted, case_id, handoff_id, primero_id = _sent(env, consent_to_share=True, may_contact=True)
    with env.runtime.unit_of_work() as session:
        session.get(Case, case_id).status = "closed"  # closed in Relais, which sent its own surveys
    env.primero.close_case(primero_id)
    follow_cases(env.runtime, [str(handoff_id)])
    assert _surveys(env) == []
    with env.runtime.unit_of_work(read_only=True) as session:  # what Primero did is on the record all the same
        report_id = session.get(Handoff, handoff_id).report_id
        assert [object_id for _, object_id in audited(session, "handoff.closed_in_primero")] == [str(report_id)]


def test_a_case_given_to_another_user_in_primero_goes_to_their_relais_account(handoff_env, mapping_file):
    env = handoff_env
    _submitted, case_id, handoff_id, primero_id = _sent(env)
    mapping = json.loads(mapping_file.read_text())
    mapping["users"]["fanta@relais.example"] = "cp_worker2"
    mapping["users"]["other.org@relais.example"] = "cp_worker2"  # a mistake in the mapping
    mapping_file.write_text(json.dumps(mapping))
    env.primero.instance.user_names.add("cp_worker2")
    with env.runtime.unit_of_work() as session:
        from casecore.people.models import Organisation
        # An account of another organisation, or a closed account, is never given the case.
        make_user(session, make_organisation(session), role="caseworker", email="other.org@relais.example")
        fanta = make_user(session, session.get(Organisation, env.organisation_id), role="caseworker",
                          email="fanta@relais.example")
        fanta.is_active = False
        fanta_id, fanta_name = fanta.id, fanta.display_name
    env.primero.reassign(primero_id, "cp_worker2")
    follow_cases(env.runtime, [str(handoff_id)])
    with env.runtime.unit_of_work() as session:
        assert session.get(Case, case_id).assigned_to_id == env.worker_id
        session.get(User, fanta_id).is_active = True
    for owner in ("cp_worker", "cp_worker2"):  # away and back, now that Fanta's account is open
        env.primero.reassign(primero_id, owner)
        follow_cases(env.runtime, [str(handoff_id)])
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Case, case_id).assigned_to_id == fanta_id
        assert session.get(Handoff, handoff_id).owned_by == "cp_worker2"
        assigned = session.scalars(select(CaseEvent.body).where(CaseEvent.case_id == case_id,
                                                                CaseEvent.kind == "assigned")).all()
        assert [body for body in assigned if "(CPIMS+)" in (body or "")] == [f"{fanta_name} (CPIMS+)"]
        assert [object_id for _, object_id in audited(session, "handoff.owner_followed")] == [str(case_id)]
    with env.runtime.unit_of_work() as session:
        session.get(Case, case_id).assigned_to_id = env.worker_id  # a supervisor in Relais gives it back
    env.primero.reassign(primero_id, "cp_worker2")  # Primero touches the case, its owner unchanged
    follow_cases(env.runtime, [str(handoff_id)])
    with env.runtime.unit_of_work(read_only=True) as session:
        # Relais's own decision stands: only a change of owner in Primero moves the Relais case.
        assert session.get(Case, case_id).assigned_to_id == env.worker_id
    with env.runtime.unit_of_work() as session:
        session.get(Case, case_id).assigned_to_id = fanta_id
    env.primero.reassign(primero_id, "cp_supervisor")  # not a case worker: the Relais case stays with Fanta
    follow_cases(env.runtime, [str(handoff_id)])
    with env.runtime.unit_of_work(read_only=True) as session:
        assert session.get(Case, case_id).assigned_to_id == fanta_id


def test_nothing_is_polled_while_paused_and_a_refused_poll_pauses(handoff_env):
    env = handoff_env
    _s, _c, handoff_id, _p = _sent(env)
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, handoff_id).followed_at = utcnow() - timedelta(hours=2)
    env.primero.instance.users["relais_api"] = "changed"
    before = len(env.primero.requests)
    assert follow_cases(env.runtime, [str(handoff_id)]) == 0
    with env.runtime.unit_of_work(read_only=True) as session:
        assert is_paused(session)
        assert session.get(Handoff, handoff_id).followed_at > utcnow() - timedelta(minutes=1)
    with env.runtime.unit_of_work() as session:
        session.get(Handoff, handoff_id).followed_at = utcnow() - timedelta(hours=2)
    run_once(env.runtime)
    assert not [job for job in queued_job_ids(env.runtime.queue) if job.startswith("primero-poll-")]
    assert len(env.primero.requests) == before + 1  # the one refused read, nothing since


def test_resuming_moves_the_retry_window_on_by_the_pause(handoff_env):
    env = handoff_env
    _case, handoff_id = env.accept(env.report().id)
    now = utcnow()
    with env.runtime.unit_of_work() as session:
        row = session.get(Handoff, handoff_id)
        row.first_tried_at, row.attempts = now - timedelta(hours=70), 5
        stopped = pause(session, "HTTP 401")
        stopped.paused_at = now - timedelta(hours=10)
    with env.runtime.unit_of_work() as session:
        assert resume(session, env.admin_id)
    with env.runtime.unit_of_work(read_only=True) as session:
        moved = session.get(Handoff, handoff_id).first_tried_at
    assert timedelta(hours=59, minutes=59) < utcnow() - moved < timedelta(hours=60, minutes=1)


def test_a_consent_withdrawn_in_relais_reaches_primero(handoff_env):
    from casecore.cases.casework import record_consent, withdraw_consent
    from casecore.people.models import User
    from tests.factories import as_staff
    env = handoff_env
    submitted = env.report()
    case_id, handoff_id = env.accept(submitted.id)
    with env.runtime.unit_of_work() as session:
        worker = as_staff(session.get(User, env.worker_id))
        consent_id = record_consent(session, worker, case_id, purpose="sharing_providers", given=True,
                                    given_by="caregiver")
    assert send_handoff(env.runtime, str(handoff_id)) == "sent"
    [stored] = env.primero.cases.values()
    assert stored["disclosure_other_orgs"] is True
    run_once(env.runtime)
    assert not [j for j in queued_job_ids(env.runtime.queue) if j.startswith("primero-record-")]  # in sync
    with env.runtime.unit_of_work() as session:
        withdraw_consent(session, worker, case_id, consent_id)
    run_once(env.runtime)
    drain(env.runtime.queue, runtime=env.runtime)
    assert env.primero.cases[stored["id"]]["disclosure_other_orgs"] is False
    run_once(env.runtime)
    assert not [j for j in queued_job_ids(env.runtime.queue) if j.startswith("primero-record-")]
