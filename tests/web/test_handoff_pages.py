"""The hand-off in the web view and at the webhook: an acceptance queues it in the same transaction, the report
page and the queue show where it stands, administrators send a failed one again and resume a paused queue, and
Primero's webhooks update the case, refused without the key and harmless when repeated or late."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from casecore.base import utcnow
from casecore.handoff.follow import handoffs_to_follow
from casecore.handoff.models import Handoff
from casecore.handoff.queue import pause
from casecore.people.models import Team, User
from casecore.reports.models import Report
from tests.conftest import make_settings
from tests.factories import make_report, make_user
from tests.fakes.primero import PASSWORD, USERNAME
from tests.queues import queued_job_ids
from tests.web.conftest import assert_in_web_catalogues, csrf_from
from workers.handoff import send_handoff

KEY = "hook-key"


@pytest.fixture
def app(sqlite_url, redis_url, primero, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"users": {"awa@example.org": "cp_worker"}}))
    flask_app = create_app(make_settings(
        DATABASE_URL=sqlite_url, REDIS_URL=redis_url, PRIMERO_URL=primero.url, PRIMERO_USERNAME=USERNAME,
        PRIMERO_PASSWORD=PASSWORD, PRIMERO_HANDOFF="on_accept", PRIMERO_WEBHOOK_KEY=KEY,
        PRIMERO_PUBLIC_URL="https://cpims.example.org/", PRIMERO_MAPPING=str(mapping), PROVIDER_TIMEOUT=1.0))
    yield flask_app
    flask_app.extensions["relais"].close()


@pytest.fixture
def people(uow, staff):
    """The staff fixture with its case worker in the supervisor's team, mapped to cp_worker, and an admin."""
    with uow() as session:
        org = session.get(User, staff["supervisor_id"]).organisation
        team = Team(organisation_id=org.id, name="Nord", supervisor_id=staff["supervisor_id"])
        session.add(team)
        session.flush()
        worker = make_user(session, org, role="caseworker", email="awa@example.org")
        worker.team_id = team.id
        admin = make_user(session, org, role="admin")
        return {**staff, "worker_id": worker.id, "admin": admin.email}


def _accept(client, uow, people, login) -> Handoff:
    login(people["supervisor"])
    with uow() as session:
        report = make_report(session, organisation_slug=people["org_slug"])
    page = f"/reports/{report.id}"
    token = csrf_from(client.get(page).get_data(as_text=True))
    response = client.post(f"{page}/accept", data={"csrf_token": token, "risk_level": "high",
                                                   "assigned_to_id": str(people["worker_id"])})
    assert response.status_code == 302
    with uow() as session:
        row = session.scalar(select(Handoff).where(Handoff.report_id == report.id))
        session.expunge(row)
    return row


def _hook(client, body, key=KEY):
    headers = {"x-api-key": key} if key is not None else {}
    return client.post("/webhooks/primero", data=json.dumps(body), headers=headers,
                       content_type="application/json")


def test_accepting_queues_the_hand_off_with_the_decision_and_enqueues_its_job(client, uow, people, login, app):
    row = _accept(client, uow, people, login)
    assert (row.status, row.trigger) == ("waiting", "on_accept") and row.case_id is not None
    assert f"handoff-{row.id}" in queued_job_ids(app.extensions["relais"].queue)


def test_the_report_page_shows_the_primero_case_with_a_link(client, uow, people, login, app, primero):
    row = _accept(client, uow, people, login)
    assert send_handoff(app.extensions["relais"], str(row.id)) == "sent"
    html = client.get(f"/reports/{row.report_id}").get_data(as_text=True)
    stored = primero.cases[str(row.primero_id)]
    assert f'href="https://cpims.example.org/v2/cases/{row.primero_id}"' in html
    assert stored["case_id_display"] in html and "cp_worker" in html and "Dans CPIMS+" in html


