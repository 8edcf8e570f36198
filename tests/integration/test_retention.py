"""Retention on both databases: message bodies, USSD session records, turned-down reports' personal data and files,
closed cases (anonymised), audit events and the API's audit lines go when past their time; what is recent, still
waiting, held or being transferred is kept; a dry run only counts; the scheduler runs it once a day."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casecore.audit import AuditEvent, record_event
from casecore.base import utcnow
from casecore.cases.models import Case, CaseEvent
from casecore.errors import NotFound
from casecore.messaging.models import InboundMedia, InboundMessage, OutboundMessage, UssdSessionEnd
from casecore.partners.models import ApiCall, ApiToken
from casecore.partners.tokens import create_token, parse_scopes
from casecore.reports.models import Report
from casecore.retention import RetentionPolicy, purge
from tests.factories import make_case, make_organisation, make_report, make_user

POLICY = RetentionPolicy(message_days=90, ussd_session_days=90, rejected_report_days=365, audit_years=7)
OLD, RECENT = timedelta(days=120), timedelta(days=10)


@pytest.fixture
def records(any_db_runtime):
    """Of each kind, one past its time and one not (or one still needed)."""
    rt, now = any_db_runtime, utcnow()
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        for n, (age, status) in enumerate([(OLD, "processed"), (RECENT, "processed"), (OLD, "received")]):
            session.add(InboundMessage(provider="africastalking", provider_message_id=f"in-{n}", channel="sms",
                                       phone="+22376000001", to_address="12345", body=f"Message {n}",
                                       status=status, received_at=now - age))
        for n, (age, status) in enumerate([(OLD, "sent"), (RECENT, "sent"), (OLD, "queued")]):
            session.add(OutboundMessage(purpose_key=f"out-{n}", to_phone="+22376000001", body=f"Reply {n}",
                                        backend="console", status=status, created_at=now - age))
        for n, age in enumerate([OLD, RECENT]):
            session.add(UssdSessionEnd(session_id=f"ATUid_{n}", status="Success", received_at=now - age))
        refused = make_report(session, organisation_slug=org.slug, description="Il pleure la nuit",
                              consent_to_share=True)
        kept = make_report(session, organisation_slug=org.slug, description="Elle ne va plus à l'école",
                           consent_to_share=True)
        for report, status in ((refused, "not_eligible"), (kept, "accepted")):
            row = session.get(Report, report.id)
            row.status, row.decided_at = status, now - timedelta(days=400)
        key = rt.media_store.put(b"\xff\xd8\xff photo")
        message = session.scalars(select(InboundMessage)).first()
        session.add(InboundMedia(inbound_message_id=message.id, position=0, source_url="https://x/1",
                                 declared_type="image/jpeg", sender_key="k", status="stored", storage_key=key,
                                 report_id=refused.id))
        case = make_case(session, make_report(session, organisation_slug=org.slug, description="Frappé par son oncle"),
                         status="closed")
        session.get(type(case), case.id).closed_at = now - timedelta(days=4000)
        record_event(session, None, "very.old", "report", refused.id).at = now - timedelta(days=365 * 8)
        record_event(session, None, "recent", "report", refused.id)
        create_token(session, "dashboard", org.slug, parse_scopes("reports:read"))
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "dashboard"))
        for endpoint, age in (("/api/v1/reports", timedelta(days=365 * 8)), ("/api/v1/cases", RECENT)):
            session.add(ApiCall(token_id=token_id, method="GET", endpoint=endpoint, status=200,
                                object_ids=[str(refused.id)], at=now - age))
        ids = {"refused": refused.id, "kept": kept.id, "case": case.id, "key": key}
    return rt, ids


def _state(rt, ids):
    with rt.unit_of_work(read_only=True) as session:
        return {
            "in": sorted(session.scalars(select(InboundMessage.body))),
            "out": sorted(session.scalars(select(OutboundMessage.body))),
            "ussd": sorted(session.scalars(select(UssdSessionEnd.session_id))),
            "refused": session.execute(select(Report.description, Report.reporter_phone, Report.reporter_key)
                                       .where(Report.id == ids["refused"])).one(),
            "kept": session.scalar(select(Report.description).where(Report.id == ids["kept"])),
            "media": session.execute(select(InboundMedia.status, InboundMedia.reason, InboundMedia.storage_key)).one(),
            "audit": sorted(session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "report"))),
            "api_calls": sorted(session.scalars(select(ApiCall.endpoint))),
            "case": session.scalar(select(Case.status).where(Case.id == ids["case"])),
            "case_report": session.scalar(select(Report.description).join(Case, Case.report_id == Report.id)
                                          .where(Case.id == ids["case"])),
        }


def test_a_dry_run_counts_and_changes_nothing(records):
    rt, ids = records
    before = _state(rt, ids)
    done = purge(rt.unit_of_work, POLICY, rt.media_store, dry_run=True)
    assert done.counts() == {"inbound_bodies": 1, "outbound_bodies": 1, "ussd_sessions": 1, "event_deliveries": 0,
                             "turned_down_reports": 1, "report_files": 1, "audit_events": 1, "api_calls": 1,
                             "closed_cases": 1}
    assert _state(rt, ids) == before


def test_what_is_past_its_time_goes_and_the_rest_stays(records):
    rt, ids = records
    # The closed case's report says what happened until the purge anonymises it.
    assert _state(rt, ids)["case_report"] == "Frappé par son oncle"
    done = purge(rt.unit_of_work, POLICY, rt.media_store)
    assert done.counts() == {"inbound_bodies": 1, "outbound_bodies": 1, "ussd_sessions": 1, "event_deliveries": 0,
                             "turned_down_reports": 1, "report_files": 1, "audit_events": 1, "api_calls": 1,
                             "closed_cases": 1}
    state = _state(rt, ids)
    assert state["in"] == ["", "Message 1", "Message 2"], "a message still waiting keeps its body"
    assert state["out"] == ["", "Reply 1", "Reply 2"], "a reply not yet sent keeps its body"
    assert state["ussd"] == ["ATUid_1"]
    assert tuple(state["refused"]) == (None, None, None) and state["kept"] == "Elle ne va plus à l'école"
    assert tuple(state["media"]) == ("refused", "retention", None)
    with pytest.raises(NotFound):
        rt.media_store.get(ids["key"])  # the file itself is gone
    assert state["audit"] == ["recent"]
    assert state["api_calls"] == ["/api/v1/cases"]
    assert (state["case"], state["case_report"]) == ("closed", None)
    assert purge(rt.unit_of_work, POLICY, rt.media_store).counts() == dict.fromkeys(done.counts(), 0)


def test_a_malformed_retention_setting_stops_the_process():
    from tests.conftest import make_settings
    with pytest.raises(ValueError, match="RETENTION_MESSAGE_DAYS"):
        RetentionPolicy.from_settings(make_settings(RETENTION_MESSAGE_DAYS=0))


def test_the_scheduler_enqueues_the_purge_once_a_day_and_the_job_runs_it(sqlite_url, redis_url):
    from bootstrap import bootstrap
    from tests.conftest import make_settings
    from tests.queues import drain, queued_job_ids
    from workers.scheduler import run_once
    rt = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, RETENTION_DAILY=True))
    try:
        with rt.unit_of_work() as session:
            make_organisation(session)
            session.add(UssdSessionEnd(session_id="ATUid_old", status="Success",
                                       received_at=utcnow() - timedelta(days=200)))
        run_once(rt)
        run_once(rt)
        assert [job for job in queued_job_ids(rt.queue) if job.startswith("retention-")] == [
            f"retention-{utcnow().date().isoformat()}"]
        drain(rt.queue, runtime=rt)
        with rt.unit_of_work(read_only=True) as session:
            assert session.scalars(select(UssdSessionEnd)).all() == []
    finally:
        rt.close()


SECRETS = ("Aminata", "Traoré", "+22376000777", "Derrière le marché", "Elle dort chez la voisine", "mariage forcé",
           "Bakary")


def _closed_case_with_a_story(session, org, closed_days: int):
    """A case closed closed_days ago whose record holds names, numbers and words: in registration, relatives,
    contacts, the report, notes, a family message, the assessment, the plan, a conference."""
    from casecore.cases.models import CaseContact, FeedbackRequest
    from casecore.cases.record_models import (
        AssessmentDomain,
        CaseAction,
        CaseCaregiver,
        CaseConference,
        CaseGoal,
        ChildRegistration,
    )
    # A staff name of its own: the factories' could share the child's family name, which this test looks for.
    worker = make_user(session, org, role="caseworker", display_name=f"Agent social {uuid.uuid4().hex[:6]}")
    case = make_case(session, organisation_slug=org.slug, status="closed", contact_phones=["+22376000777"],
                     assigned_to_id=worker.id)
    row = session.get(Case, case.id)
    row.closed_at = utcnow() - timedelta(days=closed_days)
    report = session.get(Report, row.report_id)
    report.description, report.reporter_phone = "Elle dort chez la voisine", "+22376000777"
    session.add_all([
        ChildRegistration(case_id=case.id, name_first="Aminata", name_last="Traoré", sex="female", age=12,
                          address_current="Derrière le marché", protection_concerns=["child_marriage"]),
        CaseCaregiver(case_id=case.id, position=0, relation="uncle", relation_name="Bakary"),
        CaseEvent(case_id=case.id, kind="note", body="Risque de mariage forcé"),
        CaseEvent(case_id=case.id, kind="family_message", body="Aminata va mieux", unlinked_phone="+22376000777"),
        CaseEvent(case_id=case.id, kind="step_changed", body="closure"),
        AssessmentDomain(case_id=case.id, domain="safety", needs="Loin de l'oncle Bakary", updated_by_id=worker.id),
        CaseConference(case_id=case.id, held_on=utcnow().date(), decisions="Aminata reste chez sa tante",
                       recorded_by_id=worker.id, family_present=True, child_present=True),
    ])
    session.flush()
    goal = CaseGoal(case_id=case.id, goal="Aminata retourne à l'école", status="achieved", created_at=utcnow(),
                    updated_at=utcnow(), created_by_id=worker.id)
    session.add(goal)
    session.flush()
    session.add(CaseAction(case_id=case.id, goal_id=goal.id, what="Voir Traoré le directeur", by="caseworker",
                           status="done", created_at=utcnow(), updated_at=utcnow(), updated_by_id=worker.id))
    contact = session.scalars(select(CaseContact).where(CaseContact.case_id == case.id)).first()
    # A survey invitation names the family's number: it must not hold the anonymisation back.
    session.add(FeedbackRequest(purpose_key=f"survey-{case.id}", case_id=case.id, contact_id=contact.id,
                                kind="closure", audience="adult", asked_at=utcnow()))
    report.decision_note = "Aminata vue à la maison"
    return case.id


def _everything_written(session) -> str:
    """Every value of every table, as text: what a copy of the database would show."""
    from casecore.base import Base
    return "\n".join(str(tuple(row)) for table in Base.metadata.sorted_tables
                     for row in session.execute(table.select()))


def test_a_closed_case_past_its_time_is_anonymised_and_the_figures_keep_it(any_db_runtime):
    from casecore.cases.models import CaseTransfer
    rt = any_db_runtime
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        old = _closed_case_with_a_story(session, org, 365 * 6)
    with rt.unit_of_work(read_only=True) as session:
        assert all(secret in _everything_written(session) for secret in SECRETS)
    assert purge(rt.unit_of_work, POLICY, rt.media_store, dry_run=True).closed_cases == 1
    assert purge(rt.unit_of_work, POLICY, rt.media_store).closed_cases == 1
    with rt.unit_of_work(read_only=True) as session:
        written = _everything_written(session)
        case = session.get(Case, old)
        steps = session.scalars(select(CaseEvent.body).where(CaseEvent.case_id == old,
                                                             CaseEvent.kind == "step_changed")).all()
        report = session.get(Report, case.report_id)
    assert [secret for secret in SECRETS if secret in written] == []
    assert case.anonymised_at is not None and case.status == "closed" and steps == ["closure"]
    assert (report.concern, report.child_sex) != (None, None), "what the figures count stays"
    # Held, or being transferred, or closed more recently: kept whole.
    with rt.unit_of_work() as session:
        held = _closed_case_with_a_story(session, org, 365 * 6)
        session.get(Case, held).legal_hold = True
        moving = _closed_case_with_a_story(session, org, 365 * 6)
        session.add(CaseTransfer(case_id=moving, from_organisation_id=org.id, to_organisation_id=org.id,
                                 status="pending", requested_by_id=session.get(Case, moving).assigned_to_id,
                                 requested_at=utcnow()))
        _closed_case_with_a_story(session, org, 365 * 2)
    assert purge(rt.unit_of_work, POLICY, rt.media_store).closed_cases == 0
    # An anonymised case is not reopened: nothing is left to work on (a new report opens a new case).
    from casecore.cases.casework import reopen_case
    from casecore.deadlines.timelines import Timelines
    from casecore.errors import Refused
    from tests.factories import as_staff
    with rt.unit_of_work() as session:
        lead = as_staff(make_user(session, org, role="supervisor"))
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        session.get(Case, old).team_id = None
        reopen_case(session, lead, old, "La famille revient", Timelines())
    assert refused.value.code in ("case_anonymised",)
