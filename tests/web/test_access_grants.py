"""An administrator cannot give themselves access to cases or complaints: a supervisor or focal-point account, a role
change and a place in a team wait for a second person (a supervisor; a focal point for a focal-point role), and what
administrators do is read by supervisors and focal points in the administration log, counted in their menu."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from casecore.accounts.models import AccessGrant
from casecore.people.models import User
from tests.factories import make_organisation, make_user
from tests.web.conftest import PASSWORD, csrf_from

NAME = "Kadiatou Konaté"
SELF_MADE = {"display_name": NAME, "email": "moi-superviseur@example.org", "phone": "76 70 14 99",
             "password": PASSWORD, "role": "supervisor", "language": "fr"}


@pytest.fixture
def org(uow):
    with uow() as session:
        org = make_organisation(session)
        people = {role: make_user(session, org, role=role, language="fr")
                  for role in ("admin", "supervisor", "focal_point")}
        other = make_organisation(session)
        foreign = make_user(session, other, role="supervisor", language="fr")
        return {**{role: (user.email, user.id, user.display_name) for role, user in people.items()},
                "foreign": (foreign.email, foreign.id, foreign.display_name)}


def _client(app, email):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client, response.status_code


def _post(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf_from(client.get(page).get_data(as_text=True)), **data})


def _grant(uow, email):
    with uow() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        return session.scalars(select(AccessGrant).where(AccessGrant.user_id == user_id)).one()


def test_an_administrators_supervisor_account_opens_only_when_a_supervisor_confirms_it(app, uow, org):
    admin, _ = _client(app, org["admin"][0])
    assert _post(admin, "/admin/users", "/admin/users", **SELF_MADE).status_code == 302
    assert "En attente de confirmation" in admin.get("/admin/users").get_data(as_text=True)
    assert _client(app, SELF_MADE["email"])[1] == 200, "the account cannot log in yet"
    grant = _grant(uow, SELF_MADE["email"])
    # The administrator can neither open the account from its form nor confirm it.
    page = f"/admin/users/{grant.user_id}"
    refused = _post(admin, page, page, display_name=NAME, role="supervisor", language="fr", is_active="y")
    assert refused.status_code == 400 and "deuxième personne" in refused.get_data(as_text=True)
    assert admin.get("/access").status_code == 403
    assert _post(admin, f"/access/grants/{grant.id}/confirm", "/admin/users").status_code == 403
    # Another organisation's supervisor, and a focal point, cannot either.
    foreign, _ = _client(app, org["foreign"][0])
    assert grant.id.hex not in foreign.get("/access").get_data(as_text=True).replace("-", "")
    assert _post(foreign, f"/access/grants/{grant.id}/confirm", "/access").status_code == 404
    focal, _ = _client(app, org["focal_point"][0])
    assert _post(focal, f"/access/grants/{grant.id}/confirm", "/access").status_code == 403
    supervisor, _ = _client(app, org["supervisor"][0])
    listing = supervisor.get("/access").get_data(as_text=True)
    assert NAME in listing and SELF_MADE["email"] in listing and "Rôle : Superviseur" in listing
    assert _post(supervisor, f"/access/grants/{grant.id}/confirm", "/access").status_code == 302
    assert _client(app, SELF_MADE["email"])[1] == 302, "confirmed: the account opens"
    assert _post(supervisor, f"/access/grants/{grant.id}/confirm", "/access").status_code == 302  # told: decided


def test_a_focal_point_role_is_confirmed_by_a_focal_point_and_may_be_refused(app, uow, org):
    admin, _ = _client(app, org["admin"][0])
    _post(admin, "/admin/users", "/admin/users", **{**SELF_MADE, "role": "focal_point"})
    grant = _grant(uow, SELF_MADE["email"])
    supervisor, _ = _client(app, org["supervisor"][0])
    assert SELF_MADE["email"] not in supervisor.get("/access").get_data(as_text=True)
    focal, _ = _client(app, org["focal_point"][0])
    assert 'href="/access">Accès <span class="count">(' in focal.get("/complaints").get_data(as_text=True)
    assert _post(focal, f"/access/grants/{grant.id}/refuse", "/access").status_code == 302
    with uow() as session:
        assert session.get(AccessGrant, grant.id).status == "refused"
        assert not session.get(User, grant.user_id).is_active
    assert _client(app, SELF_MADE["email"])[1] == 200


def test_supervisors_and_focal_points_read_what_administrators_did_and_their_menu_counts_it(app, uow, org):
    admin, _ = _client(app, org["admin"][0])
    admin.get("/admin/settings")
    _post(admin, "/admin/users", "/admin/users", **{**SELF_MADE, "role": "caseworker"})
    focal, _ = _client(app, org["focal_point"][0])
    menu = focal.get("/complaints").get_data(as_text=True)
    assert 'href="/access">Accès <span class="count">(' in menu
    log = focal.get("/access").get_data(as_text=True)
    assert "A consulté les paramètres" in log and "A créé un compte" in log and org["admin"][2] in log
    again = focal.get("/complaints").get_data(as_text=True)
    assert 'href="/access">Accès</a>' in again, "read: nothing new"
    assert admin.get("/access").status_code == 403


def test_the_administrator_cannot_open_the_account_by_asking_again_or_after_a_refusal(app, uow, org):
    admin, _ = _client(app, org["admin"][0])
    _post(admin, "/admin/users", "/admin/users", **SELF_MADE)
    grant = _grant(uow, SELF_MADE["email"])
    page = f"/admin/users/{grant.user_id}"
    # Asking for another role first, then the same one with the account ticked active, opens nothing.
    assert _post(admin, page, page, display_name=NAME, role="focal_point", language="fr").status_code == 302
    assert _post(admin, page, page, display_name=NAME, role="supervisor", language="fr",
                 is_active="y").status_code == 400
    # Refused by a supervisor: the account holds the case worker's role, which opens no case of its own.
    supervisor, _ = _client(app, org["supervisor"][0])
    with uow() as session:
        waiting = session.scalars(select(AccessGrant).where(AccessGrant.user_id == grant.user_id,
                                                            AccessGrant.status == "pending")).all()
    assert [g.activates for g in waiting] == [True], "the opening went with the request that replaced it"
    for pending in waiting:
        focal, _ = _client(app, org["focal_point"][0])
        _post(focal, f"/access/grants/{pending.id}/refuse", "/access")
    assert _post(admin, page, page, display_name=NAME, role="supervisor", language="fr",
                 is_active="y").status_code == 302
    with uow() as session:
        user = session.get(User, grant.user_id)
        assert (user.role, user.is_active) == ("caseworker", True)
    made, status = _client(app, SELF_MADE["email"])
    assert status == 302 and made.get("/triage").headers["Location"].endswith("/password")
    _post(made, "/password", "/password", current=PASSWORD, new="un chemin de terre rouge",
          again="un chemin de terre rouge")
    assert made.get("/triage").status_code == 403, "no supervisor's pages without a second person"


def test_a_grant_that_no_longer_fits_its_account_is_not_applied(app, uow, org):
    from casecore.people.models import Team
    with uow() as session:
        team = Team(organisation_id=session.get(User, org["supervisor"][1]).organisation_id, name="Nord",
                    supervisor_id=org["supervisor"][1])
        worker = make_user(session, session.get(User, org["admin"][1]).organisation, role="caseworker")
        session.add(team)
        session.flush()
        team_id, worker_id, worker_name = team.id, worker.id, worker.display_name
    admin, _ = _client(app, org["admin"][0])
    _post(admin, f"/admin/teams/{team_id}/members", "/admin/teams", member=str(worker_id))
    page = f"/admin/users/{worker_id}"
    _post(admin, page, page, display_name=worker_name, role="caseworker", language="fr")  # deactivated meanwhile
    with uow() as session:
        pending = session.scalars(select(AccessGrant).where(AccessGrant.user_id == worker_id)).one()
    supervisor, _ = _client(app, org["supervisor"][0])
    answer = _post(supervisor, f"/access/grants/{pending.id}/confirm", "/access")
    assert "ne correspond plus au compte" in supervisor.get(answer.location).get_data(as_text=True)
    with uow() as session:
        assert session.get(AccessGrant, pending.id).status == "stale"
        assert session.get(User, worker_id).team_id is None


def test_an_administrators_actions_stay_in_the_log_after_its_account_is_made_a_case_worker(app, uow, org):
    with uow() as session:
        second = make_user(session, session.get(User, org["admin"][1]).organisation, role="admin", language="fr")
        email, second_id, second_name = second.email, second.id, second.display_name
    other_admin, _ = _client(app, email)
    _post(other_admin, "/admin/users", "/admin/users", **{**SELF_MADE, "role": "caseworker"})
    admin, _ = _client(app, org["admin"][0])
    page = f"/admin/users/{second_id}"
    _post(admin, page, page, display_name=second_name, role="caseworker", language="fr", is_active="y")
    supervisor, _ = _client(app, org["supervisor"][0])
    log = supervisor.get("/access").get_data(as_text=True)
    assert second_name in log and "A créé un compte" in log


def test_an_account_an_administrator_made_chooses_its_own_password_first_and_ends_its_other_sessions(app, uow, org):
    admin, _ = _client(app, org["admin"][0])
    _post(admin, "/admin/users", "/admin/users", **{**SELF_MADE, "role": "caseworker"})
    owner, status = _client(app, SELF_MADE["email"])
    elsewhere, _ = _client(app, SELF_MADE["email"])
    assert status == 302 and owner.get("/cases").headers["Location"].endswith("/password")
    page = owner.get("/password").get_data(as_text=True)
    assert "Un administrateur a choisi le mot de passe de ce compte" in page
    for wrong, reason in (({"current": "nope nope nope", "new": "un chemin de terre rouge", "again":
                            "un chemin de terre rouge"}, "n&#39;est pas le bon"),
                          ({"current": PASSWORD, "new": "motdepasse2026", "again": "motdepasse2026"},
                           "parmi les plus courants"),
                          ({"current": PASSWORD, "new": "un chemin de terre rouge", "again": "autre chose encore"},
                           "ne sont pas les mêmes"),
                          ({"current": PASSWORD, "new": PASSWORD, "again": PASSWORD}, "différent de l&#39;actuel")):
        refused = _post(owner, "/password", "/password", **wrong)
        assert refused.status_code == 400 and reason in refused.get_data(as_text=True)
    changed = _post(owner, "/password", "/password", current=PASSWORD, new="un chemin de terre rouge",
                    again="un chemin de terre rouge")
    assert changed.status_code == 302 and owner.get("/cases").status_code == 200
    assert elsewhere.get("/cases").status_code == 302, "the session opened elsewhere ended"
    assert _client(app, SELF_MADE["email"])[1] == 200, "the administrator's password no longer opens it"
    with app.test_client() as fresh:
        token = csrf_from(fresh.get("/login").get_data(as_text=True))
        assert fresh.post("/login", data={"email": SELF_MADE["email"], "password": "un chemin de terre rouge",
                                          "csrf_token": token}).status_code == 302


def test_wrong_current_passwords_count_as_failed_logins(app, uow, org):
    supervisor, _ = _client(app, org["supervisor"][0])
    app.extensions["relais.login_limits"].rates["login-failures"] = type(
        app.extensions["relais.login_limits"].rates["login-failures"])(2, 600)
    for _ in range(2):
        refused = _post(supervisor, "/password", "/password", current="not the password", new="un chemin de terre",
                        again="un chemin de terre")
        assert refused.status_code == 400
    throttled = _post(supervisor, "/password", "/password", current=PASSWORD, new="un chemin de terre rouge",
                      again="un chemin de terre rouge")
    assert throttled.status_code == 429 and "Réessayez dans 10 minutes" in throttled.get_data(as_text=True)
    with uow() as session:
        from casecore.audit import AuditEvent
        assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "password.change_refused")).all()) == 2
