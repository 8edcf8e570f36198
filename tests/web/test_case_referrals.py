"""Referral and transfer pages: consent first, the provider's answers, and who sees a transferred case when."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from casecore.base import utcnow
from casecore.cases.models import Case, CaseConsent, CaseTransfer, Referral
from casecore.directory import services
from casecore.directory.services import ServiceInput
from casecore.people.models import Organisation
from tests.factories import make_case, make_organisation, make_user
from tests.web.conftest import csrf_from

REASON = "La famille a déménagé à Kati, hors de notre zone."


@pytest.fixture
def world(staff, uow):
    """A high-risk case assigned to the staff fixture's case worker, a service, and a receiving organisation."""
    with uow() as session:
        org = session.get(Organisation, staff["org_id"])
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=staff["caseworker_id"])
        case.risk_level = "high"
        clinic = services.create_service(session, org.id, ServiceInput("Clinique Sud", "health"), user_id=None)
        other_worker = make_user(session, org, role="caseworker")
        receiving = make_organisation(session, name="ONG Kati")
        receiver = make_user(session, receiving, language="fr")
        receiver_worker = make_user(session, receiving, role="caseworker")
        return dict(staff, case_id=case.id, reference=case.reference, concern="Violence, coups",
                    clinic_id=clinic.id, other_worker=other_worker.email, receiving_id=receiving.id,
                    receiver=receiver.email, receiver_worker=receiver_worker.email)


def _consent(uow, world, purpose="sharing_providers"):
    with uow() as session:
        session.add(CaseConsent(case_id=world["case_id"], purpose=purpose, given=True, given_by="caregiver",
                                recorded_by_id=world["caseworker_id"], recorded_at=utcnow()))


def _page(world):
    return f"/cases/{world['case_id']}/referrals"


