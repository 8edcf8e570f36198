"""The service directory pages and commands: who may do what, the stale flag, CSV in and out, clear refusals."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.directory import services
from casecore.directory.models import Service
from casecore.directory.services import ServiceInput
from casecore.people.models import Organisation
from tests.factories import make_locations, make_organisation, make_user
from tests.web.conftest import assert_in_web_catalogues, csrf_from

HEADER = "provider_name,service_type,area_code,contact,last_verified"


@pytest.fixture
def people(staff, uow):
    """The staff fixture's supervisor and case worker, plus an administrator, a focal point, the test places."""
    with uow() as session:
        org = session.get(Organisation, staff["org_id"])
        make_locations(session)
        admin = make_user(session, org, role="admin", language="en")
        focal = make_user(session, org, role="focal_point")
        return dict(staff, admin=admin.email, focal=focal.email)


def _add(uow, org_id, name, *, kind="health", area="", days_ago=None, active=True):
    with uow() as session:
        verified = None if days_ago is None else utcnow() - timedelta(days=days_ago)
        service = services.create_service(session, org_id, ServiceInput(name, kind, area, "+223 70 00 00 01"),
                                          user_id=None, verified_at=verified)
        service.is_active = active
        return service.id


def _token(client, path="/services"):
    return csrf_from(client.get(path).get_data(as_text=True))


def _post(client, path, data, token_from="/services", **kwargs):
    return client.post(path, data={"csrf_token": _token(client, token_from), **data}, **kwargs)


def test_stale_and_never_verified_entries_are_flagged(client, people, login, uow):
    _add(uow, people["org_id"], "Clinique fraîche", days_ago=20)
    _add(uow, people["org_id"], "Clinique ancienne", days_ago=200)
    _add(uow, people["org_id"], "Avocat jamais vérifié", kind="legal_aid")
    login(people["supervisor"])
    html = client.get("/services").get_data(as_text=True)
    assert html.count('class="is-stale"') == 2 and html.count("À vérifier") == 2
    assert "Jamais" in html and "Soins de santé" in html and "Aide juridique" in html
    assert "depuis 183 jours" in html
    only_stale = client.get("/services?stale=1").get_data(as_text=True)
    assert "Clinique fraîche" not in only_stale and "Clinique ancienne" in only_stale


def test_filters_by_type_and_area_and_refuses_unknown_ones(client, people, login, uow):
    _add(uow, people["org_id"], "Centre Commune I", area="ML090101")
    _add(uow, people["org_id"], "Centre Kati", area="ML0201")
    _add(uow, people["org_id"], "Avocats", kind="legal_aid", area="ML09")
    login(people["caseworker"])
    html = client.get("/services?area=ML09").get_data(as_text=True)
    assert "Centre Commune I" in html and "Avocats" in html and "Centre Kati" not in html
    html = client.get("/services?type=legal_aid").get_data(as_text=True)
    assert "Avocats" in html and "Centre Kati" not in html
    for query in ("type=magic", "area=NOWHERE"):
        response = client.get(f"/services?{query}")
        assert response.status_code == 400
        assert "Choose a service type and an area from the lists." in response.get_data(as_text=True)


def test_case_workers_read_and_export_but_do_not_manage(client, people, login, uow):
    service_id = _add(uow, people["org_id"], "Clinique")
    login(people["caseworker"])
    html = client.get("/services").get_data(as_text=True)
    assert "Clinique" in html and "Verified today" not in html and "Import a CSV file" not in html
    assert client.get("/services/export.csv").status_code == 200
    token = _token(client)
    for path in ("/services/new", f"/services/{service_id}/edit", f"/services/{service_id}/verify",
                 f"/services/{service_id}/deactivate", "/services/import"):
        response = client.post(path, data={"csrf_token": token, "provider_name": "x", "service_type": "health"})
        assert response.status_code == 403, path
    assert client.get("/services/new").status_code == 403
    with uow() as session:
        service = session.get(Service, service_id)
        assert (service.provider_name, service.is_active, service.last_verified_at) == ("Clinique", True, None)


