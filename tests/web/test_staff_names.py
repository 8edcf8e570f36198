"""Staff are shown by their display name (required when an account is made, changed on its page, the change
audited) wherever people read who did what; the email stays the login."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from casecore.audit import AuditEvent, record_event
from casecore.cases.models import Case
from casecore.people.models import Team, User
from tests.factories import make_case, make_organisation, make_report, make_user
from tests.web.conftest import client_for, csrf_from

NEW = {"email": "awa.diallo@example.org", "phone": "76 70 14 30", "password": "long enough pw", "role": "caseworker",
       "language": "fr"}


@pytest.fixture
def app(any_db_app):
    """On SQLite and PostgreSQL in turn: pickers and lists order by name in each database's collation."""
    return any_db_app



def _post(client, path, page=None, **data):
    token = csrf_from(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


@pytest.fixture
def org(app, uow):
    """An organisation: an administrator, a supervisor leading a team with two case workers, one of whom holds a case,
    and a new report waiting for triage."""
    with uow() as session:
        org = make_organisation(session)
        admin = make_user(session, org, role="admin", email="admin@example.org", display_name="Ibrahim Coulibaly")
        lead = make_user(session, org, role="supervisor", email="m.traore@example.org", display_name="Mariam Traoré")
        team = Team(organisation_id=org.id, name="Équipe Kati", supervisor_id=lead.id)
        session.add(team)
        session.flush()
        awa = make_user(session, org, role="caseworker", email="a.diallo@example.org", display_name="Awa Diallo")
        moussa = make_user(session, org, role="caseworker", email="m.keita@example.org", display_name="Moussa Keïta")
        awa.team_id = moussa.team_id = team.id
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=awa.id)
        case.team_id = team.id
        report = make_report(session, organisation_slug=org.slug)
        return {"admin_id": admin.id, "lead_id": lead.id, "awa_id": awa.id, "moussa_id": moussa.id,
                "case_id": case.id, "report_id": report.id}


EMAILS = ("admin@example.org", "m.traore@example.org", "a.diallo@example.org", "m.keita@example.org")


def _no_email(html: str) -> None:
    shown = [email for email in EMAILS if email in html]
    assert shown == [], f"emails shown where names belong: {shown}"


def test_a_new_account_needs_a_name_of_at_most_120_characters(app, uow, org):
    admin = client_for(app, "admin@example.org")
    for name in (None, "", "   ", "x" * 121):
        data = {**NEW, **({} if name is None else {"display_name": name})}
        response = _post(admin, "/admin/users", **data)
        assert response.status_code == 400, name
        assert "Donnez un nom au compte (120 caractères au plus)." in response.get_data(as_text=True)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == NEW["email"])) == 0
    assert _post(admin, "/admin/users", **NEW, display_name="  Fanta   Camara ").status_code == 302
    html = admin.get("/admin/users").get_data(as_text=True)
    # By name, the email beside it.
    rows = re.findall(r'<td><a href="/admin/users/[^"]+">([^<]+)</a></td>\s*<td>([^<]+)</td>', html)
    assert rows == [("Awa Diallo", "a.diallo@example.org"), ("Fanta Camara", "awa.diallo@example.org"),
                    ("Ibrahim Coulibaly", "admin@example.org"), ("Mariam Traoré", "m.traore@example.org"),
                    ("Moussa Keïta", "m.keita@example.org")]
    assert 'id="display_name" name="display_name"' in html


def test_an_administrator_renames_an_account_and_the_renaming_is_audited(app, uow, org):
    admin = client_for(app, "admin@example.org")
    page = f"/admin/users/{org['awa_id']}"
    html = admin.get(page).get_data(as_text=True)
    assert "<h1>Awa Diallo</h1>" in html and "a.diallo@example.org" in html and 'value="Awa Diallo"' in html
    same = {"role": "caseworker", "language": "fr", "is_active": "y", "team": ""}
    for bad in ("", " ", "x" * 121):
        response = _post(admin, page, display_name=bad, **same)
        assert response.status_code == 400 and "Donnez un nom au compte" in response.get_data(as_text=True)
    assert _post(admin, page, display_name=" Awa  Diallo Sangaré ", **same).status_code == 302
    assert "<h1>Awa Diallo Sangaré</h1>" in admin.get(page).get_data(as_text=True)
    assert _post(admin, page, display_name="Awa Diallo Sangaré", **same).status_code == 302  # not renamed again
    with uow() as session:
        assert session.get(User, org["awa_id"]).display_name == "Awa Diallo Sangaré"
        done = session.execute(select(AuditEvent.user_id, AuditEvent.action, AuditEvent.object_id).where(
            AuditEvent.action.in_(("user.renamed", "user.updated"))).order_by(AuditEvent.at)).all()
    awa = str(org["awa_id"])
    assert done == [(org["admin_id"], "user.updated", awa), (org["admin_id"], "user.renamed", awa),
                    (org["admin_id"], "user.updated", awa)]
    # Supervisors read it in the administration log.
    log = client_for(app, "m.traore@example.org").get("/access").get_data(as_text=True)
    assert "A renommé un compte" in log and "Ibrahim Coulibaly" in log


