"""A family's SMS on a case handed over to Primero, from the provider's payload to Primero's note: the owner's
Relais account is alerted, the message becomes one note on the Primero case (the sweep adds what a lost job left),
and a mapping file that cannot be read never loses the message. On an on_report organisation the report page
offers no decision."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from casecore.base import utcnow
from casecore.cases.models import CaseEvent
from casecore.cases.opening import record_family_message
from casecore.handoff.models import Handoff, HandoffNote
from casecore.handoff.queue import queue_handoff
from casecore.messaging.models import OutboundMessage
from casecore.reports.models import Report
from casecore.triage.decisions import Acceptance, accept_report
from dialogs.committee_thanks import accepted_text
from tests.conftest import make_settings
from tests.factories import make_receiving_service, make_report, make_user
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.primero import PASSWORD, USERNAME
from tests.queues import drain
from tests.web.conftest import csrf_from
from tests.web.test_text_conversations import PHONE, Phone
from workers.handoff import send_handoff
from workers.scheduler import run_once

WORKER = "awa@example.org"


@pytest.fixture
def providers():
    with FakeAfricasTalking(api_key="k") as at:
        yield at, None


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"users": {WORKER: "cp_worker"}}))
    return path


def _app(sqlite_url, redis_url, providers, primero, mapping, handoff="on_accept"):
    at, _ = providers
    flask_app = create_app(make_settings(
        DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking", AT_API_URL=at.url,
        AT_USERNAME="relais", AT_API_KEY="k", PROVIDER_TIMEOUT=2.0, PRIMERO_URL=primero.url,
        PRIMERO_USERNAME=USERNAME, PRIMERO_PASSWORD=PASSWORD, PRIMERO_HANDOFF=handoff, PRIMERO_MAPPING=str(mapping)))
    with flask_app.extensions["relais"].unit_of_work() as session:
        make_receiving_service(session)
    return flask_app


@pytest.fixture
def app(sqlite_url, redis_url, providers, primero, mapping):
    flask_app = _app(sqlite_url, redis_url, providers, primero, mapping)
    yield flask_app
    flask_app.extensions["relais"].close()


def _handed_over(app) -> tuple:
    """A report accepted into a case (the family's number linked), assigned to the mapped case worker, sent."""
    rt = app.extensions["relais"]
    with rt.unit_of_work() as session:
        report = make_report(session, reporter_phone=PHONE, consent_to_share=True, may_contact=True)
        organisation = session.get(Report, report.id).organisation
        supervisor = make_user(session, organisation, role="supervisor")
        worker = make_user(session, organisation, role="caseworker", email=WORKER, phone="+22376000009")
        accepted = accept_report(session, report.id, Acceptance(risk_level="high", assigned_to_id=worker.id),
                                 organisation_id=organisation.id, decided_by_id=supervisor.id,
                                 timelines=rt.timelines, default_region="ML", sms_backend="africastalking",
                                 committee_thanks=accepted_text)
        handoff_id = queue_handoff(session, report.id, organisation.id, "on_accept", case_id=accepted.case_id)
    assert send_handoff(rt, str(handoff_id)) == "sent"
    with rt.unit_of_work() as session:
        return accepted.case_id, session.get(Handoff, handoff_id).primero_id


def test_a_family_sms_on_a_handed_over_case_alerts_the_owner_and_becomes_one_primero_note(app, providers, primero):
    case_id, primero_id = _handed_over(app)
    sms = Phone(app, providers, "sms")
    sms.send("MESSAGE")
    sms.send("Mon fils est revenu a la maison")
    rt = app.extensions["relais"]
    with rt.unit_of_work() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.kind == "family_message")).one()
        alerts = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == "+22376000009")).all()
        assert session.get(HandoffNote, event.id).status == "added"
    assert len(alerts) == 2  # the assignment, then the family's message
    notes = primero.cases[str(primero_id)]["notes_section"]
    assert [n["note_text"] for n in notes][1:] == ["Mon fils est revenu a la maison"]


def test_a_note_whose_job_was_lost_is_added_by_the_sweep(app, providers, primero):
    case_id, primero_id = _handed_over(app)
    rt = app.extensions["relais"]
    with rt.unit_of_work() as session:
        message = record_family_message(session, case_id, channel="sms", body="Merci", source_key="sms:lost-job")
        session.get(CaseEvent, message.event_id).at = utcnow() - timedelta(hours=1)
    run_once(rt)
    drain(rt.queue, runtime=rt)
    assert [n["note_text"] for n in primero.cases[str(primero_id)]["notes_section"]][1:] == ["Merci"]
    run_once(rt)
    drain(rt.queue, runtime=rt)
    assert len(primero.cases[str(primero_id)]["notes_section"]) == 2


def test_an_unreadable_mapping_never_loses_the_familys_message(app, providers, mapping):
    case_id, _primero_id = _handed_over(app)
    mapping.write_text("{ not json")
    sms = Phone(app, providers, "sms")
    sms.send("MESSAGE")
    sms.send("Il est malade")
    with app.extensions["relais"].unit_of_work() as session:
        assert session.scalars(select(CaseEvent.body).where(CaseEvent.kind == "family_message")).all() == [
            "Il est malade"]
        assert session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == "+22376000009")).all()


def test_an_on_report_organisation_is_offered_no_decision(sqlite_url, redis_url, providers, primero, mapping):
    flask_app = _app(sqlite_url, redis_url, providers, primero, mapping, handoff="on_report")
    try:
        rt = flask_app.extensions["relais"]
        with rt.unit_of_work() as session:
            report = make_report(session)
            organisation = session.get(Report, report.id).organisation
            supervisor = make_user(session, organisation, role="supervisor", email="sup@example.org")
            worker = make_user(session, organisation, role="caseworker")
            supervisor_email, worker_id = supervisor.email, worker.id
        client = flask_app.test_client()
        page = "/login"
        client.post(page, data={"email": supervisor_email, "password": "correct horse battery",
                                "csrf_token": csrf_from(client.get(page).get_data(as_text=True))})
        html = client.get(f"/reports/{report.id}").get_data(as_text=True)
        assert "trie ses signalements dans CPIMS+" in html and 'name="assigned_to_id"' not in html
        response = client.post(f"/reports/{report.id}/accept", data={
            "csrf_token": csrf_from(html), "risk_level": "high", "assigned_to_id": str(worker_id)})
        assert response.status_code == 409 and "décidez-y" in response.get_data(as_text=True)
        with rt.unit_of_work() as session:
            assert session.get(Report, report.id).status == "new"
    finally:
        flask_app.extensions["relais"].close()
