"""The feedback page and its CSV (/feedback): every staff role reads aggregates, a case worker never one family's
answer, focal points read the comments (audited); a referral done sends the survey, and a USSD answer lands in
the service's row."""
from __future__ import annotations

import itertools
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases import referrals
from casecore.cases.models import CaseConsent, FeedbackRequest, Referral
from casecore.directory import services
from casecore.directory.services import ServiceInput
from casecore.feedback import figures as ff
from casecore.feedback.answers import FeedbackDraft, link_feedback, record_feedback
from casecore.feedback.models import Feedback
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Organisation
from dialogs.community import main_menu_token
from tests.factories import as_staff, make_case, make_receiving_service, make_user
from tests.integration.feedback.test_feedback_figures import SURVEYS
from tests.web.conftest import assert_in_web_catalogues, csrf_from
from tests.web.test_case_page import client_for

FAMILY = "+22376000100"
COMMENT = "Le travailleur social ne m'a jamais rappelé"
_sessions = itertools.count(1)


@pytest.fixture
def world(app, uow):
    """The receiving organisation ("demo") with one person of each role, a case of the case worker's linked to the
    family's number, a clinic in its directory and consent to share."""
    with uow() as session:
        org = make_receiving_service(session)
        people = {role: make_user(session, org, role=role, language="en")
                  for role in ("supervisor", "caseworker", "admin", "focal_point")}
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=people["caseworker"].id,
                         contact_phones=[FAMILY])
        clinic = services.create_service(session, org.id, ServiceInput("Clinique Sud", "health"), user_id=None)
        session.add(CaseConsent(case_id=case.id, purpose="sharing_providers", given=True, given_by="caregiver",
                                recorded_by_id=people["caseworker"].id, recorded_at=utcnow()))
        return {"org_id": org.id, "case_id": case.id, "clinic_id": clinic.id,
                **{role: (user.email, as_staff(user)) for role, user in people.items()}}


def _one_family_rates_1_with_a_comment(uow, world, period=None):
    """The answer, received in `period` (the last ended quarter unless told)."""
    period = period or ff.default_quarter()
    with uow() as session:
        link = link_feedback(session, FAMILY)
        record_feedback(session, FeedbackDraft(world["org_id"], "sms", "sms:one-family", 1, COMMENT, "fr",
                                               case_id=link.case_id, about=link.about))
        session.execute(update(Feedback).values(received_at=period.since + timedelta(days=3)))


def _audited(uow, user_id) -> list[str]:
    with uow() as session:
        return list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.user_id == user_id, AuditEvent.action.like("feedback.%")).order_by(AuditEvent.at)))


@pytest.mark.parametrize("role", ["supervisor", "caseworker", "admin", "focal_point"])
def test_every_staff_role_reads_the_page_from_the_menu(app, world, role):
    client = client_for(app, world[role][0])
    response = client.get("/feedback")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/feedback" aria-current="page"' in html
    assert ("Your cases" in html) == (role == "caseworker")
    # The quarter in progress is offered "so far", except to case workers; the last ended one is chosen.
    current, last = ff.quarter_of(utcnow()), ff.default_quarter()
    assert (f"{current.code} (so far)" in html) == (role != "caseworker")
    assert f'<option value="{last.code}" selected>{last.code}</option>' in html
    response = client.get("/feedback.csv")
    assert response.status_code == 200 and f"feedback-{last.code}.csv" in response.headers["Content-Disposition"]


def test_a_case_worker_never_reads_one_familys_answer_on_the_page_or_in_the_csv(app, world, uow):
    _one_family_rates_1_with_a_comment(uow, world)
    client = client_for(app, world["caseworker"][0])
    html = client.get(f"/feedback?quarter={ff.default_quarter().code}").get_data(as_text=True)
    assert COMMENT not in html and "rappel" not in html
    assert "fewer than 5" in html
    # Nothing to read the rating from: no average, no share, no count by rating.
    assert "1.0" not in html and "0%" not in html
    assert html.count("<td>–</td>") >= 7
    csv = client.get("/feedback.csv").get_data(as_text=True)
    assert COMMENT not in csv and "rappel" not in csv
    lines = csv.splitlines()
    assert lines[0].startswith("scope,group,service")
    assert "organisation,all,,,all,,<5,,,,,,," in lines
    assert "your_cases,all,,,all,,<5,,,,,,," in lines
    assert all(",1.0," not in line for line in lines)
    assert _audited(uow, world["caseworker"][1].id) == ["feedback.viewed", "feedback.exported"]


def test_a_focal_point_reads_the_comments_and_that_is_audited(app, world, uow):
    current = ff.quarter_of(utcnow())
    _one_family_rates_1_with_a_comment(uow, world, current)
    client = client_for(app, world["focal_point"][0])
    assert "rappel" not in client.get("/feedback").get_data(as_text=True)  # the last ended quarter: none
    html = client.get(f"/feedback?quarter={current.code}").get_data(as_text=True)
    assert COMMENT.replace("'", "&#39;") in html and "The case" in html and "not over" in html
    assert _audited(uow, world["focal_point"][1].id) == [
        "feedback.viewed", "feedback.viewed", "feedback.comments_viewed"]
    assert COMMENT not in client.get(f"/feedback.csv?quarter={current.code}").get_data(as_text=True)
    supervisor = client_for(app, world["supervisor"][0])
    assert "rappel" not in supervisor.get(f"/feedback?quarter={current.code}").get_data(as_text=True)