def test_only_whoever_manages_people_renames_an_account(app, uow, org):
    lead = client_for(app, "m.traore@example.org")
    response = lead.post(f"/admin/users/{org['awa_id']}", data={
        "csrf_token": csrf_from(lead.get("/triage").get_data(as_text=True)), "display_name": "Quelqu'un",
        "role": "caseworker", "language": "fr", "is_active": "y"})
    assert response.status_code == 403
    with uow() as session:
        assert session.get(User, org["awa_id"]).display_name == "Awa Diallo"


def test_the_header_pickers_case_list_timeline_and_audit_trail_show_names_not_emails(app, uow, org):
    lead = client_for(app, "m.traore@example.org")
    triage = lead.get("/triage").get_data(as_text=True)
    assert re.search(r'<a class="who" href="/password"[^>]*>Mariam Traoré</a>', triage)
    _no_email(triage)
    report = lead.get(f"/reports/{org['report_id']}").get_data(as_text=True)
    assert re.search(rf'value="{org["awa_id"]}" required> Awa Diallo</label>', report)
    assert re.search(rf'value="{org["moussa_id"]}" required> Moussa Keïta</label>', report)
    _no_email(report)
    cases = lead.get("/cases").get_data(as_text=True)
    assert "\">Awa Diallo</td>" in cases  # the case worker column (data-label: a card on a phone)
    _no_email(cases)
    # The case page's picker, and the timeline once the case is given to someone else.
    case_page = f"/cases/{org['case_id']}"
    page = lead.get(case_page).get_data(as_text=True)
    assert re.search(rf'<option value="{org["moussa_id"]}">Moussa Keïta', page)
    _no_email(page)
    assert _post(lead, f"{case_page}/assignment", case_page, assigned_to_id=str(org["moussa_id"])).status_code == 302
    page = lead.get(case_page).get_data(as_text=True)
    assert "Awa Diallo → Moussa Keïta" in page
    _no_email(page)
    # The decision on the report names who decided.
    accepted = _post(lead, f"/reports/{org['report_id']}/accept", f"/reports/{org['report_id']}",
                     risk_level="low", assigned_to_id=str(org["awa_id"]))
    assert accepted.status_code == 302
    decided = lead.get(f"/reports/{org['report_id']}").get_data(as_text=True)
    assert re.search(r"</time> · Mariam Traoré</dd>", decided)
    _no_email(decided)
    with uow() as session:
        record_event(session, org["awa_id"], "case.viewed", "case", org["case_id"])
        reference = session.get(Case, org["case_id"]).reference
    trail = lead.get("/audit").get_data(as_text=True)
    assert re.search(r"<td>Awa Diallo</td>\s*<td>A consulté un dossier</td>\s*<td>Dossier <span class=\"ref\">"
                     + reference, trail)
    _no_email(trail)


def test_the_complaint_form_names_staff_by_name(app, org):
    page = client_for(app, "m.keita@example.org").get("/complaints/new").get_data(as_text=True)
    names = re.findall(r'<option value="[0-9a-f-]{36}">([^<·]+) · ', page)
    assert names == ["Awa Diallo", "Ibrahim Coulibaly", "Mariam Traoré", "Moussa Keïta"]  # by name
    _no_email(page)


def test_two_accounts_of_an_organisation_never_share_a_name(app, uow, org):
    # Pickers show names, and some choices decide who may read what (the staff a complaint names never see it).
    admin = client_for(app, "admin@example.org")
    taken = "Un autre compte de l&#39;organisation porte ce nom"
    response = _post(admin, "/admin/users", **NEW, display_name="awa  DIALLO")
    assert response.status_code == 400 and taken in response.get_data(as_text=True)
    same = {"role": "caseworker", "language": "fr", "is_active": "y", "team": ""}
    page = f"/admin/users/{org['moussa_id']}"
    response = _post(admin, page, display_name="Awa Diallo", **same)
    assert response.status_code == 400 and taken in response.get_data(as_text=True)
    with uow() as session:
        assert session.get(User, org["moussa_id"]).display_name == "Moussa Keïta"
        other = make_organisation(session)  # another organisation's Awa Diallo is another person's business
        make_user(session, other, email="awa@other.example.org", display_name="Awa Diallo")
    assert _post(admin, "/admin/users", **NEW, display_name="Awa Diallo Sangaré").status_code == 302
