"""What waits, on each role's landing page and in the menu: counts that link where the work is."""
from __future__ import annotations

from tests.factories import make_report


def test_a_supervisor_lands_on_what_waits_with_the_menu_counting_new_reports(client, staff, login, uow):
    with uow() as session:
        for urgent in (True, False, False):
            make_report(session, organisation_slug=staff["org_slug"], danger_now=urgent)
    login(staff["supervisor"])
    html = client.get("/triage").get_data(as_text=True)
    assert "Ce qui vous attend" in html
    assert "<strong>3</strong> nouveaux signalements" in html and "<strong>1</strong> urgents" in html
    assert 'class="count">(3)</span>' in html  # the menu's "Nouveaux signalements (3)"


def test_a_case_worker_and_a_focal_point_see_their_own(client, staff, login, uow):
    login(staff["caseworker"])
    html = client.get("/cases").get_data(as_text=True)
    assert "What waits for you" in html and "messages from families not read yet" in html  # in English
    assert "new reports" not in html


def test_an_administrator_has_nothing_waiting(client, staff, login, uow):
    from casecore.people.models import User
    from tests.factories import make_user
    with uow() as session:
        admin = make_user(session, session.get(User, staff["supervisor_id"]).organisation, role="admin")
        email = admin.email
    login(email)
    assert "Ce qui vous attend" not in client.get("/admin/users").get_data(as_text=True)
