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

SELF_MADE = {"email": "moi-superviseur@example.org", "phone": "76 70 14 99", "password": PASSWORD,
             "role": "supervisor", "language": "fr"}


@pytest.fixture
def org(uow):
    with uow() as session:
        org = make_organisation(session)
        people = {role: make_user(session, org, role=role, language="fr")
                  for role in ("admin", "supervisor", "focal_point")}
        other = make_organisation(session)
        foreign = make_user(session, other, role="supervisor", language="fr")
        return {**{role: (user.email, user.id) for role, user in people.items()},
                "foreign": (foreign.email, foreign.id)}


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
    refused = _post(admin, page, page, role="supervisor", language="fr", is_active="y")
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
    assert SELF_MADE["email"] in listing and "Rôle : Superviseur" in listing
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
    assert "A consulté les paramètres" in log and "A créé un compte" in log and org["admin"][0] in log
    again = focal.get("/complaints").get_data(as_text=True)
    assert 'href="/access">Accès</a>' in again, "read: nothing new"
    assert admin.get("/access").status_code == 403
