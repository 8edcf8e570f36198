"""Tracing and reunification, on both databases: the organisation's tracing requests proposed for a separated
child by score, confirmed, the family link verified (the person who asked told once, by SMS with the reference
only, and linked to the case), the reunification dated with a visit two weeks later."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.base import utcnow
from casecore.cases import tracing
from casecore.cases.models import CaseContact
from casecore.cases.record_models import TraceMatch
from casecore.cases.registration import RegistrationEntry, record_registration
from casecore.deadlines.models import CaseDeadline
from casecore.errors import Refused
from casecore.messaging.models import OutboundMessage
from casecore.reports.models import Report
from tests.factories import as_staff, make_case, make_locations, make_organisation, make_report, make_user

MOTHER = "+22376001234"


def news(language, reference):
    return f"[{language}] news {reference}"


@pytest.fixture
def separated(any_db_runtime):
    today = utcnow().date()
    with any_db_runtime.unit_of_work() as session:
        org, other = make_organisation(session), make_organisation(session)
        make_locations(session)
        worker = make_user(session, org, role="caseworker")
        case = make_case(session, make_report(session, organisation_slug=org.slug, concern="separated",
                                              child_sex="female", location_code="ML090101"),
                         assigned_to_id=worker.id)
        staff = as_staff(worker)
        record_registration(session, staff, case.id, RegistrationEntry(
            names={"name_first": "Mariam", "name_last": "Coulibaly"}, sex="female", age=9,
            protection_status="separated", location_code="ML090101"), today)
        asked = make_report(session, organisation_slug=org.slug, kind="tracing", child_sex="female",
                            child_age_band="6_11", location_code="ML090102", reporter_phone=MOTHER,
                            description="Ma fille Mariam a disparu au marché", may_contact=True, consent_to_share=True)
        boy = make_report(session, organisation_slug=org.slug, kind="tracing", child_sex="male",
                          child_age_band="6_11")
        # Alike, but found a duplicate: no longer looked for.
        duplicate = make_report(session, organisation_slug=org.slug, kind="tracing", child_sex="female",
                                child_age_band="6_11", description="Mariam")
        session.get(Report, duplicate.id).status = "duplicate"
        # Alike, but opened into another team's case the worker may not see.
        hidden = make_report(session, organisation_slug=org.slug, kind="tracing", child_sex="female",
                             child_age_band="6_11", description="Mariam")
        make_case(session, hidden, assigned_to_id=make_user(session, org, role="caseworker").id)
        elsewhere = make_report(session, organisation_slug=other.slug, kind="tracing", child_sex="female",
                                child_age_band="6_11")
        return any_db_runtime, case.id, staff, asked.id, {boy.id, elsewhere.id, duplicate.id, hidden.id}, today


def test_a_request_is_proposed_confirmed_verified_and_the_child_reunified(separated):
    rt, case_id, staff, asked_id, not_proposed, today = separated
    with rt.unit_of_work() as session:
        assert tracing.propose_matches(session, staff, case_id, today) == 1
        assert tracing.propose_matches(session, staff, case_id, today) == 0  # not proposed twice
    with rt.unit_of_work() as session:
        [match] = tracing.tracing_of(session, case_id)[1]
        assert match.score == 2 + 2 + 2 + 3 and match.reasons == ["sex", "age", "same_cercle", "name"]
        assert not {m.report_id for m in session.scalars(select(TraceMatch))} & not_proposed
        with pytest.raises(Refused):
            tracing.verify_link(session, staff, case_id, match.id, verified_on=today, how="x", today=today,
                                news_text=news, backend="console")
    with rt.unit_of_work() as session:
        tracing.decide_match(session, staff, case_id, match.id, confirm=True)
        [sent] = tracing.verify_link(session, staff, case_id, match.id, verified_on=today,
                                     how="La mère décrit la cicatrice, l'enfant la reconnaît", today=today,
                                     news_text=news, backend="console", default_region="ML")
    with rt.unit_of_work() as session:
        message = session.get(OutboundMessage, sent)
        reference = session.scalar(select(TraceMatch.report_id))
        assert message.to_phone == MOTHER and message.body == f"[fr] news {session.get(Report, reference).reference}"
        assert session.scalar(select(CaseContact.phone).where(CaseContact.case_id == case_id)) == MOTHER
        # Verified again (a correction): no second SMS.
        assert tracing.verify_link(session, staff, case_id, match.id, verified_on=today, how="Corrigé",
                                   today=today, news_text=news, backend="console") == []
        tracing.record_reunification(session, staff, case_id, match.id, reunified_on=today, today=today)
    with rt.unit_of_work() as session:
        [match] = tracing.tracing_of(session, case_id)[1]
        assert match.reunified_on == today and match.news_sent
        visit = session.scalar(select(CaseDeadline.due_at).where(CaseDeadline.case_id == case_id,
                                                                 CaseDeadline.kind == "visit",
                                                                 CaseDeadline.met_at.is_(None)))
        assert visit.date() == today + timedelta(days=14)


def test_tracing_actions_are_recorded_with_their_outcome(separated):
    rt, case_id, staff, _, _, today = separated
    with rt.unit_of_work() as session:
        tracing.record_tracing_action(session, staff, case_id, done_on=today, location_code="ML020101",
                                      address="Gare routière", contacted="Chef de quartier",
                                      action="Affichage de la photo", outcome="lead", today=today)
        with pytest.raises(Refused) as refused:
            tracing.record_tracing_action(session, staff, case_id, done_on=today + timedelta(days=1),
                                          location_code=None, address=None, contacted=None, action="x",
                                          outcome="lead", today=today)
        assert refused.value.code == "date_in_future"
    with rt.unit_of_work() as session:
        [action] = tracing.tracing_of(session, case_id)[0]
        assert (action.outcome, action.contacted) == ("lead", "Chef de quartier")


def test_the_news_is_one_sms_in_every_language():
    from casecore.messaging.sms_length import measure_sms
    from workers.plans import tracing_news
    for language in ("fr", "en", "bm"):
        assert measure_sms(tracing_news(language, "RLS-000123")).segments == 1, language
