"""People and access: every role on every page of this slice, the login lockout, idle sessions, the audit trail."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app import create_app
from app.auth.views import LOGIN_FAILURES, LOGIN_LIMITER
from app.web.rate_limits import Rate
from casecore.accounts.models import LoginLock, StaffSession
from casecore.audit import AuditEvent, record_event
from casecore.base import utcnow
from casecore.cases.audit_trail import PAGE_SIZE
from casecore.people.models import Team, User
from tests.conftest import make_settings
from tests.factories import make_case, make_organisation, make_report, make_user
from tests.web.conftest import PASSWORD, assert_in_web_catalogues, csrf_from

ROLES = ("supervisor", "caseworker", "admin", "focal_point")
PHONE = "+22376701430"


@pytest.fixture
def people(uow):
    """An organisation with one account per role, a team led by the supervisor (with the case worker), a case
    worker of another team, and another organisation."""
    with uow() as session:
        org = make_organisation(session)
        accounts = {role: make_user(session, org, role=role, language="fr") for role in ROLES}
        other_supervisor = make_user(session, org, role="supervisor")
        team = Team(organisation_id=org.id, name="Équipe A", supervisor_id=accounts["supervisor"].id)
        other_team = Team(organisation_id=org.id, name="Équipe B", supervisor_id=other_supervisor.id)
        session.add_all([team, other_team])
        session.flush()
        accounts["caseworker"].team_id = team.id
        outsider = make_user(session, org, role="caseworker")
        outsider.team_id = other_team.id
        foreign_org = make_organisation(session)
        foreign = make_user(session, foreign_org, role="supervisor")
        foreign_team = Team(organisation_id=foreign_org.id, name="Équipe A", supervisor_id=foreign.id)
        session.add(foreign_team)
        session.flush()
        return {
            "org_id": org.id, "org_slug": org.slug, "foreign_slug": foreign_org.slug,
            **{role: user.email for role, user in accounts.items()},
            **{f"{role}_name": user.display_name for role, user in accounts.items()},
            **{f"{role}_id": user.id for role, user in accounts.items()},
            "other_supervisor": other_supervisor.email, "other_supervisor_id": other_supervisor.id,
            "other_supervisor_name": other_supervisor.display_name, "outsider_name": outsider.display_name,
            "team_id": team.id, "other_team_id": other_team.id, "outsider": outsider.email,
            "outsider_id": outsider.id, "foreign_id": foreign.id, "foreign_team_id": foreign_team.id,
        }


def _pages(people) -> dict[str, set[str]]:
    """Each page of this slice and the roles allowed to see it."""
    return {
        "/admin/users": {"admin"},
        f"/admin/users/{people['caseworker_id']}": {"admin"},
        "/admin/teams": {"admin"},
        "/admin/locations": {"admin"},
        "/admin/locations?level=3": {"admin"},
        "/admin/settings": {"admin"},
        "/audit": {"supervisor"},
    }


def _page_token(client) -> str:
    # Any logged-in page carries the logout form's token; the error page too.
    return csrf_from(client.get("/admin/settings").get_data(as_text=True))


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_every_page(client, login, people, role):
    login(people[role])
    for path, allowed in _pages(people).items():
        response = client.get(path)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (role, path, response.status_code)


@pytest.mark.parametrize("role", ("supervisor", "caseworker", "focal_point"))
def test_only_administrators_may_change_people(client, login, people, uow, role):
    login(people[role])
    token = _page_token(client)
    posts = {
        "/admin/users": {"email": "new@example.org", "phone": "+22376000077", "password": PASSWORD,
                         "role": "admin", "language": "fr"},
        f"/admin/users/{people['caseworker_id']}": {"role": "admin", "language": "fr", "is_active": "y"},
        f"/admin/users/{people['caseworker_id']}/unlock": {},
        "/admin/teams": {"name": "Nouvelle", "supervisor": str(people["supervisor_id"])},
        f"/admin/teams/{people['team_id']}/supervisor": {"supervisor": str(people["other_supervisor_id"])},
        f"/admin/teams/{people['team_id']}/members": {"member": str(people["outsider_id"])},
        f"/admin/teams/{people['team_id']}/members/{people['caseworker_id']}/remove": {},
    }
    for path, data in posts.items():
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    with uow() as session:
        assert session.scalar(select(User).where(User.email == "new@example.org")) is None
        assert session.get(User, people["caseworker_id"]).role == "caseworker"
        assert session.get(User, people["caseworker_id"]).team_id == people["team_id"]
        assert session.get(Team, people["team_id"]).supervisor_id == people["supervisor_id"]


def test_the_administrator_sees_no_report_or_case_content(app, client, login, people, uow):
    with uow() as session:
        report = make_report(session, organisation_slug=people["org_slug"], reporter_phone=PHONE,
                             concern="child_marriage")
        case = make_case(session, organisation_slug=people["org_slug"], assigned_to_id=people["caseworker_id"])
        case.team_id = people["team_id"]
        ids = {"report": report.id, "case": case.id, "reference": case.reference}
    login(people["admin"])
    token = _page_token(client)
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/triage", "/reports", "/cases")):
            continue
        values = {arg: ids["case"] if "case" in arg else ids["report"] if "report" in arg else uuid.uuid4()
                  for arg in rule.arguments}
        path = rule.rule
        for arg, value in values.items():
            path = path.replace(f"<{arg}>", str(value)).replace(f"<uuid:{arg}>", str(value))
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            html = response.get_data(as_text=True)
            assert response.status_code in (403, 404), (method, path, response.status_code)
            assert ids["reference"] not in html and report.reference not in html and "76701430" not in html
            checked.append((method, rule.rule))
    assert ("GET", "/triage") in checked and ("GET", "/reports/<report_id>") in checked
    assert client.get("/triage").status_code == 403
    assert client.get(f"/reports/{ids['report']}").status_code == 403


def test_navigation_links_follow_the_role(client, login, people):
    login(people["admin"])
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users"' in html and 'href="/audit"' not in html
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    login(people["supervisor"])
    html = client.get("/audit").get_data(as_text=True)
    assert 'href="/audit"' in html and 'href="/admin/users"' not in html


def test_an_administrator_lands_on_the_accounts_page(client, login, people):
    assert urlsplit(login(people["admin"]).location).path == "/admin/users"
    assert urlsplit(login(people["supervisor"]).location).path == "/triage"


# -- lockout --------------------------------------------------------------------------------------------------------

def _events(uow, action):
    with uow() as session:
        return session.execute(select(AuditEvent.user_id, AuditEvent.object_id)
                               .where(AuditEvent.action == action)).all()


GENERIC = ("Adresse e-mail ou mot de passe incorrect. Après 5 tentatives échouées de suite, la connexion est bloquée "
           "pendant 15 minutes")


def _answer(response) -> str:
    return " ".join(unescape(response.get_data(as_text=True)).split())


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, login, people, uow):
    for _ in range(5):
        assert GENERIC in _answer(login(people["supervisor"], "wrong pw!"))
    refused = login(people["supervisor"])
    # Locked, and told as a wrong password is: a "locked" answer would tell that this email exists.
    assert refused.status_code == 200 and GENERIC in _answer(refused)
    assert client.get("/triage").status_code == 302
    user_id = people["supervisor_id"]
    assert _events(uow, "login.locked") == [(user_id, str(user_id))]
    assert len(_events(uow, "login.failed")) == 5
    assert _events(uow, "login.refused_locked") == [(user_id, str(user_id))]


def test_the_lock_passes_after_its_time(client, login, people, uow):
    for _ in range(5):
        login(people["supervisor"], "wrong pw!")
    with uow() as session:
        [lock] = session.scalars(select(LoginLock)).all()
        lock.locked_until = utcnow() - timedelta(seconds=1)
    assert login(people["supervisor"]).status_code == 302
    with uow() as session:
        assert session.scalars(select(LoginLock)).all() == []


def test_the_lock_holds_for_the_address_that_guessed_not_for_the_owner_elsewhere(app, people, uow):
    guesser, owner = app.test_client(), app.test_client()
    for _ in range(5):
        _login_from(guesser, "192.0.2.66", people["supervisor"], "wrong pw!")
    assert _login_from(guesser, "192.0.2.66", people["supervisor"]).status_code == 200  # locked out
    assert _login_from(owner, "198.51.100.7", people["supervisor"]).status_code == 302
    with uow() as session:
        [lock] = session.scalars(select(LoginLock)).all()
        assert "192.0.2.66" not in lock.source_key and len(lock.source_key) == 32  # a keyed hash, never the address


def test_an_address_failing_on_many_accounts_is_throttled_then_told_when_to_come_back(app, people, uow):
    app.extensions[LOGIN_LIMITER].rates[LOGIN_FAILURES] = Rate(3, 600)
    client = app.test_client()
    for email in (people["supervisor"], people["caseworker"], "nobody@example.org"):
        assert _login_from(client, "203.0.113.9", email, "wrong pw!").status_code == 200
    throttled = _login_from(client, "203.0.113.9", people["caseworker"])  # even the right password waits
    assert throttled.status_code == 429 and "Réessayez dans 10 minutes" in _answer(throttled)
    assert _login_from(app.test_client(), "203.0.113.10", people["caseworker"]).status_code == 302


def _login_from(client, address: str, email: str, password: str = PASSWORD):
    environ = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=environ).get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base=environ)


def test_a_success_resets_the_count(client, login, people, uow):
    for _ in range(4):
        login(people["caseworker"], "wrong pw!")
    assert login(people["caseworker"]).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    for _ in range(4):
        assert "incorrect" in login(people["caseworker"], "wrong pw!").get_data(as_text=True)
    assert login(people["caseworker"]).status_code == 302
    assert _events(uow, "login.succeeded")[0][0] == people["caseworker_id"]


def test_an_unknown_email_gets_the_answer_a_known_one_gets_whether_locked_or_not(client, login, people, uow):
    answers = set()
    for _ in range(7):
        answers.add(_answer(login("nobody@example.org", "wrong pw!")).split("csrf_token")[0])
        answers.add(_answer(login(people["caseworker"], "wrong pw!")).split("csrf_token")[0])
    assert len(answers) == 1 and GENERIC in answers.pop()
    assert (None, None) in set(_events(uow, "login.failed"))


def test_the_lock_settings_are_read(app, people):
    settings = app.extensions["relais"].settings
    strict = create_app(make_settings(DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL,
                                      LOGIN_MAX_FAILURES=2, LOGIN_LOCK_MINUTES=60))
    try:
        other = strict.test_client()
        token = csrf_from(other.get("/login").get_data(as_text=True))
        data = {"email": people["caseworker"], "password": "wrong pw!", "csrf_token": token}
        assert "incorrect" in other.post("/login", data=data).get_data(as_text=True)
        assert "60" in other.post("/login", data=data).get_data(as_text=True)
    finally:
        strict.extensions["relais"].close()


def test_an_administrator_unlocks_an_account(client, login, people, uow):
    for _ in range(5):
        login(people["caseworker"], "wrong pw!")
    login(people["admin"])
    page = client.get(f"/admin/users/{people['caseworker_id']}").get_data(as_text=True)
    assert "Verrouillé" in page
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "Verrouillé" in listing
    response = client.post(f"/admin/users/{people['caseworker_id']}/unlock", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "Compte déverrouillé." in client.get(response.location).get_data(as_text=True)
    assert _events(uow, "user.unlocked") == [(people["admin_id"], str(people["caseworker_id"]))]
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert login(people["caseworker"]).status_code == 302


# -- idle sessions --------------------------------------------------------------------------------------------------

def test_an_active_session_stays_open_and_its_stamp_moves(client, login, people):
    login(people["supervisor"])
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 29 * 60
    assert client.get("/triage").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5
        assert session.permanent


@pytest.mark.parametrize("stamp", [lambda: time.time() - 31 * 60, lambda: None, lambda: "yesterday",
                                   lambda: time.time() + 3600])
def test_an_idle_session_is_closed_and_the_login_page_says_why(client, login, people, uow, stamp):
    login(people["supervisor"])
    with client.session_transaction() as session:
        value = stamp()
        if value is None:
            session.pop("seen_at")
        else:
            session["seen_at"] = value
    response = client.get("/triage?x=1")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    assert parse_qs(urlsplit(response.location).query)["next"] == ["/triage?x=1"]
    html = client.get(response.location).get_data(as_text=True)
    assert "Vous avez été déconnecté après 30 minutes sans activité." in html
    assert "sans activité" not in client.get("/login").get_data(as_text=True)  # said once
    assert client.get("/triage").status_code == 302
    assert _events(uow, "session.expired") == [(people["supervisor_id"], str(people["supervisor_id"]))]


def test_a_form_sent_after_the_session_went_idle_goes_to_the_login(client, login, people):
    login(people["admin"])
    token = _page_token(client)
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 3600
    response = client.post("/admin/teams", data={"csrf_token": token, "name": "X",
                                                 "supervisor": str(people["supervisor_id"])})
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"


def test_the_session_cookie_expires_with_the_idle_time(client, login, people):
    cookie = login(people["supervisor"]).headers["Set-Cookie"]
    assert "Expires=" in cookie


# -- sessions kept on the server ------------------------------------------------------------------------------------

def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_logging_out_ends_the_session_even_for_a_copy_of_its_cookie(app, client, login, people, uow):
    login(people["supervisor"])
    copied = _cookie(client)
    assert _with_cookie(app, copied).get("/triage").status_code == 200
    client.post("/logout", data={"csrf_token": _page_token(client)})
    assert _with_cookie(app, copied).get("/triage").status_code == 302, "a logged-out session opens nothing"
    with uow() as session:
        [row] = session.scalars(select(StaffSession)).all()
        assert (row.user_id, row.end_reason) == (people["supervisor_id"], "logout")


def test_a_session_ends_after_its_maximum_lifetime_however_busy(client, login, people, uow):
    login(people["supervisor"])
    with client.session_transaction() as session:
        session["logged_in_at"] = time.time() - 12 * 3600 - 1
    response = client.get("/triage")
    assert response.status_code == 302
    assert "une session dure au plus 12 heures" in _answer(client.get(response.location))
    # The server's record holds it too: a session older than the limit is refused whatever its cookie says.
    login(people["supervisor"])
    with uow() as session:
        row = session.scalars(select(StaffSession).where(StaffSession.ended_at.is_(None))).one()
        row.created_at = utcnow() - timedelta(hours=12, seconds=1)
    assert client.get("/triage").status_code == 302


def test_deactivating_an_account_or_ending_its_sessions_logs_it_out_everywhere(app, login, people, uow):
    worker = app.test_client()
    login_from = _login_from(worker, "192.0.2.1", people["caseworker"])
    assert login_from.status_code == 302 and worker.get("/cases").status_code == 200
    admin = app.test_client()
    _login_from(admin, "192.0.2.2", people["admin"])
    page = admin.get(f"/admin/users/{people['caseworker_id']}")
    response = admin.post(f"/admin/users/{people['caseworker_id']}/sessions/end",
                          data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302 and "1 session(s) fermée(s)." in _answer(admin.get(response.location))
    assert worker.get("/cases").status_code == 302
    assert _events(uow, "user.sessions_ended") == [(people["admin_id"], str(people["caseworker_id"]))]
    _login_from(worker, "192.0.2.1", people["caseworker"])
    with uow() as session:
        from casecore.accounts.users import AccountChange, update_user
        user = session.get(User, people["caseworker_id"])
        update_user(session, user.organisation_id, user.id, AccountChange(
            role=user.role, language=user.language, is_active=False, team_id=user.team_id),
            acting_user_id=people["admin_id"])
    with uow() as session:
        reasons = sorted(session.scalars(select(StaffSession.end_reason).where(
            StaffSession.user_id == people["caseworker_id"])).all())
    assert reasons == ["deactivated", "ended_by_admin"]


# -- audit trail ----------------------------------------------------------------------------------------------------

@pytest.fixture
def trail(people, uow):
    """Events the supervisor may read and events they may not; returns the references."""
    with uow() as session:
        own_report = make_report(session, organisation_slug=people["org_slug"], reporter_phone=PHONE)
        foreign_report = make_report(session, organisation_slug=people["foreign_slug"])
        team_case = make_case(session, organisation_slug=people["org_slug"], assigned_to_id=people["caseworker_id"])
        team_case.team_id = people["team_id"]
        other_case = make_case(session, organisation_slug=people["org_slug"], assigned_to_id=people["outsider_id"])
        other_case.team_id = people["other_team_id"]
        session.flush()
        record_event(session, people["other_supervisor_id"], "report.viewed", "report", own_report.id)
        record_event(session, people["foreign_id"], "report.viewed", "report", foreign_report.id)
        record_event(session, people["other_supervisor_id"], "case.viewed", "case", team_case.id)
        record_event(session, people["outsider_id"], "case.viewed", "case", other_case.id)
        record_event(session, people["caseworker_id"], "login.succeeded", "user", people["caseworker_id"])
        record_event(session, people["outsider_id"], "login.succeeded", "user", people["outsider_id"])
        return {"own": own_report.reference, "foreign": foreign_report.reference,
                "team_case": team_case.reference, "other_case": other_case.reference}


def test_the_audit_trail_shows_what_the_supervisor_may_see_and_nothing_else(client, login, people, trail, uow):
    login(people["supervisor"])
    html = client.get("/audit").get_data(as_text=True)
    assert trail["own"] in html and trail["team_case"] in html
    assert people["other_supervisor_name"] in html and people["caseworker_name"] in html
    assert trail["foreign"] not in html and trail["other_case"] not in html and people["outsider_name"] not in html
    assert people["caseworker"] not in html, "the trail names people, it does not show their logins"
    assert "A consulté un signalement" in html and "A consulté un dossier" in html and "S&#39;est connecté" in html
    assert "76701430" not in html and "physical" not in html.lower() and "Violence" not in html
    with uow() as session:
        viewed = session.execute(select(AuditEvent.user_id, AuditEvent.object_type, AuditEvent.object_id)
                                 .where(AuditEvent.action == "audit.viewed")).all()
    assert viewed == [(people["supervisor_id"], "audit", "1")]


def test_the_audit_trail_is_paged(client, login, people, uow):
    with uow() as session:
        for _ in range(PAGE_SIZE + 5):
            record_event(session, people["caseworker_id"], "login.succeeded", "user", people["caseworker_id"])
    login(people["supervisor"])
    first = client.get("/audit").get_data(as_text=True)
    assert first.count("<tr>") - 1 == PAGE_SIZE and 'rel="next"' in first
    second = client.get("/audit?page=2").get_data(as_text=True)
    # 55 logins, the supervisor's own, and their reading of page 1.
    assert second.count("<tr>") - 1 == 7 and 'rel="next"' not in second and 'rel="prev"' in second


@pytest.mark.parametrize("page", ["0", "abc", "-1", "99999999", "1.5"])
def test_a_bad_audit_page_is_a_400(client, login, people, page):
    login(people["supervisor"])
    response = client.get(f"/audit?page={page}")
    assert response.status_code == 400 and "page" in response.get_data(as_text=True)


def test_every_string_of_this_slice_is_in_both_web_catalogues():
    used = assert_in_web_catalogues([
        ("app/admin/**.py", "python"), ("app/cases/audit.py", "python"), ("app/cases/labels.py", "python"),
        ("app/auth/**.py", "python"),
        ("casecore/accounts/**.py", "python"), ("app/templates/admin/**.html", "jinja2"),
        ("app/templates/cases/audit.html", "jinja2"), ("app/templates/login.html", "jinja2")])
    assert len(used) > 100
    # Durations on the settings page, with plurals.
    assert "1 heure" in _french_durations() and "2 semaines" in _french_durations()


def _french_durations() -> str:
    from casecore.i18n import translations

    ngettext = translations("fr", "web").ngettext
    return " ".join([ngettext("%(n)s hour", "%(n)s hours", 1) % {"n": 1},
                     ngettext("%(n)s week", "%(n)s weeks", 2) % {"n": 2}])


@pytest.mark.parametrize("role, landing", [
    ("supervisor", "/triage"), ("caseworker", "/cases"), ("admin", "/admin/users"), ("focal_point", "/complaints"),
])
def test_each_role_lands_on_a_page_it_may_see(client, uow, login, role, landing):
    with uow() as session:
        org = make_organisation(session)
        user = make_user(session, org, role=role)
        email = user.email
    answer = login(email)
    assert urlsplit(answer.headers["Location"]).path.rstrip("/") == landing
    assert client.get(landing).status_code == 200
    home = client.get("/")
    assert urlsplit(home.headers["Location"]).path.rstrip("/") == landing
