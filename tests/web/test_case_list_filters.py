"""/cases filtered by status, risk, step, deadline past, case worker and reference, 50 a page with the total, on both
databases; a filter given a value not in its list is a 400 with the reason."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.deadlines.timelines import meet, schedule
from casecore.i18n import gettext_for
from casecore.people.models import User
from casecore.reports.models import Report
from tests.factories import make_case
from tests.web.test_case_list import _shown, make_world


@pytest.fixture
def app(any_db_app):
    """The app on each database in turn."""
    return any_db_app


@pytest.fixture
def world(uow, staff):
    """Two teams of one organisation and their cases (test_case_list.make_world)."""
    return make_world(uow, staff)


def _set(uow, case_id, **values):
    with uow() as session:
        case = session.get(Case, case_id)
        for name, value in values.items():
            setattr(case, name, value)


def test_the_list_filters_by_risk_and_step(client, login, world, uow):
    _set(uow, world["cases"]["colleague"][0], risk_level="high")
    _set(uow, world["cases"]["mine"][0], current_step="assessment")
    login(world["supervisor"])
    assert _shown(client.get("/cases?risk=high").get_data(as_text=True), world) == {"colleague"}
    assert _shown(client.get("/cases?risk=medium").get_data(as_text=True), world) == {"mine"}
    assert _shown(client.get("/cases?step=assessment").get_data(as_text=True), world) == {"mine"}
    html = client.get("/cases?risk=high&step=assessment").get_data(as_text=True)
    assert _shown(html, world) == set() and gettext_for("fr", "web")("No case matches these filters.") in html
    assert _shown(client.get("/cases?status=all&step=registration").get_data(as_text=True), world) == {
        "colleague", "mine_closed"}


def test_the_list_keeps_the_cases_with_a_deadline_past(client, login, world, uow):
    mine, colleague = world["cases"]["mine"][0], world["cases"]["colleague"][0]
    with uow() as session:
        schedule(session, "assessment", utcnow() + timedelta(hours=3), case_id=mine)
        schedule(session, "first_response", utcnow() - timedelta(days=2), case_id=mine)
        schedule(session, "assessment", utcnow() - timedelta(minutes=5), case_id=colleague)
        meet(session, "first_response", case_id=mine)  # met late: no longer overdue
    login(world["supervisor"])
    html = client.get("/cases?overdue=1").get_data(as_text=True)
    assert _shown(html, world) == {"colleague"}
    assert 'name="overdue" value="1" checked' in html


def test_a_supervisor_filters_by_the_case_workers_they_may_see(client, login, world, uow):
    with uow() as session:
        org = session.get(User, world["supervisor_id"]).organisation
        waiting = make_case(session, organisation_slug=org.slug)  # no case worker, no team yet: every supervisor's
        waiting_reference = waiting.reference
    login(world["supervisor"])
    html = client.get("/cases").get_data(as_text=True)
    assert f'value="{world["worker_a2_id"]}"' in html and f'value="{world["caseworker_id"]}"' in html
    assert f'value="{world["worker_b_id"]}"' not in html and world["worker_b"] not in html  # another team's
    assert _shown(client.get(f"/cases?worker={world['worker_a2_id']}").get_data(as_text=True), world) == {"colleague"}
    html = client.get("/cases?worker=none").get_data(as_text=True)
    assert _shown(html, world) == set() and waiting_reference in html
    response = client.get(f"/cases?worker={world['worker_b_id']}")
    assert response.status_code == 400
    assert gettext_for("fr", "web")("Choose a case worker from the list.") in unescape(response.get_data(as_text=True))


def test_a_case_worker_has_no_worker_filter(client, login, world):
    login(world["caseworker"])
    assert 'name="worker"' not in client.get("/cases").get_data(as_text=True)
    for value in (world["caseworker_id"], "none", world["worker_a2_id"]):
        assert client.get(f"/cases?worker={value}").status_code == 400


def test_the_reference_filter_reads_a_reference_as_the_search_does(client, login, world, uow):
    key, reference = world["cases"]["colleague"]
    with uow() as session:
        report_reference = session.get(Report, session.get(Case, key).report_id).reference
    login(world["supervisor"])
    for typed in (reference, f"{reference[:3].lower()} {reference[3:]}", report_reference.lower()):
        html = client.get("/cases", query_string={"q": typed}).get_data(as_text=True)
        assert _shown(html, world) == {"colleague"}, typed
        assert f'name="q" value="{typed}"' in html
    # Another team's case is not found here either.
    assert _shown(client.get("/cases", query_string={"q": world["cases"]["theirs"][1]}).get_data(as_text=True),
                  world) == set()
    response = client.get("/cases?q=ABC")
    assert response.status_code == 400 and "7 lettres et chiffres" in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "words"), [
    ("risk=extreme", "Choose a risk level from the list."), ("step=lunch", "Choose a step from the list."),
    ("overdue=yes", "The deadline filter is either on or off."), ("worker=someone", "Choose a case worker"),
    ("page=0", "page must be a whole number"), ("page=abc", "page must be a whole number"),
    ("q=ABC%23EFG", "A reference has only letters and digits."), ("status=lost", "Choose a status from the list."),
])
def test_a_bad_filter_is_a_400_with_the_reason(client, login, world, query, words):
    login(world["caseworker"])  # reads English
    response = client.get(f"/cases?{query}")
    assert response.status_code == 400
    assert words in unescape(response.get_data(as_text=True))


def test_the_list_pages_by_50_with_its_total_and_keeps_its_filters(client, login, world, uow):
    with uow() as session:
        org = session.get(User, world["supervisor_id"]).organisation
        for _ in range(54):
            made = make_case(session, organisation_slug=org.slug, assigned_to_id=world["caseworker_id"])
            made.risk_level = "medium"
    login(world["caseworker"])
    first = client.get("/cases?risk=medium").get_data(as_text=True)
    assert first.count('class="ref"') == 50 and "55 cases, the soonest deadline first; 50 per page." in first
    assert "Page 1 of 2" in first and 'rel="prev"' not in first
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    assert unescape(following) == "/cases?status=active&risk=medium&page=2"
    second = client.get(unescape(following)).get_data(as_text=True)
    assert second.count('class="ref"') == 5 and "Page 2 of 2" in second and 'rel="next"' not in second
    assert 'rel="prev" href="/cases?status=active&amp;risk=medium"' in second
    shown = {ref for ref in re.findall(r'class="ref" href="/cases/[^"]+">([^<]+)<', first + second)}
    assert len(shown) == 55  # no case twice, none left out
    assert client.get("/cases?risk=medium&page=3").status_code == 200
