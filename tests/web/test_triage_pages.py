"""The triage pages' case work: time left in the queue, the decision forms, and what each decision does."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.deadlines.timelines import schedule
from casecore.directory.models import Service
from casecore.messaging.models import OutboundMessage
from casecore.people.models import Team, User
from casecore.reports.models import CommitteeMember, Report
from tests.conftest import make_settings
from tests.factories import make_case, make_organisation, make_report, make_user
from tests.web.conftest import csrf_from

MEMBER = "+22376709999"


@pytest.fixture
def app(sqlite_url, redis_url):
    """The app with a caseload limit of 1, so the warning shows with a single open case."""
    flask_app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, CASELOAD_LIMIT=1))
    yield flask_app
    flask_app.extensions["relais"].close()


@pytest.fixture
def team(uow, staff, login):
    """The staff fixture's supervisor leads a team with its case worker (a man speaking fr,en) and a woman
    speaking bm who already has two open cases; the supervisor is logged in."""
    with uow() as session:
        org = session.get(User, staff["supervisor_id"]).organisation
        squad = Team(organisation_id=org.id, name="Équipe Nord", supervisor_id=staff["supervisor_id"])
        session.add(squad)
        session.flush()
        man = session.get(User, staff["caseworker_id"])
        man.team_id, man.sex, man.spoken_languages = squad.id, "male", "fr,en"
        woman = make_user(session, org, role="caseworker", email="mariam@example.org", display_name="Mariam Sidibé")
        woman.team_id, woman.sex, woman.spoken_languages = squad.id, "female", "fr,bm"
        for _ in range(2):
            make_case(session, organisation_slug=org.slug, assigned_to_id=woman.id)
    login(staff["supervisor"])
    return {**staff, "team_id": squad.id, "woman_id": woman.id}


def _report(uow, slug, **overrides):
    with uow() as session:
        return make_report(session, organisation_slug=slug, **overrides)


def _post(client, path, form_page, data):
    token = csrf_from(client.get(form_page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_the_queue_shows_the_time_left_to_assign_and_overdue_in_red(client, team, uow):
    soon = _report(uow, team["org_slug"])
    late = _report(uow, team["org_slug"], danger_now=True)
    with uow() as session:
        schedule(session, "assignment", utcnow() + timedelta(hours=2, minutes=30), report_id=soon.id)
        schedule(session, "assignment", utcnow() - timedelta(minutes=20), report_id=late.id)
    html = client.get("/triage").get_data(as_text=True)
    assert "Temps restant pour attribuer" in html
    assert re.search(r'">2 h (29|30) min</time>', html) and not re.search(r'class="late">2 h', html)
    assert re.search(r'class="late">en retard de (19|20) min</time>', html)


def test_the_queue_marks_reports_from_a_committee(client, team, uow):
    with uow() as session:
        session.add(CommitteeMember(organisation_id=team["org_id"], name="Awa", phone=MEMBER,
                                    committee="Comité de Kati", registered_by_id=team["supervisor_id"]))
    from_member = _report(uow, team["org_slug"], reporter_phone=MEMBER, consent_to_share=True)
    html = client.get("/triage").get_data(as_text=True)
    assert html.count("D&#39;un comité") == 1
    page = client.get(f"/reports/{from_member.id}").get_data(as_text=True)
    assert "Un membre d&#39;un comité communautaire : Comité de Kati" in page


def test_the_report_page_lists_case_workers_with_caseloads_and_warnings(client, team, uow):
    report = _report(uow, team["org_slug"])
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Accepter : ouvrir un dossier" in html and "Marquer comme doublon" in html
    # Nothing asked: the lightest caseload first; above the limit (1 here) the worker is flagged.
    assert html.index(team["caseworker_name"]) < html.index("Mariam Sidibé")
    assert "mariam@example.org" not in html and team["caseworker"] not in html  # names, not logins
    assert html.count("au-delà de la limite de 1") == 1
    assert "L&#39;annuaire des services n&#39;a encore aucun service actif." in html


def test_a_woman_speaking_the_familys_language_comes_first_when_asked(client, team, uow):
    report = _report(uow, team["org_slug"])
    html = client.get(f"/reports/{report.id}?wants_female_worker=1&family_language=bm").get_data(as_text=True)
    assert html.index("Mariam Sidibé") < html.index(team["caseworker_name"])
    assert "Parle Bambara" in html and "Ne parle pas Bambara" in html and "N&#39;est pas une femme" in html
    # The accept form carries what was asked.
    assert 'name="wants_female_worker" value="1"' in html and 'name="family_language" value="bm"' in html


def test_accepting_opens_the_case_and_shows_the_decision(client, team, uow):
    report = _report(uow, team["org_slug"], reporter_phone="+22376701430", consent_to_share=True)
    page = f"/reports/{report.id}"
    response = _post(client, f"{page}/accept", page, {
        "risk_level": "high", "assigned_to_id": str(team["woman_id"]), "wants_female_worker": "1",
        "family_language": "bm"})
    assert response.status_code == 302 and response.location.endswith(f"{page}#done")
    with uow() as session:
        case = session.scalar(select(Case).where(Case.report_id == report.id))
        assert (case.assigned_to_id, case.risk_level, case.team_id) == (team["woman_id"], "high", team["team_id"])
        assert case.wants_female_worker and case.family_language == "bm"
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"report.accepted", "case.opened"} <= actions
    html = client.get(page).get_data(as_text=True)
    assert "Accepté : un dossier a été ouvert" in html and f'href="/cases/{case.id}"' in html
    assert "Accepter et ouvrir le dossier" not in html
    # Decided: it leaves the queue.
    assert report.reference not in client.get("/triage").get_data(as_text=True)


def test_accepting_a_committee_report_queues_the_members_thanks(client, team, uow):
    with uow() as session:
        session.add(CommitteeMember(organisation_id=team["org_id"], name="Awa", phone=MEMBER,
                                    committee="Comité de Kati", registered_by_id=team["supervisor_id"]))
    report = _report(uow, team["org_slug"], reporter_phone=MEMBER, consent_to_share=True)
    page = f"/reports/{report.id}"
    _post(client, f"{page}/accept", page, {"risk_level": "low", "assigned_to_id": str(team["caseworker_id"])})
    with uow() as session:
        [message] = session.scalars(select(OutboundMessage).where(OutboundMessage.to_phone == MEMBER)).all()
    assert message.body == f"Relais: votre signalement {report.reference} a été pris en charge. Merci."


@pytest.mark.parametrize("data, reason", [
    ({"assigned_to_id": "CW"}, "Risk level"),
    ({"risk_level": "high"}, "Choisissez un agent social"),
    ({"risk_level": "high", "assigned_to_id": str(uuid.uuid4())}, "agent social actif"),
    ({"risk_level": "high", "assigned_to_id": "SUP"}, "agent social actif"),
])
def test_a_bad_acceptance_is_a_form_error_not_a_case(client, team, uow, data, reason):
    report = _report(uow, team["org_slug"])
    page = f"/reports/{report.id}"
    data = {key: {"CW": str(team["caseworker_id"]), "SUP": str(team["supervisor_id"])}.get(value, value)
            for key, value in data.items()}
    response = _post(client, f"{page}/accept", page, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    if reason != "Risk level":
        assert reason in html
    with uow() as session:
        assert session.scalar(select(Case.id).where(Case.report_id == report.id)) is None
        assert session.get(Report, report.id).status == "new"


def test_a_second_decision_is_refused_clearly(client, team, uow):
    report = _report(uow, team["org_slug"])
    page = f"/reports/{report.id}"
    _post(client, f"{page}/not-eligible", page, {"reason": "adult", "confirmed": "1"})
    token = csrf_from(client.get("/triage").get_data(as_text=True))
    response = client.post(f"{page}/accept", data={"csrf_token": token, "risk_level": "high",
                                                   "assigned_to_id": str(team["caseworker_id"])})
    assert response.status_code == 409
    assert "Une décision a déjà été prise sur ce signalement" in response.get_data(as_text=True)


def test_duplicate_not_eligible_and_refer_out(client, team, uow):
    first, second, third, fourth = (_report(uow, team["org_slug"]) for _ in range(4))
    with uow() as session:
        service = Service(organisation_id=team["org_id"], provider_name="Centre Sourire", service_type="health")
        session.add(service)
        session.flush()
        service_id = service.id
    page = f"/reports/{second.id}"
    assert _post(client, f"{page}/duplicate", page, {"original_reference": first.reference,
                                                      "note": "même enfant", "confirmed": "1"}).status_code == 302
    assert f'>{first.reference}</a>' in client.get(page).get_data(as_text=True)
    page = f"/reports/{third.id}"
    assert _post(client, f"{page}/not-eligible", page, {"reason": "outside_area", "confirmed": "1"}).status_code == 302
    assert "Hors de la zone de l&#39;organisation" in client.get(page).get_data(as_text=True)
    page = f"/reports/{fourth.id}"
    assert "Centre Sourire" in client.get(page).get_data(as_text=True)
    assert _post(client, f"{page}/refer", page, {"service_id": str(service_id), "confirmed": "1"}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Orienté vers une autre organisation" in html and "Centre Sourire" in html
    with uow() as session:
        statuses = {r.id: r.status for r in session.scalars(select(Report))}
        assert [statuses[r.id] for r in (first, second, third, fourth)] == ["new", "duplicate", "not_eligible",
                                                                            "referred"]


def test_a_bad_duplicate_reference_is_a_form_error(client, team, uow):
    report = _report(uow, team["org_slug"])
    page = f"/reports/{report.id}"
    response = _post(client, f"{page}/duplicate", page, {"original_reference": "ZZZ"})
    assert response.status_code == 400
    assert "Donnez la référence du signalement original (7 caractères)" in response.get_data(as_text=True)


def test_seven_characters_that_are_no_reference_are_not_told_to_give_seven(client, team, uow):
    report = _report(uow, team["org_slug"])
    page = f"/reports/{report.id}"
    mistyped = report.reference[:-1] + next(c for c in "23456789ABC" if c != report.reference[-1])
    response = _post(client, f"{page}/duplicate", page, {"original_reference": mistyped})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Cette référence n&#39;existe pas : vérifiez chaque caractère" in html
    assert "(7 caractères)" not in html


def test_a_failed_decision_shows_its_error_by_its_form_scrolled_to_and_focused(client, team, uow):
    report = _report(uow, team["org_slug"])
    page = f"/reports/{report.id}"
    response = _post(client, f"{page}/not-eligible", page, {"reason": "other", "note": "  "})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # The form posts to an address ending in its error's anchor: the browser scrolls to it and focuses it.
    assert f'action="{page}/not-eligible#error-not_eligible"' in html
    section = html[html.index('id="decide-not_eligible"'):html.index('id="decide-refer"')]
    assert 'id="error-not_eligible" tabindex="-1" autofocus data-focus>' in section
    assert "Expliquez pourquoi dans la note quand la raison est « autre »" in section
    assert html.count('role="alert"') == 1
    # What was chosen stays chosen.
    assert '<option value="other" selected>' in section


def test_closing_decisions_start_with_nothing_chosen(client, team, uow):
    report = _report(uow, team["org_slug"])
    with uow() as session:
        session.add(Service(organisation_id=team["org_id"], provider_name="Centre Sourire", service_type="health"))
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    not_eligible = html[html.index('id="decide-not_eligible"'):html.index('id="decide-refer"')]
    refer = html[html.index('id="decide-refer"'):]
    assert '<option value="" selected>Choisissez une raison</option>' in not_eligible
    assert not_eligible.count(" selected") == 1
    assert '<option value="" selected>Choisissez un service</option>' in refer
    assert refer.count(" selected") == 1


@pytest.mark.parametrize("action, data, asked", [
    ("not-eligible", {"reason": "adult", "note": "a 19 ans"}, "Clore ce signalement comme non éligible ?"),
    ("duplicate", {"original_reference": "FIRST"}, "Clore ce signalement comme doublon ?"),
    ("refer", {"service_id": "SERVICE"}, "Clore ce signalement en l&#39;orientant vers une autre organisation ?"),
])
def test_a_closing_decision_asks_to_confirm_before_anything_changes(client, team, uow, action, data, asked):
    first, report = _report(uow, team["org_slug"]), _report(uow, team["org_slug"])
    with uow() as session:
        service = Service(organisation_id=team["org_id"], provider_name="Centre Sourire", service_type="health")
        session.add(service)
        session.flush()
        data = {key: {"FIRST": first.reference, "SERVICE": str(service.id)}.get(value, value)
                for key, value in data.items()}
    page = f"/reports/{report.id}"
    response = _post(client, f"{page}/{action}", page, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert asked in html
    assert f'<form class="confirm" method="post" action="{page}/{action}">' in html
    assert '<input type="hidden" name="confirmed" value="1">' in html
    for name, value in data.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in html
    assert f'href="{page}#decide-{action.replace("-", "_")}"' in html  # going back changes nothing
    with uow() as session:
        assert session.get(Report, report.id).status == "new"
    # The confirmation page's own form, as the browser sends it.
    confirmed = client.post(f"{page}/{action}", data={"csrf_token": csrf_from(html), **data, "confirmed": "1"})
    assert confirmed.status_code == 302
    with uow() as session:
        assert session.get(Report, report.id).status != "new"


def test_an_unconfirmed_decision_that_cannot_hold_is_refused_at_once(client, team, uow):
    report = _report(uow, team["org_slug"])
    page = f"/reports/{report.id}"
    response = _post(client, f"{page}/not-eligible", page, {"reason": ""})
    assert response.status_code == 400
    assert "Choisissez la raison dans la liste" in response.get_data(as_text=True)


def test_after_a_decision_the_page_says_so_and_leads_to_the_next_report(client, team, uow):
    late, report, later = (_report(uow, team["org_slug"]) for _ in range(3))
    with uow() as session:
        for submitted, hours in ((late, -1), (report, 1), (later, 2)):
            schedule(session, "assignment", utcnow() + timedelta(hours=hours), report_id=submitted.id)
    page = f"/reports/{report.id}"
    html = client.get(page).get_data(as_text=True)
    assert f'<a href="/reports/{late.id}" rel="next">Signalement suivant</a>' in html  # the most overdue first
    response = _post(client, f"{page}/not-eligible", page, {"reason": "adult", "confirmed": "1"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert response.headers["Location"].endswith("#done")
    assert 'role="status" id="done" tabindex="-1">Le signalement est clos comme non éligible.' in html
    assert f'<a href="/reports/{late.id}" rel="next">Signalement suivant</a>' in html
    with uow() as session:
        for other in (late, later):
            session.get(Report, other.id).status = "duplicate"
    assert "Aucun autre signalement n&#39;attend." in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize("urgent, suggested", [(True, "high"), (False, "medium")])
def test_the_risk_level_is_suggested_from_the_urgency(client, team, uow, urgent, suggested):
    report = _report(uow, team["org_slug"], danger_now=urgent)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f'value="{suggested}" required checked>' in html
    assert html.count(" required checked>") == 1


def test_the_best_matches_come_alone_for_the_page_to_swap_in(client, team, uow):
    report = _report(uow, team["org_slug"])
    response = client.get(f"/reports/{report.id}/matches?wants_female_worker=1&family_language=bm")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("{#") is False and "<table" in html and "<html" not in html
    assert 'name="assigned_to_id"' in html
    assert client.get(f"/reports/{uuid.uuid4()}/matches").status_code == 404


def test_decisions_are_for_supervisors_of_the_organisation(client, staff, login, uow):
    report = _report(uow, staff["org_slug"])
    with uow() as session:
        other = make_organisation(session)
        foreign = make_report(session, organisation_slug=other.slug)
    login(staff["caseworker"])
    token = csrf_from(client.get("/cases").get_data(as_text=True))
    response = client.post(f"/reports/{report.id}/not-eligible", data={"csrf_token": token, "reason": "adult"})
    assert response.status_code == 403
    login(staff["supervisor"])
    token = csrf_from(client.get("/triage").get_data(as_text=True))
    response = client.post(f"/reports/{foreign.id}/not-eligible", data={"csrf_token": token, "reason": "adult"})
    assert response.status_code == 404
    with uow() as session:
        assert {r.status for r in session.scalars(select(Report))} == {"new"}


def test_a_decision_without_the_csrf_token_is_refused(client, team, uow):
    report = _report(uow, team["org_slug"])
    response = client.post(f"/reports/{report.id}/not-eligible", data={"reason": "adult"})
    assert response.status_code == 400
    with uow() as session:
        assert session.get(Report, report.id).status == "new"


def test_the_decision_forms_are_in_english_for_an_english_supervisor(client, team, uow, login):
    with uow() as session:
        session.get(User, team["supervisor_id"]).language = "en"
    login(team["supervisor"])
    report = _report(uow, team["org_slug"])
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    for shown in ("Accept: open a case", "High risk", "Mark as a duplicate", "Outside the organisation&#39;s area"):
        assert shown in html


def test_invisible_characters_a_report_holds_are_shown_as_codes_not_obeyed(client, team, uow):
    report = _report(uow, team["org_slug"], description="placeholder")
    with uow() as session:
        # As kept from a provider's message, unchanged: the page, not the store, neutralises the override.
        session.get(Report, report.id).description = "Chez \u202eeitnat sa"
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Chez ⟨U+202E⟩eitnat sa" in html and "\u202e" not in html


def test_on_a_phone_each_value_of_a_queue_card_says_what_it_is(client, team, uow):
    _report(uow, team["org_slug"])
    html = client.get("/triage").get_data(as_text=True)
    row = html[html.index("<tbody>"):html.index("</tbody>")]
    # The reference (a link) and the priority (a badge) say what they are; every other value is labelled.
    assert row.count("<td") - 2 == row.count("<td data-label=") + row.count('<td class="phone" data-label=')
    for label in ("Canal", "Préoccupation", "Enfant"):
        assert f'data-label="{label}"' in row


def test_a_decision_asked_to_confirm_leaves_no_trace_of_having_happened(client, team, uow, caplog):
    report = _report(uow, team["org_slug"])
    page = f"/reports/{report.id}"
    caplog.clear()
    with caplog.at_level("INFO"):
        assert _post(client, f"{page}/not-eligible", page, {"reason": "adult"}).status_code == 200
    assert "decided" not in caplog.text and "report.not_eligible" not in caplog.text
    with uow() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action.like("report.%"),
                                                          AuditEvent.action != "report.viewed")) is None
    with caplog.at_level("INFO"):
        _post(client, f"{page}/not-eligible", page, {"reason": "adult", "confirmed": "1"})
    assert f"report {report.id} decided: not_eligible" in caplog.text


def test_the_best_matches_answer_only_whoever_may_decide_the_report(client, team, uow, staff, login):
    report = _report(uow, team["org_slug"])
    with uow() as session:
        foreign = make_report(session, organisation_slug=make_organisation(session).slug)
    assert client.get(f"/reports/{foreign.id}/matches").status_code == 404  # another organisation's
    login(staff["caseworker"])
    assert client.get(f"/reports/{report.id}/matches").status_code == 403
