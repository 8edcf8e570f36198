"""The administrator's pages: accounts, teams, locations and settings, with clear answers to bad input."""
from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select

from app import create_app
from casecore.accounts.grants import decide, grants_to_confirm, pending_for_account
from casecore.accounts.users import authenticate
from casecore.audit import AuditEvent
from casecore.people.models import Location, Team, User
from tests.conftest import make_settings
from tests.factories import as_staff, make_organisation, make_user
from tests.web.conftest import PASSWORD, csrf_from


@pytest.fixture
def admin(uow, login, client):
    """An organisation with an administrator (logged in, French), a supervisor, two case workers and a team."""
    with uow() as session:
        org = make_organisation(session)
        admin = make_user(session, org, role="admin", language="fr")
        supervisor = make_user(session, org, role="supervisor")
        second_supervisor = make_user(session, org, role="supervisor")
        worker = make_user(session, org, role="caseworker")
        other_worker = make_user(session, org, role="caseworker")
        team = Team(organisation_id=org.id, name="Équipe Nord", supervisor_id=supervisor.id)
        session.add(team)
        session.flush()
        worker.team_id = team.id
        foreign_org = make_organisation(session)
        foreign = make_user(session, foreign_org, role="caseworker")
        foreign_team = Team(organisation_id=foreign_org.id, name="Ailleurs",
                            supervisor_id=make_user(session, foreign_org, role="supervisor").id)
        session.add(foreign_team)
        session.flush()
        values = {"org_id": org.id, "admin_id": admin.id, "admin": admin.email, "supervisor_id": supervisor.id,
                  "second_supervisor_id": second_supervisor.id, "worker_id": worker.id, "worker": worker.email,
                  "worker_name": worker.display_name, "other_worker_name": other_worker.display_name,
                  "other_worker_id": other_worker.id, "team_id": team.id, "foreign_id": foreign.id,
                  "foreign_team_id": foreign_team.id}
    login(values["admin"])
    values["token"] = csrf_from(client.get("/admin/users").get_data(as_text=True))
    return values


def _post(client, admin, path, **data):
    return client.post(path, data={"csrf_token": admin["token"], **data})


def _user(uow, user_id):
    with uow() as session:
        user = session.get(User, user_id)
        session.expunge(user)
        return user


def _confirm_as_supervisor(uow, admin):
    """What a supervisor of the organisation confirms under Access: every grant waiting."""
    with uow() as session:
        supervisor = as_staff(session.get(User, admin["supervisor_id"]))
        for grant in grants_to_confirm(session, supervisor):
            decide(session, supervisor, grant.id, confirm=True)


def _actions(uow):
    with uow() as session:
        return [tuple(row) for row in session.execute(
            select(AuditEvent.action, AuditEvent.object_type).where(AuditEvent.action.not_like("login.%"),
                                                                    AuditEvent.action.not_like("%.viewed"))
            .order_by(AuditEvent.at))]


NEW = {"display_name": "Awa Diallo", "email": "Awa@Example.org", "phone": "76 70 14 30", "password": "long enough pw",
       "role": "caseworker", "language": "en", "sex": "female", "spoken_languages": ["fr", "bm"]}


def test_the_accounts_page_lists_the_organisation_only_with_masked_numbers(client, admin, uow):
    html = client.get("/admin/users").get_data(as_text=True)
    assert admin["worker"] in html and "Équipe Nord" in html and "Agent social" in html
    with uow() as session:
        foreign_email = session.get(User, admin["foreign_id"]).email
        phone = session.get(User, admin["worker_id"]).phone
    assert foreign_email not in html and phone not in html and phone[-2:] in html


def test_an_administrator_creates_an_account_in_a_team(client, admin, uow):
    response = _post(client, admin, "/admin/users", team=str(admin["team_id"]), **NEW)
    assert response.status_code == 302
    assert "Compte créé." in client.get(response.location).get_data(as_text=True)
    with uow() as session:
        assert authenticate(session, "awa@example.org", "long enough pw").team_id is None  # until confirmed
    _confirm_as_supervisor(uow, admin)
    with uow() as session:
        user = authenticate(session, "awa@example.org", "long enough pw")
        assert (user.role, user.language, user.phone, user.sex, user.spoken_languages, user.team_id,
                user.organisation_id) == ("caseworker", "en", "+22376701430", "female", "fr,bm", admin["team_id"],
                                          admin["org_id"])
    assert ("user.created", "user") in _actions(uow)