def test_a_quarter_not_offered_is_a_clear_400_in_the_readers_language(app, world, uow):
    client = client_for(app, world["supervisor"][0])
    for query in ("days=90", "days=30", "quarter=2025-Q5", "quarter=x", "quarter=2999-Q1", "quarter=1999-Q1",
                  "quarter=0000-Q1", "quarter=9999-Q4", "quarter=%D9%A2%D9%A0%D9%A2%D9%A5-Q1"):
        response = client.get(f"/feedback?{query}")
        assert response.status_code == 400, query
        assert "Reason: " in response.get_data(as_text=True)
        assert client.get(f"/feedback.csv?{query}").status_code == 400
    with uow() as session:
        org = session.get(Organisation, world["org_id"])
        french = make_user(session, org, role="supervisor", language="fr").email
    html = client_for(app, french).get("/feedback?quarter=2025-Q5").get_data(as_text=True)
    assert "écrivez le trimestre sous la forme année-trimestre" in html
    assert app.test_client().get("/feedback").status_code in (302, 401)


def test_only_a_case_worker_is_refused_the_quarter_in_progress(app, world):
    current = ff.quarter_of(utcnow()).code
    worker = client_for(app, world["caseworker"][0])
    for path in ("/feedback", "/feedback.csv"):
        response = worker.get(f"{path}?quarter={current}")
        assert response.status_code == 400
        assert "case workers see a quarter once it has ended" in response.get_data(as_text=True)
    for role in ("supervisor", "admin", "focal_point"):
        response = client_for(app, world[role][0]).get(f"/feedback?quarter={current}")
        assert response.status_code == 200 and "which is not over" in response.get_data(as_text=True)
        csv = client_for(app, world[role][0]).get(f"/feedback.csv?quarter={current}")
        assert f"feedback-{current}-so-far.csv" in csv.headers["Content-Disposition"]


def test_a_referral_done_on_the_case_page_queues_the_service_survey_once(app, world, uow):
    case_page = f"/cases/{world['case_id']}/referrals"
    client = client_for(app, world["caseworker"][0])

    def post(path, data):
        token = csrf_from(client.get(case_page).get_data(as_text=True))
        return client.post(path, data={"csrf_token": token, **data})

    assert post(case_page, {"service_id": str(world["clinic_id"])}).status_code == 302
    with uow() as session:
        referral_id = session.scalars(select(Referral.id)).one()
    for status in ("accepted", "done"):
        assert post(f"{case_page}/{referral_id}", {"status": status}).status_code == 302
    assert post(f"{case_page}/{referral_id}", {"counter_referral_notes": "Vu"}).status_code == 302
    with uow() as session:
        [survey] = session.scalars(select(OutboundMessage).where(
            OutboundMessage.purpose_key.like("service-survey:%"))).all()
        asked = session.scalars(select(FeedbackRequest)).one()
    assert survey.to_phone == FAMILY and "Clinique" not in survey.body
    assert (asked.kind, asked.referral_id) == ("service", referral_id)


def _ussd(client, session_id, inputs):
    body = (f"sessionId={session_id}&serviceCode=%2A384%23&phoneNumber={quote(FAMILY)}&networkCode=99999"
            f"&text={quote('*'.join(inputs), safe='')}")
    response = client.post("/webhooks/africastalking/ussd", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_feedback_by_ussd_after_a_service_lands_in_the_services_row(app, world, uow):
    worker = world["caseworker"][1]
    with uow() as session:
        referral_id = referrals.make_referral(session, worker, world["case_id"], world["clinic_id"])
    for status in ("accepted", "done"):
        with uow() as session:
            referrals.update_referral(session, worker, world["case_id"], referral_id, status=status,
                                      surveys=SURVEYS)
    client, session_id, inputs = app.test_client(), f"ATUid_feedback_{next(_sessions)}", []
    first = _ussd(client, session_id, inputs)
    if "Langue / Language" in first:
        inputs.append("1")
    # The feedback menu, "very satisfied", then no comment.
    for typed in (main_menu_token("feedback"), "1", "1"):
        inputs.append(typed)
        last = _ussd(client, session_id, inputs)
    assert last.startswith("END ")
    with uow() as session:
        feedback = session.scalars(select(Feedback)).one()
        assert (feedback.rating, feedback.channel, feedback.about, feedback.referral_id) == (
            5, "ussd", "service", referral_id)
        figures = ff.feedback_figures(session, world["supervisor"][1], ff.quarter_of(utcnow()), min_group=1)
    [row] = figures.services
    assert (row.provider_name, row.overall.answers, row.overall.average) == ("Clinique Sud", 1, 5.0)
    assert dict(row.by_channel)["ussd"].answers == 1
    # On the page (minimum 5), the one answer shows as fewer than 5 in the clinic's row.
    current = ff.quarter_of(utcnow()).code
    html = client_for(app, world["supervisor"][0]).get(f"/feedback?quarter={current}").get_data(as_text=True)
    assert "Clinique Sud (Health care)" in html and "fewer than 5" in html


def test_every_feedback_page_string_is_in_both_web_catalogues():
    assert_in_web_catalogues([("app/feedback/**.py", "python"), ("app/web/words.py", "python"),
                              ("app/templates/feedback/**.html", "jinja2")])