def test_the_queue_shows_a_failure_and_an_administrator_sends_it_again(client, uow, people, login, app, primero):
    primero.instance.lookups["lookup-risk-level"] = ["eleve"]
    row = _accept(client, uow, people, login)
    assert send_handoff(app.extensions["relais"], str(row.id)) == "failed"
    html = client.get("/handoffs").get_data(as_text=True)  # the supervisor sees, cannot act
    assert "/risk_level" in html and "Renvoyer" not in html and "CPIMS+ <span" in html
    login(people["admin"])
    html = client.get("/handoffs?status=failed").get_data(as_text=True)
    assert "/risk_level" in html and "Échec" in html
    response = client.post(f"/handoffs/{row.id}/retry", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    with uow() as session:
        assert session.get(Handoff, row.id).status == "waiting"


def test_a_paused_queue_is_shown_and_resumed_by_an_administrator(client, uow, people, login):
    with uow() as session:
        pause(session, "HTTP 401: Invalid User name or password.")
    login(people["admin"])
    html = client.get("/handoffs").get_data(as_text=True)
    assert "Les transferts sont arrêtés" in html and "Invalid User name" in html
    client.post("/handoffs/resume", data={"csrf_token": csrf_from(html)})
    assert "Les transferts sont arrêtés" not in client.get("/handoffs").get_data(as_text=True)


def test_the_queue_is_not_for_case_workers(client, uow, people, login):
    login(people["caseworker"])
    assert client.get("/handoffs").status_code == 403
    token = csrf_from(client.get("/cases").get_data(as_text=True))
    assert client.post("/handoffs/resume", data={"csrf_token": token}).status_code == 403


def test_an_administrator_sees_no_report_reference_nor_primero_case(client, uow, people, login, app, primero):
    row = _accept(client, uow, people, login)
    send_handoff(app.extensions["relais"], str(row.id))
    with uow() as session:
        reference = session.get(Report, row.report_id).reference
    login(people["admin"])
    html = client.get("/handoffs").get_data(as_text=True)
    assert "Dans CPIMS+" in html and reference not in html and str(row.primero_id) not in html
    assert primero.cases[str(row.primero_id)]["case_id_display"] not in html


def test_a_supervisor_sees_only_the_hand_offs_of_reports_they_may_read(client, uow, people, login, app):
    row = _accept(client, uow, people, login)
    with uow() as session:
        reference = session.get(Report, row.report_id).reference
        other = make_user(session, session.get(User, people["supervisor_id"]).organisation, role="supervisor",
                          email="other-team@example.org")
        other_email = other.email
    assert reference in client.get("/handoffs").get_data(as_text=True)
    login(other_email)
    assert reference not in client.get("/handoffs").get_data(as_text=True)  # another team's case


def test_sending_again_a_hand_off_that_does_not_exist_is_a_404(client, people, login):
    login(people["admin"])
    token = csrf_from(client.get("/handoffs").get_data(as_text=True))
    assert client.post("/handoffs/not-an-id/retry", data={"csrf_token": token}).status_code == 404


def test_the_same_acceptance_sent_twice_hands_over_once(client, uow, people, login):
    login(people["supervisor"])
    with uow() as session:
        report = make_report(session, organisation_slug=people["org_slug"])
    page = f"/reports/{report.id}"
    form = {"csrf_token": csrf_from(client.get(page).get_data(as_text=True)), "risk_level": "high",
            "assigned_to_id": str(people["worker_id"])}
    assert client.post(f"{page}/accept", data=form).status_code == 302
    assert client.post(f"{page}/accept", data=form).status_code == 409
    with uow() as session:
        assert len(session.scalars(select(Handoff).where(Handoff.report_id == report.id)).all()) == 1


def test_a_bad_status_filter_is_a_400(client, people, login):
    login(people["admin"])
    assert client.get("/handoffs?status=nope").status_code == 400


def test_webhooks_without_the_key_are_refused(client, people):
    assert _hook(client, {"data": {"record_id": "x"}}, key=None).status_code == 403
    assert _hook(client, {"data": {"record_id": "x"}}, key="wrong").status_code == 403


@pytest.mark.parametrize("body", [[], {"data": "x"}, {"data": {"record_id": "not-a-uuid"}}, {"nothing": 1}])
def test_a_malformed_webhook_is_a_400(client, people, body):
    response = _hook(client, body)
    assert response.status_code == 400 and "record_id" in response.get_data(as_text=True)


def test_a_webhook_updates_the_case_and_older_or_repeated_ones_change_nothing(client, uow, people, login, app,
                                                                               primero):
    row = _accept(client, uow, people, login)
    send_handoff(app.extensions["relais"], str(row.id))
    case_id = str(row.primero_id)
    primero.reassign(case_id, "cp_supervisor")
    newer = primero.snapshot(case_id)
    primero.reassign(case_id, "cp_worker")
    newest = primero.snapshot(case_id)
    assert _hook(client, newest).status_code == 200
    assert _hook(client, newer).status_code == 200  # arrives late: changes nothing
    assert _hook(client, newest).status_code == 200  # twice: changes nothing
    with uow() as session:
        assert session.get(Handoff, row.id).owned_by == "cp_worker"


def test_a_webhook_about_a_case_relais_did_not_hand_over_is_acknowledged(client, people, primero):
    other = primero.add_case(module_id="primeromodule-cp", sex="male")
    response = _hook(client, primero.snapshot(other))
    assert response.status_code == 200 and "not a case Relais handed over" in response.get_data(as_text=True)


def test_the_handoff_words_are_in_the_catalogues():
    assert_in_web_catalogues([("app/handoff/**.py", "python"), ("app/templates/handoff/**.html", "jinja2"),
                              ("casecore/handoff/payload.py", "python"), ("workers/handoff.py", "python")])


def test_a_closed_case_is_never_polled_again_until_reopened(uow, app, client, people, login, primero):
    row = _accept(client, uow, people, login)
    send_handoff(app.extensions["relais"], str(row.id))
    primero.close_case(str(row.primero_id))
    assert _hook(client, primero.snapshot(str(row.primero_id))).status_code == 200
    with uow() as session:
        assert handoffs_to_follow(session, utcnow() + timedelta(days=1)) == []
    primero.reopen_case(str(row.primero_id))
    assert _hook(client, primero.snapshot(str(row.primero_id))).status_code == 200
    with uow() as session:
        assert handoffs_to_follow(session, utcnow() + timedelta(days=1)) == [row.id]