@pytest.mark.parametrize("change, message", [
    ({"email": "no-at-sign"}, "Email must contain @"),
    ({"email": ""}, "Saisissez l&#39;adresse e-mail"),
    ({"password": "short"}, "au moins 12 caractères"),
    ({"password": "Password2024!"}, "parmi les plus courants"),
    ({"password": "awa@example.org!!"}, "ne doit pas être l&#39;adresse e-mail"),
    ({"phone": "12"}, "pas un numéro de téléphone valide"),
    ({"role": "boss"}, "Choisissez un rôle"),
    ({"language": "de"}, "Choisissez une langue"),
    ({"sex": "other"}, "Choisissez dans la liste"),
    ({"spoken_languages": ["fr", "de"]}, "Choisissez les langues"),
    ({"team": str(uuid.uuid4())}, "Choisissez une équipe"),
    ({"role": "supervisor", "team": "TEAM"}, "Seuls les agents sociaux actifs"),
])
def test_a_bad_new_account_is_a_form_error(client, admin, uow, change, message):
    data = {**NEW, **change}
    if data.get("team") == "TEAM":
        data["team"] = str(admin["team_id"])
    response = _post(client, admin, "/admin/users", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email.like("%awa%"))) == 0


def test_a_duplicate_email_is_a_form_error(client, admin):
    response = _post(client, admin, "/admin/users", **{**NEW, "email": admin["worker"].upper()})
    assert response.status_code == 400
    assert "Un compte existe déjà avec cette adresse e-mail." in response.get_data(as_text=True)


def test_an_administrator_changes_role_team_and_state(client, admin, uow):
    page = client.get(f"/admin/users/{admin['other_worker_id']}").get_data(as_text=True)
    assert 'name="is_active" value="y" checked' in page
    response = _post(client, admin, f"/admin/users/{admin['other_worker_id']}", role="caseworker", language="en",
                     team=str(admin["team_id"]), sex="male", spoken_languages=["fr", "en"], is_active="y",
                     display_name=admin["other_worker_name"])
    assert response.status_code == 302
    assert "En attente de confirmation : rejoindre l&#39;équipe Équipe Nord." in client.get(
        f"/admin/users/{admin['other_worker_id']}").get_data(as_text=True)
    _confirm_as_supervisor(uow, admin)
    user = _user(uow, admin["other_worker_id"])
    assert (user.team_id, user.sex, user.spoken_languages, user.language) == (admin["team_id"], "male", "fr,en", "en")
    # A focal point's role waits for a focal point; an unchecked box deactivates at once.
    response = _post(client, admin, f"/admin/users/{admin['other_worker_id']}", role="focal_point", language="fr",
                     team=str(admin["team_id"]), display_name=admin["other_worker_name"])
    assert response.status_code == 302
    user = _user(uow, admin["other_worker_id"])
    assert (user.role, user.team_id, user.is_active) == ("caseworker", admin["team_id"], False)
    with uow() as session:
        assert [(g.kind, g.role) for g in pending_for_account(session, user.id)] == [("role", "focal_point")]
    assert _actions(uow).count(("user.updated", "user")) == 2
    assert ("user.renamed", "user") not in _actions(uow)  # the same name is no renaming


