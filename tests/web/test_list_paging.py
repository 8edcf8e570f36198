"""Every list that can grow comes 50 a page, through the one pager, on both databases: the service directory, the
accounts, the committee members, the approvals, the transfers (each of its two lists), the hand-offs, the
supervision log and the administration log; an odd page number is a 400 with the reason."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest

from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.models import CaseApproval, CaseTransfer
from casecore.cases.record_models import SupervisionSession
from casecore.directory.models import Service
from casecore.handoff.models import Handoff
from casecore.paging import PAGE_SIZE
from casecore.reports.committees import register_member
from tests.factories import make_case, make_organisation, make_report, make_user
from tests.web.conftest import client_for

EXTRA = 3  # rows on the second page


@pytest.fixture
def app(any_db_app):
    """The app on each database in turn."""
    return any_db_app


@pytest.fixture
def people(uow):
    """An organisation with a supervisor, a case worker and an administrator; another organisation."""
    with uow() as session:
        org, other = make_organisation(session), make_organisation(session)
        users = {role: make_user(session, org, role=role, language="en")
                 for role in ("supervisor", "caseworker", "admin")}
        other_lead = make_user(session, other, role="supervisor")
        return {"org": org.id, "slug": org.slug, "other": other.id, "other_slug": other.slug,
                "other_lead": other_lead.id, **{role: (user.email, user.id) for role, user in users.items()}}



def _minutes(n):
    return utcnow() - timedelta(minutes=n)


def services(session, people, count):
    for n in range(count):
        session.add(Service(organisation_id=people["org"], provider_name=f"Provider {n:03d}", service_type="legal_aid"))
    return "admin", "/services?type=legal_aid", [f"Provider {n:03d}" for n in range(count)]


def accounts(session, people, count):
    org = make_organisation(session)  # an organisation of its own, so the list holds only these
    # Last by name (the list's order), and left out of the markers: every page names its reader in the header.
    admin = make_user(session, org, role="admin", email="zz-admin@example.org", display_name="Zoumana Zerbo")
    emails = [make_user(session, org, role="caseworker", email=f"pager{n:03d}@example.org",
                        display_name=f"Agent {n:03d}").email for n in range(count)]
    return admin.email, "/admin/users", emails


def committee_members(session, people, count):
    for n in range(count):
        register_member(session, people["org"], name=f"Member {n:03d}", phone=f"+2237690{n:04d}",
                        committee="Comité", registered_by_id=people["supervisor"][1])
    return "supervisor", "/committee", [f"Member {n:03d}" for n in range(count)]


def approvals(session, people, count):
    references = []
    for n in range(count):
        case = make_case(session, organisation_slug=people["slug"], assigned_to_id=people["caseworker"][1])
        session.add(CaseApproval(case_id=case.id, step="assessment", requested_by_id=people["caseworker"][1],
                                 requested_at=_minutes(n)))
        references.append(case.reference)
    return "supervisor", "/approvals", references


def transfers_waiting(session, people, count):
    references = []
    for n in range(count):
        case = make_case(session, organisation_slug=people["other_slug"])
        session.add(CaseTransfer(case_id=case.id, from_organisation_id=people["other"],
                                 to_organisation_id=people["org"], requested_by_id=people["other_lead"],
                                 requested_at=_minutes(n)))
        references.append(case.reference)
    return "supervisor", "/transfers", references


def transfers_asked(session, people, count):
    references = []
    for n in range(count):
        case = make_case(session, organisation_slug=people["slug"])
        session.add(CaseTransfer(case_id=case.id, from_organisation_id=people["org"], status="declined",
                                 to_organisation_id=people["other"], requested_by_id=people["supervisor"][1],
                                 requested_at=_minutes(n), decided_at=_minutes(n)))
        references.append(case.reference)
    return "supervisor", "/transfers", references


def handoffs(session, people, count):
    references = []
    for n in range(count):
        report = make_report(session, organisation_slug=people["slug"])
        session.add(Handoff(report_id=report.id, organisation_id=people["org"], primero_id=uuid.uuid4(),
                            trigger="on_report", status="failed" if n % 2 else "sent", created_at=_minutes(n)))
        references.append(report.reference)
    return "supervisor", "/handoffs", references


def supervision_sessions(session, people, count):
    for n in range(count):
        session.add(SupervisionSession(organisation_id=people["org"], supervisor_id=people["supervisor"][1],
                                       case_worker_id=people["caseworker"][1],
                                       held_on=(utcnow() - timedelta(days=n)).date(), decisions=f"Decision {n:03d}"))
    return "caseworker", "/supervision", [f"Decision {n:03d}" for n in range(count)]


def administrator_actions(session, people, count):
    for n in range(count):
        record_event(session, people["admin"][1], "user.viewed", "user", f"pager-{n:03d}")
    return "supervisor", "/access", [f"pager-{n:03d}" for n in range(count)]


LISTS = [services, accounts, committee_members, approvals, transfers_waiting, transfers_asked, handoffs,
         supervision_sessions, administrator_actions]


def _next_link(html, rel):
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


@pytest.mark.parametrize("seed", LISTS, ids=[seed.__name__ for seed in LISTS])
def test_a_long_list_comes_a_page_at_a_time(app, uow, people, seed):
    with uow() as session:
        who, path, markers = seed(session, people, PAGE_SIZE + EXTRA)
    client = client_for(app, people[who][0] if who in people else who)
    first = client.get(path).get_data(as_text=True)
    if seed is transfers_asked:  # the second list of the page has a pager of its own, after its heading
        first = first[first.index('id="asked"'):]
    on_first = {marker for marker in markers if marker in first}
    assert len(on_first) == PAGE_SIZE and _next_link(first, "prev") is None
    following = _next_link(first, "next")
    assert following is not None and "page=2" in following
    if "?" in path:
        assert path.split("?")[1] in following  # the filters are kept
    second = client.get(following).get_data(as_text=True)
    if seed is transfers_asked:
        second = second[second.index('id="asked"'):]
    on_second = {marker for marker in markers if marker in second}
    assert len(on_second) == EXTRA and on_first.isdisjoint(on_second)
    assert _next_link(second, "next") is None and _next_link(second, "prev") is not None


@pytest.mark.parametrize(("who", "path"), [
    ("admin", "/services?page=0"), ("admin", "/admin/users?page=x"), ("supervisor", "/committee?page=-1"),
    ("supervisor", "/approvals?page=10001"), ("supervisor", "/transfers?asked_page=abc"),
    ("supervisor", "/handoffs?page=1.5"), ("caseworker", "/cases?page=0"), ("caseworker", "/supervision?page=0"),
    ("supervisor", "/access?page=99999"),
])
def test_an_odd_page_number_is_a_400_with_the_reason(app, people, who, path):
    response = client_for(app, people[who][0]).get(path)
    assert response.status_code == 400
    assert "page must be a whole number" in response.get_data(as_text=True)
