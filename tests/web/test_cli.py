"""The flask CLI: schema upgrade, demo data, staff accounts and location import."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, inspect, select

from app import create_app
from casecore.accounts.users import authenticate
from casecore.demo import DEMO_SLUG
from casecore.people.locations import load_place_directory
from casecore.people.models import Location, Organisation, Team, User
from tests.conftest import make_settings
from tests.factories import make_organisation


@pytest.fixture
def cli(app):
    """Run a `flask --app app ...` command line against the test app."""
    runner = app.test_cli_runner()
    return lambda *args, input=None: runner.invoke(args=list(args), input=input)


@pytest.fixture
def org(uow):
    with uow() as session:
        return make_organisation(session).slug


def _no_traceback(result):
    assert result.exc_info is None or result.exc_info[0] is SystemExit, result.exc_info
    assert "Traceback" not in result.output


def test_db_upgrade_creates_the_schema_in_an_empty_file(tmp_path, redis_url):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app(make_settings(DATABASE_URL=url, REDIS_URL=redis_url))
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
        engine.dispose()
        assert {"organisation", "user_account", "report", "location", "audit_event", "alembic_version"} <= tables
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    finally:
        app.extensions["relais"].close()


def test_demo_loads_once_and_can_run_again(cli, uow):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    with uow() as session:
        counts = (
            session.scalar(select(func.count()).select_from(Organisation)),
            session.scalar(select(func.count()).select_from(Location)),
            session.scalar(select(func.count()).select_from(User)),
        )
        # What migration 0037 named an older demo's account: the demo gives it its name again.
        session.scalar(select(User).where(User.email == "agent@demo.relais.example")).display_name = "Agent"
    second = cli("demo")
    assert second.exit_code == 0, second.output
    with uow() as session:
        assert counts == (
            session.scalar(select(func.count()).select_from(Organisation)),
            session.scalar(select(func.count()).select_from(Location)),
            session.scalar(select(func.count()).select_from(User)),
        )
    assert counts[0] == 1 and counts[2] == 5
    assert "superviseur@demo.relais.example" in first.output and "DEMONSTRATIONS ONLY" in first.output
    for login in ("agent@demo.relais.example", "agent2@demo.relais.example", "admin@demo.relais.example",
                  "plaintes@demo.relais.example"):
        assert login in first.output and login in second.output
    assert "Awa Diallo <agent@demo.relais.example>" in second.output
    with uow() as session:
        assert sorted(session.scalars(select(User.display_name))) == [
            "Awa Diallo", "Fatoumata Sangaré", "Ibrahim Coulibaly", "Mariam Traoré", "Moussa Keïta"]


def test_demo_accounts_and_locations_are_usable(cli, uow):
    output = cli("demo").output
    with uow() as session:
        user = authenticate(session, "superviseur@demo.relais.example", "demo-triage-bamako")
        assert user is not None and user.role == "supervisor" and user.phone == "+22376000001"
        assert "demo-triage-bamako" in output
        assert authenticate(session, "agent@demo.relais.example", "demo-travail-social").role == "caseworker"
        assert authenticate(session, "agent2@demo.relais.example", "demo-travail-social-2").role == "caseworker"
        assert authenticate(session, "admin@demo.relais.example", "demo-gestion-comptes").role == "admin"
        assert authenticate(session, "plaintes@demo.relais.example", "demo-point-focal").role == "focal_point"
        assert user.organisation.slug == DEMO_SLUG
        directory = load_place_directory(session)
        regions = {place.name: place.code for place in directory.regions}
        assert set(regions) == {"Kayes", "Koulikoro", "Sikasso", "Ségou", "Mopti", "Tombouctou", "Gao", "Kidal",
                                "Taoudénit", "Ménaka", "Bamako"}
        communes = {name: directory.communes(code) for name, code in regions.items()}
        assert all(len(places) >= 3 for places in communes.values())
        assert max(len(places) for places in communes.values()) > 8
        assert [p.name for p in communes["Bamako"]] == [f"Commune {n}" for n in ("I", "II", "III", "IV", "V", "VI")]


def test_user_create_with_password(cli, org, uow):
    result = cli("user", "create", "Awa@Example.org", "--name", " Awa  Diallo", "--role", "supervisor", "--phone",
                 "76 70 14 30", "--password", "long enough pw", "--language", "en")
    assert result.exit_code == 0, result.output
    assert "Awa Diallo <awa@example.org>" in result.output and org in result.output
    with uow() as session:
        user = authenticate(session, "awa@example.org", "long enough pw")
        assert (user.display_name, user.role, user.phone, user.language) == ("Awa Diallo", "supervisor",
                                                                             "+22376701430", "en")


def test_user_create_prompts_for_a_hidden_password(cli, org, uow):
    result = cli("user", "create", "moussa@example.org", "--name", "Moussa Keïta", "--role", "caseworker",
                 "--phone", "+22366000001", input="typed secret pw\ntyped secret pw\n")
    assert result.exit_code == 0, result.output
    assert "typed secret pw" not in result.output
    with uow() as session:
        user = authenticate(session, "moussa@example.org", "typed secret pw")
        assert user is not None and user.language == "fr"


def test_user_create_in_a_named_organisation(cli, uow):
    with uow() as session:
        make_organisation(session, slug="first")
        make_organisation(session, slug="second")
    result = cli("user", "create", "a@example.org", "--name", "Adama Sissoko", "--role", "admin", "--phone",
                 "+22376000009", "--password", "long enough pw", "--org", "second")
    assert result.exit_code == 0, result.output
    with uow() as session:
        assert authenticate(session, "a@example.org", "long enough pw").organisation.slug == "second"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "boss", "--phone", "+22376000009"], "boss"),
        (["--role", "supervisor", "--phone", "12345"], "phone number"),
        (["--role", "supervisor", "--phone", "+22376000009", "--org", "nowhere"], "nowhere"),
        (["--role", "supervisor", "--phone", "+22376000009", "--language", "de"], "'de' is not one of"),
        (["--role", "supervisor", "--phone", "+22376000009", "--name", " "], "Give the account a name"),
        (["--role", "supervisor", "--phone", "+22376000009", "--name", "N" * 121], "at most 120 characters"),
    ],
)
def test_user_create_explains_bad_input_without_a_traceback(cli, org, uow, args, message):
    result = cli("user", "create", "x@example.org", "--name", "Oumar Cissé", *args, "--password", "long enough pw")
    assert result.exit_code != 0
    assert message in result.output
    _no_traceback(result)
    with uow() as session:
        assert session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_user_create_asks_for_the_name(cli, org):
    result = cli("user", "create", "x@example.org", "--role", "supervisor", "--phone", "+22376000009",
                 "--password", "long enough pw")
    assert result.exit_code == 2 and "--name" in result.output
    _no_traceback(result)


def test_user_create_refuses_short_passwords_and_duplicates(cli, org):
    short = cli("user", "create", "x@example.org", "--name", "Oumar Cissé", "--role", "supervisor", "--phone",
                "+22376000009", "--password", "short")
    assert short.exit_code == 1 and "at least 12" in short.output
    ok = ["--role", "supervisor", "--phone", "+22376000009", "--password", "long enough pw"]
    assert cli("user", "create", "x@example.org", "--name", "Oumar Cissé", *ok).exit_code == 0
    again = cli("user", "create", "X@example.org", "--name", "Oumar Cissé", *ok)
    assert again.exit_code == 1 and "already exists" in again.output
    _no_traceback(again)


def test_user_create_without_any_organisation(cli):
    result = cli("user", "create", "x@example.org", "--name", "Oumar Cissé", "--role", "supervisor", "--phone",
                 "+22376000009", "--password", "long enough pw")
    assert result.exit_code == 1 and "no organisation" in result.output
    _no_traceback(result)


def test_locations_import(cli, uow, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("\ufeffcode,name,level,parent_code\nML05,Mopti,1,\nML0501,Mopti,2,ML05\nML050101,Konna,3,ML0501\n",
                    encoding="utf-8")
    result = cli("locations", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "3 locations" in result.output
    with uow() as session:
        assert [p.name for p in load_place_directory(session).communes("ML05")] == ["Konna"]


def test_locations_import_reports_a_bad_line(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,level,parent_code\nML05,Mopti,9,\n", encoding="utf-8")
    result = cli("locations", "import", str(path))
    assert result.exit_code == 1 and "line 2" in result.output
    _no_traceback(result)


def _team_setup(cli, org):
    ok = ["--phone", "+22376000009", "--password", "long enough pw"]
    assert cli("user", "create", "chef@example.org", "--name", "Seydou Touré", "--role", "supervisor",
               *ok).exit_code == 0
    return ok


def test_team_create_and_user_create_in_the_team(cli, org, uow):
    ok = _team_setup(cli, org)
    result = cli("team", "create", "Équipe Ségou", "--supervisor", "Chef@Example.org", "--org", org)
    assert result.exit_code == 0, result.output
    assert "Équipe Ségou" in result.output and "chef@example.org" in result.output
    result = cli("user", "create", "awa@example.org", "--name", "Awa Diallo", "--role", "caseworker", "--phone",
                 "+22376000010", "--password", "long enough pw", "--team", "Équipe Ségou", "--sex", "female",
                 "--languages", "fr,bm")
    assert result.exit_code == 0, result.output
    assert "team 'Équipe Ségou'" in result.output
    with uow() as session:
        team = session.scalar(select(Team))
        user = authenticate(session, "awa@example.org", "long enough pw")
        assert (team.name, team.supervisor_id) == ("Équipe Ségou", authenticate(session, "chef@example.org",
                                                                                 ok[-1]).id)
        assert (user.team_id, user.sex, user.spoken_languages) == (team.id, "female", "fr,bm")


@pytest.mark.parametrize("args, message", [
    (["team", "create", "A", "--supervisor", "nobody@example.org"], "no account"),
    (["team", "create", "A", "--supervisor", "chef@example.org", "--org", "nowhere"], "nowhere"),
    (["team", "create", "A"], "--supervisor"),
    (["team", "create", " ", "--supervisor", "chef@example.org"], "Give the team a name"),
    (["team", "create", "A", "--supervisor", "agent@example.org"], "active supervisor"),
    (["team", "create", "Taken", "--supervisor", "chef@example.org"], "already exists"),
    (["user", "create", "x@example.org", "--name", "Oumar Cissé", "--role", "caseworker", "--team", "Nowhere"],
     "Nowhere"),
    (["user", "create", "x@example.org", "--name", "Oumar Cissé", "--role", "admin", "--team", "Taken"],
     "Only active case workers"),
    (["user", "create", "x@example.org", "--name", "Oumar Cissé", "--role", "caseworker", "--sex", "x"],
     "'x' is not one of"),
    (["user", "create", "x@example.org", "--name", "Oumar Cissé", "--role", "caseworker", "--languages", "fr,wo"],
     "fr, en and bm"),
])
def test_team_and_user_options_explain_bad_input_without_a_traceback(cli, org, uow, args, message):
    ok = _team_setup(cli, org)
    assert cli("user", "create", "agent@example.org", "--name", "Rokia Dembélé", "--role", "caseworker", "--phone",
               "+22376000011", "--password", "long enough pw").exit_code == 0
    assert cli("team", "create", "Taken", "--supervisor", "chef@example.org").exit_code == 0
    result = cli(*args, *(ok[2:] if args[0] == "user" else []),
                 *(["--phone", "+22376000012"] if args[0] == "user" else []))
    assert result.exit_code != 0
    assert message in result.output
    _no_traceback(result)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Team)) == 1
        assert session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_retention_purge_says_what_it_would_remove_then_removes_it(cli, org, uow):
    from datetime import timedelta

    from casecore.base import utcnow
    from casecore.messaging.models import UssdSessionEnd
    with uow() as session:
        session.add(UssdSessionEnd(session_id="ATUid_old", status="Success",
                                   received_at=utcnow() - timedelta(days=200)))
    dry = cli("retention", "purge", "--dry-run")
    assert dry.exit_code == 0 and "Would remove:" in dry.output and "ussd sessions: 1" in dry.output
    done = cli("retention", "purge")
    assert done.exit_code == 0 and "Removed:" in done.output and "ussd sessions: 1" in done.output
    assert "ussd sessions: 0" in cli("retention", "purge", "--dry-run").output


def test_keys_rotate_reseals_under_the_new_key_and_says_the_old_one_can_go(sqlite_url, redis_url, tmp_path):
    from casecore import sealing
    from casecore.messaging.models import CommunityContact
    from tests.conftest import TEST_DATA_KEY, TEST_SECRET
    before = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, MEDIA_DIR=str(tmp_path)))
    with before.extensions["relais"].unit_of_work() as session:
        session.add(CommunityContact(phone="+22376701430", language="bm"))
    before.extensions["relais"].media_store.put(b"a photo")
    new_key = sealing.new_key()
    app = create_app(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, MEDIA_DIR=str(tmp_path),
                                   DATA_ENCRYPTION_KEY=new_key, DATA_ENCRYPTION_OLD_KEYS=TEST_DATA_KEY))
    try:
        done = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch", "1"])
        assert done.exit_code == 0, done.output
        assert "community_contact: 1 rows" in done.output and "files: 1" in done.output
        assert "Nothing is left under an old key" in done.output
        again = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert again.exit_code == 0 and "community_contact" not in again.output and "files: 0" in again.output
    finally:
        app.extensions["relais"].close()
        before.extensions["relais"].close()
        sealing.configure(sealing.Keyring.from_settings(TEST_DATA_KEY), TEST_SECRET)