@pytest.mark.parametrize("who, data, message", [
    ("admin_id", {"role": "supervisor", "language": "fr", "is_active": "y"}, "votre propre rôle"),
    ("admin_id", {"role": "admin", "language": "fr"}, "votre propre compte"),
    ("supervisor_id", {"role": "caseworker", "language": "fr", "is_active": "y"}, "dirige une équipe"),
    ("supervisor_id", {"role": "supervisor", "language": "fr"}, "dirige une équipe"),
    ("worker_id", {"role": "caseworker", "language": "fr", "is_active": "y", "team": "FOREIGN"},
     "Choisissez une équipe"),
])
def test_changes_that_would_break_the_rules_are_form_errors(client, admin, uow, who, data, message):
    if data.get("team") == "FOREIGN":
        data["team"] = str(admin["foreign_team_id"])
    before = _user(uow, admin[who])
    response = _post(client, admin, f"/admin/users/{admin[who]}", display_name="Nouveau Nom", **data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    after = _user(uow, admin[who])
    assert (after.role, after.is_active, after.team_id, after.display_name) == (
        before.role, before.is_active, before.team_id, before.display_name)


@pytest.mark.parametrize("path", ["/admin/users/{foreign}", "/admin/users/not-an-id", "/admin/users/{random}"])
def test_another_organisations_account_is_not_found(client, admin, path):
    path = path.format(foreign=admin["foreign_id"], random=uuid.uuid4())
    assert client.get(path).status_code == 404
    assert _post(client, admin, path, role="admin", language="fr").status_code == 404
    assert _post(client, admin, path + "/unlock").status_code == 404


def test_an_administrator_creates_and_runs_teams(client, admin, uow):
    response = _post(client, admin, "/admin/teams", name="  Équipe   Sud ", supervisor=str(admin["supervisor_id"]))
    assert response.status_code == 302
    assert "Équipe créée." in client.get(response.location).get_data(as_text=True)
    with uow() as session:
        team = session.scalar(select(Team).where(Team.name == "Équipe Sud"))
        team_id = team.id
    base = f"/admin/teams/{team_id}"
    assert _post(client, admin, f"{base}/supervisor", supervisor=str(admin["second_supervisor_id"])).status_code == 302
    assert _post(client, admin, f"{base}/members", member=str(admin["worker_id"])).status_code == 302
    assert _user(uow, admin["worker_id"]).team_id == admin["team_id"], "still in the team it was in until confirmed"
    _confirm_as_supervisor(uow, admin)
    with uow() as session:
        assert session.get(Team, team_id).supervisor_id == admin["second_supervisor_id"]
        assert session.get(User, admin["worker_id"]).team_id == team_id
    html = client.get("/admin/teams").get_data(as_text=True)
    assert html.index("Équipe Nord") < html.index("Équipe Sud")
    assert html.index(f"Retirer {admin['worker_name']} de l&#39;équipe") > html.index("Équipe Sud")
    assert _post(client, admin, f"{base}/members/{admin['worker_id']}/remove").status_code == 302
    assert _user(uow, admin["worker_id"]).team_id is None
    assert _post(client, admin, f"{base}/members/{admin['worker_id']}/remove").status_code == 404
    assert [a for a, _ in _actions(uow)] == ["team.created", "team.supervisor_changed",
                                             "grant.requested_team_member", "team.member_asked", "grant.confirmed",
                                             "team.member_removed"]


@pytest.mark.parametrize("data, message", [
    ({"name": "Équipe Nord", "supervisor": "SUP"}, "Une équipe porte déjà ce nom."),
    ({"name": "", "supervisor": "SUP"}, "Donnez un nom à l&#39;équipe"),
    ({"name": "x" * 121, "supervisor": "SUP"}, "Donnez un nom à l&#39;équipe"),
    ({"name": "Nouvelle", "supervisor": "WORKER"}, "Choisissez un superviseur"),
    ({"name": "Nouvelle"}, "Choisissez un superviseur"),
])
def test_a_bad_new_team_is_a_form_error(client, admin, uow, data, message):
    data = {**data}
    data["supervisor"] = {"SUP": str(admin["supervisor_id"]), "WORKER": str(admin["worker_id"])}.get(
        data.get("supervisor"), data.get("supervisor", ""))
    response = _post(client, admin, "/admin/teams", **data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Team)) == 2


def test_bad_team_changes_are_form_errors_or_not_found(client, admin, uow):
    base = f"/admin/teams/{admin['team_id']}"
    response = _post(client, admin, f"{base}/members", member=str(admin["supervisor_id"]))
    assert response.status_code == 400 and "Choisissez un agent social" in response.get_data(as_text=True)
    response = _post(client, admin, f"{base}/supervisor", supervisor=str(admin["worker_id"]))
    assert response.status_code == 400
    foreign = f"/admin/teams/{admin['foreign_team_id']}"
    assert _post(client, admin, f"{foreign}/members", member=str(admin["other_worker_id"])).status_code == 404
    assert _post(client, admin, f"{foreign}/supervisor", supervisor=str(admin["supervisor_id"])).status_code == 404
    assert _post(client, admin, "/admin/teams/nope/members", member=str(admin["other_worker_id"])).status_code == 404
    assert _user(uow, admin["other_worker_id"]).team_id is None


CSV = "code,name,level,parent_code\nML05,Mopti,1,\nML0501,Mopti,2,ML05\nML050101,Konna,3,ML0501\n"


def _upload(client, admin, content: bytes, name="lieux.csv"):
    return client.post("/admin/locations/import", data={"csrf_token": admin["token"],
                                                        "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_locations_are_listed_by_level_and_imported(client, admin, uow):
    assert "Aucun lieu à ce niveau." in client.get("/admin/locations").get_data(as_text=True)
    response = _upload(client, admin, ("\ufeff" + CSV).encode())
    assert response.status_code == 302
    assert "3 lieux importés." in client.get(response.location).get_data(as_text=True)
    communes = client.get("/admin/locations?level=3").get_data(as_text=True)
    assert "Konna" in communes and "ML050101" in communes and "Mopti" in communes and "Communes (1)" in communes
    assert ("locations.imported", "location") in _actions(uow)


@pytest.mark.parametrize("content, message", [
    (b"code,name,level,parent_code\nML05,Mopti,9,\n", "line 2"),
    (b"code,name,level,parent_code\nML05,Mopti,1,\nML0501,X,2,NOPE\n", "NOPE"),
    (b"nom;niveau\nMopti;1\n", "line 2"),
    ("code,name,level\nML05,Mopti,1\n".encode("utf-16"), "UTF-8"),
    (b"", None),
])
def test_a_bad_locations_file_imports_nothing(client, admin, uow, content, message):
    response = _upload(client, admin, content) if content else _upload(client, admin, b"", name="")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (message or "Choisissez un fichier CSV") in html
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Location)) == 0


