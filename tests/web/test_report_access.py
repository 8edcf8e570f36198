"""A report that became a case is that case's content: only those who may see the case read it (and its files)."""
from __future__ import annotations

from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.cases import transfers
from casecore.cases.models import Case
from casecore.deadlines.timelines import Timelines
from casecore.people.models import Team
from tests.factories import as_staff, make_case, make_organisation, make_report, make_user
from tests.web.conftest import PASSWORD, csrf_from


def client_for(app, email):
    """A test client logged in as email, through the real form."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def test_only_supervisors_who_see_the_case_read_its_report(app, uow):
    with uow() as session:
        org, elsewhere = make_organisation(session), make_organisation(session)
        lead, other_lead = make_user(session, org), make_user(session, org)
        receiver = make_user(session, elsewhere)
        team = Team(organisation_id=org.id, name="A", supervisor_id=lead.id)
        session.add_all([team, Team(organisation_id=org.id, name="B", supervisor_id=other_lead.id)])
        session.flush()
        case = make_case(session, organisation_slug=org.slug)
        case.team_id = team.id
        new_report = make_report(session, organisation_slug=org.slug)
        people = {"lead": lead.email, "other_lead": other_lead.email}
        lead_staff, receiver_staff = as_staff(lead), as_staff(receiver)
        case_report, case_id, elsewhere_id = case.report_id, case.id, elsewhere.id

    lead_client, other_client = client_for(app, people["lead"]), client_for(app, people["other_lead"])
    assert lead_client.get(f"/reports/{case_report}").status_code == 200
    assert other_client.get(f"/reports/{case_report}").status_code == 404  # team A's case
    assert other_client.get(f"/reports/{case_report}/media/{case_report}").status_code == 404
    for client in (lead_client, other_client):
        assert client.get(f"/reports/{new_report.id}").status_code == 200  # new reports: any supervisor

    with uow() as session:
        asked = transfers.request_transfer(session, lead_staff, case_id, elsewhere_id, "The family moved.",
                                           sms_backend="console")
    with uow() as session:
        transfers.decide_transfer(session, receiver_staff, asked.transfer_id, True, timelines=Timelines(),
                                  sms_backend="console")
        assert session.get(Case, case_id).organisation_id == elsewhere_id
    assert lead_client.get(f"/reports/{case_report}").status_code == 404  # transferred away


def test_opening_the_triage_queue_is_audited(app, uow):
    with uow() as session:
        lead = make_user(session, make_organisation(session))
        email, user_id = lead.email, lead.id
    assert client_for(app, email).get("/triage").status_code == 200
    with uow() as session:
        assert "triage.viewed" in session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == user_id)).all()