def _post(client, path, data, token_from):
    token = csrf_from(client.get(token_from).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_without_consent_the_referral_is_refused_with_a_clear_reason(client, world, login, uow):
    login(world["supervisor"])
    html = client.get(_page(world)).get_data(as_text=True)
    assert "Aucun consentement au partage avec les prestataires" in html and "Envoyer l&#39;orientation" not in html
    response = _post(client, _page(world), {"service_id": str(world["clinic_id"])}, _page(world))
    assert response.status_code == 409
    assert ("Non enregistré : aucun consentement au partage avec les prestataires de services n&#39;est enregistré"
            in response.get_data(as_text=True))
    with uow() as session:
        assert session.scalars(select(Referral)).all() == []


def test_a_case_worker_refers_and_records_the_providers_answer(client, world, login, uow):
    _consent(uow, world, purpose="services")
    login(world["caseworker"])
    page = _page(world)
    html = client.get(page).get_data(as_text=True)
    assert "Health care · Clinique Sud · All areas (to check)" in html
    response = _post(client, page, {"service_id": str(world["clinic_id"]), "notes": "Bilan médical",
                                    "next": "https://evil.example/"}, page)
    assert response.status_code == 302 and response.location == f"{page}#referrals-heading"
    with uow() as session:
        referral_id = session.scalar(select(Referral.id))
    answer = f"{page}/{referral_id}"
    response = _post(client, answer, {"status": "accepted", "counter_referral_notes": "Vue lundi.",
                                      "next": f"/cases/{world['case_id']}"}, page)
    assert response.location == f"/cases/{world['case_id']}#referrals-heading"
    html = client.get(page).get_data(as_text=True)
    assert "Accepted by the provider" in html and "Vue lundi." in html and "Bilan médical" in html
    response = _post(client, answer, {"status": "sent"}, page)
    assert response.status_code == 409 and "the referral cannot take this status now" in response.get_data(
        as_text=True)
    response = _post(client, answer, {"status": "", "counter_referral_notes": " "}, page)
    assert response.status_code == 400
    assert _post(client, answer, {"status": "done"}, page).status_code == 302
    with uow() as session:
        assert session.get(Referral, referral_id).status == "done"


def test_people_outside_the_case_get_404_for_its_referrals(client, world, login, uow):
    _consent(uow, world)
    for who in ("other_worker", "receiver"):
        login(world[who])
        assert client.get(_page(world)).status_code == 404
        response = _post(client, _page(world), {"service_id": str(world["clinic_id"])}, "/services")
        assert response.status_code == 404
    with uow() as session:
        assert session.scalars(select(Referral)).all() == []


def test_a_transfer_shows_a_summary_until_accepted_then_the_case_changes_hands(client, world, login, uow):
    case_page = f"/cases/{world['case_id']}"
    login(world["supervisor"])
    response = _post(client, f"{case_page}/transfers", {"to_organisation": str(world["receiving_id"]),
                                                        "reason": REASON, "next": case_page}, _page(world))
    assert response.status_code == 302 and response.location == f"{case_page}#referrals-heading"
    assert "Un transfert vers ONG Kati attend sa réponse" in client.get(_page(world)).get_data(as_text=True)

    login(world["receiver"])
    assert client.get(_page(world)).status_code == 404  # no case content before accepting
    html = client.get("/transfers").get_data(as_text=True)
    assert world["reference"] in html and "Risque élevé" in html and "Organisation" in html
    assert REASON not in html and world["concern"] not in html
    with uow() as session:
        transfer_id = session.scalar(select(CaseTransfer.id))
    response = _post(client, f"/transfers/{transfer_id}", {"decision": "accept"}, "/transfers")
    assert response.status_code == 302
    assert f"Le dossier {world['reference']} appartient maintenant à votre organisation" in client.get(
        "/transfers").get_data(as_text=True)
    assert client.get(_page(world)).status_code == 200

    for sender in ("supervisor", "caseworker"):
        login(world[sender])
        assert client.get(_page(world)).status_code == 404
    login(world["supervisor"])
    html = client.get("/transfers").get_data(as_text=True)
    assert world["reference"] in html and "ONG Kati" in html and "Accepté" in html
    with uow() as session:
        case = session.get(Case, world["case_id"])
        assert (case.organisation_id, case.assigned_to_id, case.status) == (world["receiving_id"], None, "open")


def test_transfer_refusals_are_clear_4xx(client, world, login, uow):
    case_page = f"/cases/{world['case_id']}"
    login(world["supervisor"])
    response = _post(client, f"{case_page}/transfers", {"to_organisation": str(world["org_id"]), "reason": "x"},
                     _page(world))
    assert response.status_code == 400
    assert "un dossier est transféré à une autre organisation, pas à la sienne" in response.get_data(as_text=True)
    response = _post(client, f"{case_page}/transfers", {"to_organisation": str(world["receiving_id"])},
                     _page(world))
    assert response.status_code == 400 and "indiquez la raison du transfert" in response.get_data(as_text=True)
    assert _post(client, "/transfers/not-an-id", {"decision": "accept"}, "/transfers").status_code == 404
    _post(client, f"{case_page}/transfers", {"to_organisation": str(world["receiving_id"]), "reason": "y"},
          _page(world))
    with uow() as session:
        transfer_id = session.scalar(select(CaseTransfer.id))
    # The sender cannot answer its own request; the receiver must say accept or decline.
    assert _post(client, f"/transfers/{transfer_id}", {"decision": "accept"}, "/transfers").status_code == 404
    login(world["receiver"])
    response = _post(client, f"/transfers/{transfer_id}", {"decision": "maybe"}, "/transfers")
    assert response.status_code == 400 and "Choisissez d&#39;accepter ou de refuser" in response.get_data(
        as_text=True)
    assert _post(client, f"/transfers/{transfer_id}", {"decision": "decline"}, "/transfers").status_code == 302
    response = _post(client, f"/transfers/{transfer_id}", {"decision": "accept"}, "/transfers")
    assert response.status_code == 409 and "ce transfert a déjà reçu une réponse" in response.get_data(as_text=True)


def test_case_workers_do_not_ask_for_or_answer_transfers(client, world, login):
    login(world["caseworker"])
    assert "Transfer to another organisation" not in client.get(_page(world)).get_data(as_text=True)
    assert client.get("/transfers").status_code == 403
    response = _post(client, f"/cases/{world['case_id']}/transfers",
                     {"to_organisation": str(world["receiving_id"]), "reason": "x"}, _page(world))
    assert response.status_code == 403
    login(world["receiver_worker"])
    assert client.get("/transfers").status_code == 403


def test_the_case_page_includes_the_referrals_panel(client, world, login, uow):
    _consent(uow, world)
    login(world["supervisor"])
    html = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    assert 'id="referrals-heading"' in html and "Clinique Sud" in html and "Demander le transfert" in html