def test_a_national_list_larger_than_other_forms_is_accepted_and_a_huge_one_refused(client, admin, uow):
    rows = ["code,name,level,parent_code", "ML05,Mopti,1,"]
    rows += [f"ML05{n:04d},Cercle numéro {n} avec un nom assez long,2,ML05" for n in range(1500)]
    content = ("\n".join(rows) + "\n").encode()
    assert 64 * 1024 < len(content) < 2 * 1024 * 1024
    assert _upload(client, admin, content).status_code == 302
    huge = _upload(client, admin, b"x" * (3 * 1024 * 1024))
    assert huge.status_code == 413 and "2048 ko au plus" in huge.get_data(as_text=True)
    # Other forms keep the site's limit.
    big_form = _post(client, admin, "/admin/teams", name="x" * (70 * 1024), supervisor="")
    assert big_form.status_code == 413


@pytest.mark.parametrize("query", ["level=4", "level=x", "page=0", "page=abc"])
def test_a_bad_locations_filter_is_a_400(client, admin, query):
    assert client.get(f"/admin/locations?{query}").status_code == 400


def test_the_settings_page_shows_the_timelines_in_force(app, admin):
    base = app.extensions["relais"].settings
    settings = make_settings(DATABASE_URL=base.DATABASE_URL, REDIS_URL=base.REDIS_URL, TIMELINE_ASSIGN_HOURS=5,
                             TIMELINE_CASE_PLAN_HOURS="high=48,medium=168,low=336", CASELOAD_LIMIT=20,
                             LOGIN_LOCK_MINUTES=90, SESSION_IDLE_MINUTES=20)
    configured = create_app(settings)
    try:
        client = configured.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"email": admin["admin"], "password": PASSWORD, "csrf_token": token})
        html = client.get("/admin/settings").get_data(as_text=True)
    finally:
        configured.extensions["relais"].close()
    for shown in ("1 heure", "5 heures", "2 jours", "1 semaine", "2 semaines", "30 jours", "90 jours", "25 %",
                  "<dd>20 (", "90 minutes", "20 minutes", "TIMELINE_CASE_PLAN_HOURS", "LOGIN_MAX_FAILURES"):
        assert shown in html, shown


def test_a_supervisor_leading_more_than_six_case_workers_is_flagged_on_the_teams_page(app, uow):
    from casecore.people.models import Team
    from tests.factories import make_organisation, make_user
    from tests.web.conftest import PASSWORD, csrf_from
    with uow() as session:
        org = make_organisation(session)
        admin = make_user(session, org, role="admin")
        lead = make_user(session, org, role="supervisor", email="lead@example.org", display_name="Kadiatou Konaté")
        north, south = Team(organisation_id=org.id, name="Nord", supervisor_id=lead.id), Team(
            organisation_id=org.id, name="Sud", supervisor_id=lead.id)
        session.add_all([north, south])
        session.flush()
        for n in range(7):
            make_user(session, org, role="caseworker").team_id = (north if n < 4 else south).id
        admin_email = admin.email
    client = app.test_client()
    client.post("/login", data={"email": admin_email, "password": PASSWORD,
                                "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    html = client.get("/admin/teams").get_data(as_text=True)
    assert "Kadiatou Konaté supervise 7 agents sociaux actifs" in html


def test_every_administration_page_read_is_in_the_audit_trail(client, admin, uow):
    from casecore.directory.models import Service
    with uow() as session:
        service = Service(organisation_id=admin["org_id"], provider_name="Centre", service_type="health")
        session.add(service)
        session.flush()
        service_id = service.id
    for path in ("/admin/users", f"/admin/users/{admin['worker_id']}", "/admin/teams", "/admin/locations",
                 "/admin/settings", "/services", f"/services/{service_id}/edit"):
        assert client.get(path).status_code == 200, path
    with uow() as session:
        seen = [tuple(row) for row in session.execute(
            select(AuditEvent.action, AuditEvent.object_id).where(AuditEvent.user_id == admin["admin_id"],
                                                                  AuditEvent.action.like("%viewed"))
            .order_by(AuditEvent.at))]
    org = str(admin["org_id"])
    assert seen[1:] == [  # the first: the fixture's visit to the accounts page
        ("users.viewed", org), ("user.viewed", str(admin["worker_id"])), ("teams.viewed", org),
        ("locations.viewed", "level 1"), ("settings.viewed", org), ("services.viewed", org),
        ("service.viewed", str(service_id))]
