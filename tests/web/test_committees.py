"""/committee: supervisors register and deactivate community committee members; nobody else may."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.reports.models import CommitteeMember, Report
from tests.factories import make_locations, make_organisation, make_report, make_user
from tests.web.conftest import csrf_from

MEMBER = "+22376709999"


@pytest.fixture
def supervisor(client, staff, login, uow):
    with uow() as session:
        make_locations(session)
    login(staff["supervisor"])
    return staff


def _register(client, **fields):
    token = csrf_from(client.get("/committee").get_data(as_text=True))
    data = {"name": "Awa Traoré", "phone": MEMBER, "committee": "Comité de Kati", "location_code": "ML020101",
            **fields}
    return client.post("/committee", data={"csrf_token": token, **data})


def test_a_supervisor_registers_a_member_and_sees_them_listed_masked(client, supervisor, uow):
    response = _register(client, phone="76 70 99 99")  # a national number, read in the default region
    assert response.status_code == 302 and response.location.endswith("/committee")
    html = client.get("/committee").get_data(as_text=True)
    assert "Awa Traoré" in html and "Comité de Kati" in html and "Kati" in html
    assert "+223******99" in html and "76709999" not in html
    with uow() as session:
        member = session.scalar(select(CommitteeMember))
        assert (member.phone, member.organisation_id, member.is_active) == (MEMBER, supervisor["org_id"], True)
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "committee_member.registered" in actions and "committee.viewed" in actions


def test_a_members_report_is_marked_from_then_on(client, supervisor, uow):
    _register(client)
    with uow() as session:
        report = make_report(session, organisation_slug=supervisor["org_slug"], reporter_phone=MEMBER,
                             consent_to_share=True)
    with uow() as session:
        assert session.get(Report, report.id).committee_member_id is not None


@pytest.mark.parametrize("fields, status, reason", [
    ({"phone": "123"}, 400, "numéro"),
    ({"name": "  "}, 400, "Le nom du membre est obligatoire"),
    ({"committee": ""}, 400, "Le nom du comité est obligatoire"),
    ({"location_code": "XX99"}, 400, "Lieu inconnu"),
])
def test_bad_input_is_a_form_error(client, supervisor, uow, fields, status, reason):
    response = _register(client, **fields)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and reason in html
    with uow() as session:
        assert session.scalar(select(CommitteeMember.id)) is None


def test_a_number_is_registered_once(client, supervisor):
    _register(client)
    response = _register(client, name="Quelqu'un d'autre")
    assert response.status_code == 409
    assert "Un membre de comité avec ce numéro est déjà enregistré" in response.get_data(as_text=True)


def test_deactivating_a_member_stops_the_mark(client, supervisor, uow):
    _register(client)
    with uow() as session:
        member_id = session.scalar(select(CommitteeMember.id))
    token = csrf_from(client.get("/committee").get_data(as_text=True))
    response = client.post(f"/committee/{member_id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Désactivé" in client.get("/committee").get_data(as_text=True)
    with uow() as session:
        report = make_report(session, organisation_slug=supervisor["org_slug"], reporter_phone=MEMBER,
                             consent_to_share=True)
    with uow() as session:
        assert session.get(Report, report.id).committee_member_id is None
        assert "committee_member.deactivated" in session.scalars(select(AuditEvent.action)).all()


def test_another_organisations_member_cannot_be_deactivated(client, supervisor, uow):
    with uow() as session:
        other = make_organisation(session)
        boss = make_user(session, other, role="supervisor")
        member = CommitteeMember(organisation_id=other.id, name="Moussa Elsewhere", phone=MEMBER,
                                 committee="Y", registered_by_id=boss.id)
        session.add(member)
        session.flush()
        member_id = member.id
    assert "Moussa Elsewhere" not in client.get("/committee").get_data(as_text=True)
    token = csrf_from(client.get("/committee").get_data(as_text=True))
    for path in (f"/committee/{member_id}/deactivate", "/committee/not-an-id/deactivate"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404
    with uow() as session:
        assert session.get(CommitteeMember, member_id).is_active


def test_only_supervisors_manage_committees(client, staff, login, uow):
    login(staff["caseworker"])
    assert client.get("/committee").status_code == 403
    token = csrf_from(client.get("/cases").get_data(as_text=True))
    response = client.post("/committee", data={"csrf_token": token, "name": "A", "phone": MEMBER, "committee": "B"})
    assert response.status_code == 403
    with uow() as session:
        assert session.scalar(select(CommitteeMember.id)) is None


def test_registering_without_the_csrf_token_is_refused(client, supervisor, uow):
    response = client.post("/committee", data={"name": "A", "phone": MEMBER, "committee": "B"})
    assert response.status_code == 400
    with uow() as session:
        assert session.scalar(select(CommitteeMember.id)) is None