def test_focal_points_get_a_clear_403_and_anonymous_visitors_the_login(client, people, login):
    assert client.get("/services").status_code == 302
    login(people["focal"])
    response = client.get("/services")
    assert response.status_code == 403
    assert "réservé aux superviseurs, aux agents sociaux et aux administrateurs" in response.get_data(as_text=True)
    assert client.get("/services/export.csv").status_code == 403


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_and_admins_add_edit_verify_and_deactivate(client, people, login, uow, who):
    login(people[who])
    response = _post(client, "/services/new", {"provider_name": "Clinique Sud", "service_type": "health",
                                               "area_code": "ML0201", "contact": "+223 70 00 00 02",
                                               "verified_today": "1"}, token_from="/services/new")
    assert response.status_code == 302 and response.location.endswith("/services")
    with uow() as session:
        service = session.scalar(select(Service))
        assert (service.provider_name, service.contact, service.organisation_id) == (
            "Clinique Sud", "+223 70 00 00 02", people["org_id"])
        assert service.last_verified_at is not None
        service.last_verified_at = None
        service_id = service.id
    html = client.get("/services").get_data(as_text=True)
    saved = "Le répertoire des services est enregistré." if who == "supervisor" else "The service directory is saved."
    assert saved in html
    edit_page = f"/services/{service_id}/edit"
    assert 'value="Clinique Sud"' in client.get(edit_page).get_data(as_text=True)
    assert _post(client, edit_page, {"provider_name": "Clinique du Sud", "service_type": "legal_aid",
                                     "area_code": ""}, token_from=edit_page).status_code == 302
    assert _post(client, f"/services/{service_id}/verify", {"back": "/services?type=legal_aid"}).location == (
        "/services?type=legal_aid")
    asked = _post(client, f"/services/{service_id}/deactivate", {"back": "https://evil.example/"})
    assert asked.status_code == 200 and "<form class=\"confirm\"" in asked.get_data(as_text=True)
    with uow() as session:
        assert session.get(Service, service_id).is_active  # nothing changes until it is confirmed
    assert _post(client, f"/services/{service_id}/deactivate", {"back": "https://evil.example/",
                                                                 "confirmed": "1"}).location == "/services"
    with uow() as session:
        service = session.get(Service, service_id)
        assert (service.provider_name, service.service_type, service.area_location_id, service.is_active) == (
            "Clinique du Sud", "legal_aid", None, False)
        assert service.last_verified_at is not None
    assert "Clinique du Sud" not in client.get("/services").get_data(as_text=True)
    assert "Clinique du Sud" in client.get("/services?inactive=1").get_data(as_text=True)


def test_a_bad_entry_comes_back_with_the_reason_not_a_500(client, people, login, uow):
    login(people["supervisor"])
    for data, reason in [
        ({"provider_name": " ", "service_type": "health"}, "le nom du prestataire est obligatoire"),
        ({"provider_name": "x", "service_type": "health", "area_code": "NOWHERE"}, "code de zone inconnu"),
        ({"provider_name": "x", "service_type": "health", "provider_organisation": "zzz"},
         "organisation prestataire inconnue"),
        ({"provider_name": "x", "service_type": "magic"}, "unknown service type"),
        ({"provider_name": "x" * 300, "service_type": "health"}, "dépasse 200 caractères"),
    ]:
        response = _post(client, "/services/new", data, token_from="/services/new")
        assert response.status_code == 400
        assert reason in response.get_data(as_text=True)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0
    assert client.get("/services/not-an-id/edit").status_code == 404


def test_another_organisations_entries_stay_out_of_sight_and_reach(client, people, login, uow):
    with uow() as session:
        other = make_organisation(session)
    theirs = _add(uow, other.id, "Leur clinique")
    login(people["supervisor"])
    assert "Leur clinique" not in client.get("/services").get_data(as_text=True)
    assert "Leur clinique" not in client.get("/services/export.csv").get_data(as_text=True)
    assert client.get(f"/services/{theirs}/edit").status_code == 404
    assert _post(client, f"/services/{theirs}/deactivate", {}).status_code == 404


def _upload(client, text: bytes, name="services.csv"):
    return _post(client, "/services/import", {"file": (io.BytesIO(text), name)},
                 content_type="multipart/form-data")


def test_csv_round_trip_through_the_pages(client, people, login, uow):
    login(people["supervisor"])
    original = (f"\ufeff{HEADER}\r\n"
                "Clinique Sud,health,ML090101,+223 70 00 00 03,2026-11-01\r\n"
                "\"Avocats, Bamako\",legal_aid,,avocats@example.org,\r\n").encode("utf-8")
    response = _upload(client, original)
    assert response.status_code == 302
    assert "Import terminé : 2 ajoutés, 0 mis à jour." in client.get("/services").get_data(as_text=True)
    exported = client.get("/services/export.csv")
    assert exported.mimetype == "text/csv" and "attachment" in exported.headers["Content-Disposition"]
    assert exported.get_data() == original[3:]  # the same file, without the byte-order mark
    assert _upload(client, exported.get_data()).status_code == 302
    assert "0 ajoutés, 2 mis à jour" in client.get("/services").get_data(as_text=True)
    assert client.get("/services/export.csv").get_data() == exported.get_data()
    with uow() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("services.%"),
                                                                  AuditEvent.action != "services.viewed")).all()
        assert sorted(actions) == ["services.exported"] * 2 + ["services.imported"] * 2


