"""The search by reference in every page's header (/find), on both databases: exact, lower case, spaced, with the
characters the alphabet leaves out; need to know exactly as the pages it leads to (what a person may not see answers
like what does not exist); invalid references told apart; every search audited with the reference only."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.complaints.access import record_named_staff
from casecore.complaints.models import Complaint
from casecore.people.models import Team
from casecore.references import LOOK_ALIKES, new_reference
from casecore.reports.models import Report
from tests.factories import make_case, make_organisation, make_report, make_user
from tests.web.conftest import assert_in_web_catalogues, client_for
from tests.web.test_complaint_pages import make_complaint

NOT_FOUND = "No report, case or complaint with this reference that you may see."


@pytest.fixture
def app(any_db_app):
    """The app on each database in turn."""
    return any_db_app



@pytest.fixture
def world(app, uow):
    """An organisation with two teams (a supervisor and a case worker each), a focal point and an administrator; a
    new report, a case of each team, and another organisation's report; complaints, one sensitive, one naming the
    second focal point."""
    with uow() as session:
        org, elsewhere = make_organisation(session), make_organisation(session)
        people = {name: make_user(session, org, role=role, language="en") for name, role in [
            ("lead", "supervisor"), ("other_lead", "supervisor"), ("worker", "caseworker"),
            ("other_worker", "caseworker"), ("focal", "focal_point"), ("named_focal", "focal_point"),
            ("admin", "admin")]}
        team, other_team = (Team(organisation_id=org.id, name=name, supervisor_id=people[lead].id)
                            for name, lead in (("A", "lead"), ("B", "other_lead")))
        session.add_all([team, other_team])
        session.flush()
        people["worker"].team_id, people["other_worker"].team_id = team.id, other_team.id
        new = make_report(session, organisation_slug=org.slug)
        mine = make_case(session, organisation_slug=org.slug, assigned_to_id=people["worker"].id)
        theirs = make_case(session, organisation_slug=org.slug, assigned_to_id=people["other_worker"].id)
        mine.team_id, theirs.team_id = team.id, other_team.id
        foreign = make_report(session, organisation_slug=elsewhere.slug)
        records = {
            "new": (new.id, new.reference), "foreign": (foreign.id, foreign.reference),
            "mine": (mine.id, mine.reference), "theirs": (theirs.id, theirs.reference),
            "mine_report": (mine.report_id, session.get(Report, mine.report_id).reference),
        }
        emails = {name: user.email for name, user in people.items()}
        ids = {name: user.id for name, user in people.items()}
        org_id = org.id
    records["complaint"] = make_complaint(app, org_id)
    records["sensitive"] = make_complaint(app, org_id, category="sexual_exploitation_abuse")
    records["naming"] = make_complaint(app, org_id)
    with uow() as session:
        record_named_staff(session, records["naming"][0], [ids["named_focal"]], ids["focal"])
    return {"emails": emails, "ids": ids, "records": records}


def find(client, typed):
    return client.get("/find?ref=" + quote(typed))


def test_the_box_is_in_every_logged_in_page_header(app, world):
    for who, path in (("lead", "/triage"), ("worker", "/cases"), ("focal", "/complaints"), ("admin", "/admin/users")):
        html = client_for(app, world["emails"][who]).get(path).get_data(as_text=True)
        header = html[html.index('<header'):html.index('</header>')]
        assert 'action="/find"' in header and 'role="search"' in header and 'name="ref"' in header
        assert re.search(r'<label for="find-ref"[^>]*>Find a report, case or complaint by reference</label>', header)
    assert 'action="/find"' not in app.test_client().get("/login").get_data(as_text=True)


@pytest.mark.parametrize("spelling", [str, str.lower, lambda ref: f" {ref[:3].lower()} - {ref[3:]} "])
def test_a_reference_opens_its_page_however_it_is_typed(app, world, spelling):
    records = world["records"]
    lead, worker, focal = (client_for(app, world["emails"][who]) for who in ("lead", "worker", "focal"))
    for client, name, path in ((lead, "new", "/reports/"), (lead, "mine", "/cases/"), (worker, "mine", "/cases/"),
                               (focal, "sensitive", "/complaints/"), (lead, "complaint", "/complaints/")):
        key, reference = records[name]
        response = find(client, spelling(reference))
        assert response.status_code == 302, (name, response.get_data(as_text=True))
        assert response.location == f"{path}{key}"
        assert client.get(response.location).status_code == 200


def test_a_case_worker_given_the_report_reference_lands_on_their_case(app, world):
    key, _reference = world["records"]["mine"]
    response = find(client_for(app, world["emails"]["worker"]), world["records"]["mine_report"][1])
    assert response.location == f"/cases/{key}"


def test_the_characters_the_alphabet_leaves_out_are_read_as_their_look_alikes(app, world, uow):
    # A report whose reference has each look-alike: typed with the left-out character instead, it is still found.
    for left_out, meant in (("0", "D"), ("o", "Q"), ("1", "7"), ("i", "J"), ("l", "T"), ("v", "W"), ("u", "Y")):
        assert meant in LOOK_ALIKES[left_out.upper()]
        while True:
            reference = new_reference()
            if reference.count(meant) == 1 and not set(reference) & set("DQ7JTWY") - {meant}:
                break
        with uow() as session:
            report = session.get(Report, world["records"]["new"][0])
            report.reference = reference
        response = find(client_for(app, world["emails"]["lead"]), reference.replace(meant, left_out))
        assert response.location == f"/reports/{world['records']['new'][0]}", (reference, left_out)


def test_a_reference_two_records_share_lists_both(app, world, uow):
    # Complaint and report references are drawn apart, so two may (rarely) be the same: the search lists both.
    report_id, reference = world["records"]["new"]
    complaint_id = world["records"]["complaint"][0]
    with uow() as session:
        session.get(Complaint, complaint_id).reference = reference
    response = find(client_for(app, world["emails"]["lead"]), reference.lower())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/reports/{report_id}"' in html and f'href="/complaints/{complaint_id}"' in html
    assert "(Report)" in html and "(Complaint)" in html


def _answer(response, typed):
    """What a not-found page says, without what was typed (which each page echoes) or the logout form's token."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", unescape(response.get_data(as_text=True))).replace(typed, "")


