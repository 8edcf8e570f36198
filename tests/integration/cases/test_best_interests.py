"""Best interests, on both databases: an assessment flagged as needed for a separated child until done, a panel
determination of at least three different people, signed off by a supervisor who did not record it."""
from __future__ import annotations

from datetime import date

import pytest

from casecore.cases import best_interests as bi
from casecore.cases.registration import RegistrationEntry, record_registration
from casecore.errors import NotAllowed, Refused
from casecore.people.models import Team
from tests.factories import as_staff, make_case, make_organisation, make_user

TODAY = date(2026, 12, 6)
PANEL = ["Awa Diarra, superviseure", "Moussa Koné, travailleur social", "Dr Sanogo, centre de santé"]


@pytest.fixture
def case_of(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        lead = make_user(session, org, role="supervisor")
        team = Team(organisation_id=org.id, name="Nord", supervisor_id=lead.id)
        session.add(team)
        session.flush()
        worker = make_user(session, org, role="caseworker")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        case.team_id = team.id
        return any_db_runtime, case.id, as_staff(worker), as_staff(lead)


def test_a_separated_child_needs_an_assessment_until_one_is_recorded(case_of):
    rt, case_id, worker, _ = case_of
    with rt.unit_of_work() as session:
        assert not bi.best_interests_of(session, case_id).assessment_needed
        record_registration(session, worker, case_id, RegistrationEntry(protection_status="separated"), TODAY)
    with rt.unit_of_work() as session:
        assert bi.best_interests_of(session, case_id).assessment_needed
        bi.record_assessment(session, worker, case_id, done_on=TODAY, reason="unaccompanied_separated",
                             findings="Vit chez une voisine", child_views="Veut retrouver sa mère",
                             recommendation="Recherche familiale", today=TODAY)
    with rt.unit_of_work() as session:
        found = bi.best_interests_of(session, case_id)
    assert not found.assessment_needed and found.assessments[0].child_views == "Veut retrouver sa mère"


def test_a_determination_needs_three_people_and_a_supervisors_sign_off(case_of):
    rt, case_id, worker, lead = case_of
    common = dict(held_on=TODAY, evidence="Rapport de recherche", child_views="D'accord pour rentrer",
                  decision="Réunification avec la mère", reasons="Lien vérifié, mère apte", dissent=None,
                  follow_up="Visite à 2 semaines", today=TODAY)
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        bi.record_determination(session, worker, case_id, panel=[PANEL[0], PANEL[0].upper(), PANEL[1], " "],
                                **common)
    assert refused.value.code == "bid_panel"
    with rt.unit_of_work() as session:
        bid_id = bi.record_determination(session, worker, case_id, panel=PANEL, **common)
    with pytest.raises(NotAllowed), rt.unit_of_work() as session:
        bi.sign_off(session, worker, case_id, bid_id)
    with rt.unit_of_work() as session:
        bi.sign_off(session, lead, case_id, bid_id)
    with rt.unit_of_work() as session:
        [bid] = bi.best_interests_of(session, case_id).determinations
        assert bid.signed_off_by_id == lead.id and bid.panel == PANEL
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        bi.sign_off(session, lead, case_id, bid_id)
    assert refused.value.code == "already_decided"


@pytest.mark.parametrize("field, value, code", [("child_views", "", "child_views_required"),
                                                ("done_on", None, "bi_date_required"),
                                                ("done_on", date(2027, 1, 1), "date_in_future"),
                                                ("reason", "because", "bia_reason")])
def test_an_incomplete_assessment_is_refused(case_of, field, value, code):
    rt, case_id, worker, _ = case_of
    given = dict(done_on=TODAY, reason="heightened_risk", findings="x", child_views="y", recommendation="z",
                 today=TODAY)
    with pytest.raises(Refused) as refused, rt.unit_of_work() as session:
        bi.record_assessment(session, worker, case_id, **{**given, field: value})
    assert refused.value.code == code