def test_a_bad_file_imports_nothing_and_lists_the_lines_to_correct(client, people, login, uow):
    login(people["supervisor"])
    bad = (f"{HEADER}\nClinique,health,,,\nClinique,magic,ML09,,31/12/2025\n,health,,,\n").encode()
    response = _upload(client, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Rien n&#39;a été importé" in html
    for line in ("Ligne 3 : type de service inconnu « magic ».",
                 "Ligne 3 : « 31/12/2025 » n&#39;est pas une date écrite AAAA-MM-JJ.",
                 "Ligne 4 : provider_name est obligatoire."):
        assert line in html
    for text, shown in [(b"\xff\xfe garbage", "Ligne 1 : le fichier ne peut pas être lu comme un CSV en UTF-8."),
                        (b"a,b\n1,2\n", "la première ligne doit nommer les colonnes " + HEADER)]:
        response = _upload(client, text)
        assert response.status_code == 400 and shown in response.get_data(as_text=True)
    response = _post(client, "/services/import", {})
    assert response.status_code == 400 and "Choisissez un fichier CSV à importer." in response.get_data(as_text=True)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0


def test_a_file_too_large_for_the_page_gets_a_clear_413(client, people, login):
    login(people["supervisor"])
    response = _upload(client, (HEADER + "\n" + "Clinique,health,,,\n" * 5000).encode())
    assert response.status_code == 413
    assert "ne peut dépasser 64 ko" in response.get_data(as_text=True)


def test_cli_import_and_export(app, people, uow, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "services.csv"
    good.write_text(f"{HEADER}\nClinique Sud,health,ML09,,2026-11-01\n", encoding="utf-8-sig")
    result = runner.invoke(args=["services", "import", str(good), "--org", people["org_slug"]])
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nClinique,magic,,,\nX,health,NOWHERE,,\n", encoding="utf-8")
    result = runner.invoke(args=["services", "import", str(bad), "--org", people["org_slug"]])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "line 2: unknown service type 'magic'" in result.output
    assert "line 3: unknown area code 'NOWHERE'" in result.output
    assert "nothing imported: 2 problem(s)" in result.output
    result = runner.invoke(args=["services", "export", "--org", people["org_slug"]])
    assert result.exit_code == 0
    assert result.output.splitlines() == [HEADER, "Clinique Sud,health,ML09,,2026-11-01"]
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["services", "export", "--org", people["org_slug"], "--output", str(out)])
    assert result.exit_code == 0 and "Exported 1 entries" in result.output
    assert out.read_text(encoding="utf-8").splitlines() == [HEADER, "Clinique Sud,health,ML09,,2026-11-01"]
    result = runner.invoke(args=["services", "export", "--org", "nope"])
    assert result.exit_code == 1 and "organisation 'nope' does not exist" in result.output
    not_utf8 = tmp_path / "latin1.csv"
    not_utf8.write_bytes(f"{HEADER}\nCliniqué,health,,,\n".encode("latin-1"))
    result = runner.invoke(args=["services", "import", str(not_utf8), "--org", people["org_slug"]])
    assert result.exit_code == 1 and "line 1: the file cannot be read as UTF-8 CSV" in result.output


def test_nav_links_follow_the_role(client, people, login):
    login(people["caseworker"])
    html = client.get("/services").get_data(as_text=True)
    assert 'href="/services"' in html and 'href="/transfers"' not in html
    login(people["supervisor"])
    html = client.get("/services").get_data(as_text=True)
    assert 'href="/services"' in html and 'href="/transfers"' in html


SLICE_FILES = [
    ("app/directory/**.py", "python"), ("app/cases/**.py", "python"),
    ("app/templates/directory/**.html", "jinja2"), ("app/templates/cases/**.html", "jinja2"),
]


def test_every_string_of_these_pages_has_a_french_translation_and_every_type_a_label():
    from app.cases.labels import REFERRAL_STATUS
    from app.directory.labels import SERVICE_TYPE_LABELS
    from casecore import taxonomy

    assert set(SERVICE_TYPE_LABELS) == set(taxonomy.SERVICE_TYPES)
    assert set(REFERRAL_STATUS) == set(taxonomy.REFERRAL_STATUSES)
    assert_in_web_catalogues(SLICE_FILES)


def test_an_entry_for_a_commune_keeps_its_area_when_edited(client, people, login, uow):
    service_id = _add(uow, people["org_id"], "Centre Commune I", area="ML090101")
    login(people["supervisor"])
    html = client.get(f"/services/{service_id}/edit").get_data(as_text=True)
    assert '<option value="ML090101" selected>— Commune I</option>' in html
    assert '<option value="ML0901">— District de Bamako</option>' in html