def test_what_a_person_may_not_see_answers_exactly_like_what_does_not_exist(app, world):
    records = world["records"]
    while True:
        missing = new_reference()
        if missing not in {reference for _key, reference in records.values()}:
            break
    hidden = {
        "lead": ["foreign", "theirs", "sensitive"],  # another organisation's; another team's case; sensitive
        "other_lead": ["mine", "mine_report"],  # team A's case and the report it was opened from
        "worker": ["theirs", "new", "complaint"],  # a case not assigned to them; reports; complaints
        "named_focal": ["naming", "mine"],  # a complaint naming them; cases
        "admin": ["new", "mine", "complaint"],
    }
    for who, names in hidden.items():
        client = client_for(app, world["emails"][who])
        nothing = find(client, missing)
        assert nothing.status_code == 404 and NOT_FOUND in unescape(nothing.get_data(as_text=True))
        for name in names:
            reference = records[name][1]
            response = find(client, reference)
            assert response.status_code == 404, (who, name)
            assert _answer(response, reference) == _answer(nothing, missing), (who, name)
            assert f'value="{reference}"' in response.get_data(as_text=True)  # the box keeps what was typed


@pytest.mark.parametrize(("typed", "words"), [
    ("ABC23", "A reference has 7 letters and digits"), ("ABC23456", "A reference has 7 letters and digits"),
    ("ABC#234", "only letters and digits"), ("x" * 300, "A reference has 7 letters and digits"),
])
def test_text_that_cannot_be_a_reference_is_refused_with_the_reason(app, world, typed, words):
    response = find(client_for(app, world["emails"]["lead"]), typed)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and words in html and NOT_FOUND not in html
    assert f'value="{typed[:40]}"' in html


def test_a_wrong_check_character_is_told(app, world):
    reference = world["records"]["new"][1]
    wrong = reference[:-1] + next(c for c in "23456789ABCDEF" if c != reference[-1])
    response = find(client_for(app, world["emails"]["lead"]), wrong)
    assert response.status_code == 400
    assert "one of its characters is wrong" in unescape(response.get_data(as_text=True))


def test_an_empty_search_shows_the_box(app, world):
    for path in ("/find", "/find?ref=", "/find?ref=++"):
        response = client_for(app, world["emails"]["worker"]).get(path)
        assert response.status_code == 200 and 'name="ref"' in response.get_data(as_text=True)


def test_each_search_is_audited_with_the_reference_never_the_text_typed(app, world, uow):
    client = client_for(app, world["emails"]["worker"])
    key, reference = world["records"]["mine"]
    hidden = world["records"]["theirs"][1]
    find(client, f"{reference[:3].lower()} {reference[3:]}")
    find(client, hidden.lower())
    find(client, "secret-text")
    with uow() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
            .where(AuditEvent.user_id == world["ids"]["worker"], AuditEvent.action == "reference.searched")
            .order_by(AuditEvent.at)).all()
    assert events == [("reference.searched", "case", str(key)), ("reference.searched", "reference", hidden),
                      ("reference.searched", "reference", None)]


def test_the_search_page_strings_are_in_both_web_catalogues():
    assert_in_web_catalogues([("app/search/**.py", "python"), ("app/templates/search/**.html", "jinja2"),
                              ("app/templates/pager.html", "jinja2"), ("app/templates/base.html", "jinja2")])
