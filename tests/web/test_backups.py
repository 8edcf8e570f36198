"""`flask --app app backup` and `restore`: back up, change data, restore, the change is gone and everything else is
there; a file that is not a backup, a backup sealed under another key, or a database still in use is refused."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from casecore import sealing
from casecore.backups import stamped_name
from casecore.migrate import migration_ids
from casecore.people.models import Organisation, User
from casecore.reports.models import Report
from tests.conftest import TEST_DATA_KEY, TEST_KEYS_ENV, TEST_SECRET, make_settings
from tests.factories import make_organisation, make_report, make_user

ROOT = Path(__file__).resolve().parents[2]
OTHER_KEY = "b3RoZXItZGF0YS1rZXktdGhpcnR5LXR3by1ieXRlcyE="


@pytest.fixture
def database(sqlite_url, tmp_path) -> Path:
    """A migrated, empty SQLite file of this test's own (a restore replaces it)."""
    path = tmp_path / "data" / "relais.db"
    path.parent.mkdir()
    source, copy = sqlite3.connect(sqlite_url.removeprefix("sqlite:///")), sqlite3.connect(path)
    source.backup(copy)
    source.close(), copy.close()
    return path


def app_on(database: Path, redis_url: str, **overrides):
    return create_app(make_settings(DATABASE_URL=f"sqlite:///{database}", REDIS_URL=redis_url, **overrides))


@pytest.fixture
def app(database, redis_url):
    flask_app = app_on(database, redis_url)
    yield flask_app
    flask_app.extensions["relais"].close()
    sealing.configure(sealing.Keyring.from_settings(TEST_DATA_KEY), TEST_SECRET)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def seed(app) -> str:
    """An organisation with a staff member (a sealed phone) and a report; the report's reference."""
    with app.extensions["relais"].unit_of_work() as session:
        org = make_organisation(session, slug="demo")
        make_user(session, org, role="supervisor", phone="+22376000001", display_name="Awa Diallo")
        return make_report(session, organisation_slug="demo").reference


def stopped(app) -> None:
    """As when the processes are stopped: no connection left open on the database."""
    app.extensions["relais"].engine.dispose()


def test_back_up_change_restore_the_change_is_gone_and_everything_else_is_there(app, database, tmp_path):
    reference = seed(app)
    backed_up = run(app, "backup", str(tmp_path / "copies" / "monday.db"))
    assert backed_up.exit_code == 0, backed_up.output
    assert "DATA_ENCRYPTION_KEY" in backed_up.output and "SECRET_KEY" in backed_up.output
    assert "MEDIA_DIR" in backed_up.output
    assert oct((tmp_path / "copies" / "monday.db").stat().st_mode & 0o777) == "0o600"
    with app.extensions["relais"].unit_of_work() as session:
        make_organisation(session, slug="made-after")
        session.scalars(select(Report)).one().description = "changed after the backup"
    stopped(app)

    restored = run(app, "restore", str(tmp_path / "copies" / "monday.db"), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Start the web, worker and scheduler processes again" in restored.output
    with app.extensions["relais"].unit_of_work() as session:
        assert sorted(session.scalars(select(Organisation.slug))) == ["demo"]
        report = session.scalars(select(Report)).one()
        assert report.reference == reference and report.description != "changed after the backup"
        user = session.scalars(select(User)).one()
        assert (user.display_name, user.phone) == ("Awa Diallo", "+22376000001")  # opened with the data key
    stopped(app)
    # The database it replaced is kept beside it, whole.
    [aside] = database.parent.glob("relais.db.before-restore-*")
    kept = sqlite3.connect(aside)
    assert kept.execute("SELECT count(*) FROM organisation WHERE slug = 'made-after'").fetchone() == (1,)
    kept.close()


def test_a_backup_is_consistent_while_another_process_writes(app, database, tmp_path):
    seed(app)
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM report")  # not committed when the copy is taken
    try:
        result = run(app, "backup", str(tmp_path))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    [copy] = tmp_path.glob("relais-*.db")  # a folder given: a dated file in it
    assert len(copy.name) == len(stamped_name())
    copied = sqlite3.connect(copy)
    assert copied.execute("SELECT count(*) FROM report").fetchone() == (1,)
    assert copied.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copied.close()


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    (tmp_path / "there.db").write_text("keep me")
    result = run(app, "backup", str(tmp_path / "there.db"))
    assert result.exit_code == 1 and "exists already" in result.output
    assert (tmp_path / "there.db").read_text() == "keep me"


def test_a_folder_named_with_its_slash_takes_a_dated_backup_each_night_even_before_it_exists(app, tmp_path):
    # docs/backups.md's cron line names /srv/backups/relais/: the first night must not write a file by that name.
    folder = tmp_path / "nightly"
    first = run(app, "backup", f"{folder}/")
    assert first.exit_code == 0, first.output
    assert folder.is_dir() and len(list(folder.glob("relais-*.db"))) == 1
    (next(folder.glob("relais-*.db"))).rename(folder / "relais-19990101T000000Z.db")  # the night before
    second = run(app, "backup", f"{folder}/")
    assert second.exit_code == 0, second.output
    assert len(list(folder.glob("relais-*.db"))) == 2


def test_a_folder_it_may_not_write_to_is_a_clear_error(app, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = run(app, "backup", str(tmp_path / "file" / "backup.db"))
    assert result.exit_code == 1 and "cannot write the backup" in result.output and "Traceback" not in result.output


def test_a_restore_is_refused_while_a_process_has_the_database_open(app, database, tmp_path):
    seed(app)
    assert run(app, "backup", str(tmp_path / "b.db")).exit_code == 0
    with app.extensions["relais"].unit_of_work() as session:
        make_organisation(session, slug="made-after")
    stopped(app)
    running = sqlite3.connect(database)  # a web or worker process's pooled connection
    running.execute("PRAGMA journal_mode=WAL")
    running.execute("SELECT count(*) FROM organisation").fetchone()
    try:
        result = run(app, "restore", str(tmp_path / "b.db"), "--yes")
    finally:
        running.close()
    assert result.exit_code == 1 and "is in use: stop the web, worker and scheduler processes" in result.output
    check = sqlite3.connect(database)
    assert check.execute("SELECT count(*) FROM organisation WHERE slug = 'made-after'").fetchone() == (1,)
    check.close()
    assert list(database.parent.glob("relais.db.before-restore-*")) == []


@pytest.mark.parametrize("kind, says", [
    ("text", "is not a SQLite database"),
    ("other sqlite", "is not a Relais database"),
    ("unknown migration", "is at migration 9999, which this version of Relais does not know"),
    ("missing", "there is no file at"),
])
def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(app, database, tmp_path, kind, says):
    seed(app)
    stopped(app)
    path = tmp_path / "not-a-backup.db"
    if kind == "text":
        path.write_text("SQLite format 3? no: a shopping list\n" * 50)
    elif kind == "other sqlite":
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE notes (body TEXT)")
        other.close()
    elif kind == "unknown migration":
        assert run(app, "backup", str(path)).exit_code == 0
        edited = sqlite3.connect(path)
        edited.execute("UPDATE alembic_version SET version_num = '9999'")
        edited.commit(), edited.close()
    before = database.read_bytes()
    result = run(app, "restore", str(path), "--yes")
    assert result.exit_code == 1 and says in result.output, result.output
    assert "Traceback" not in result.output
    assert database.read_bytes() == before


def test_a_backup_sealed_under_another_data_key_is_refused_naming_the_setting(database, redis_url, tmp_path):
    first = app_on(database, redis_url, DATA_ENCRYPTION_KEY=OTHER_KEY)
    try:
        seed(first)
        assert run(first, "backup", str(tmp_path / "b.db")).exit_code == 0
        stopped(first)
        second = app_on(database, redis_url)  # the deployment's key is not the backup's
        result = run(second, "restore", str(tmp_path / "b.db"), "--yes")
        assert result.exit_code == 1 and "sealed under a data key" in result.output
        assert "DATA_ENCRYPTION_KEY" in result.output
    finally:
        first.extensions["relais"].close()
        sealing.configure(sealing.Keyring.from_settings(TEST_DATA_KEY), TEST_SECRET)


def test_postgresql_is_backed_up_with_pg_dump_and_the_password_is_never_shown(redis_url):
    app = create_app(make_settings(DATABASE_URL="postgresql+psycopg://relais:s3cret@db.example:5432/relais",
                                   REDIS_URL=redis_url))
    result = run(app, "backup")
    assert result.exit_code == 1
    assert 'pg_dump --format=custom --file="relais-$(date -u +%Y%m%dT%H%M%SZ).dump" ' \
           '"postgresql://relais@db.example:5432/relais"' in result.output
    assert "pg_restore --clean" in result.output and "s3cret" not in result.output
    assert run(app, "restore", "x.dump", "--yes").exit_code == 1


def test_the_restore_drill_of_docs_backups_md_with_the_real_command_line(database, redis_url, tmp_path):
    # What an operator types (docs/backups.md "Practise a restore"), each command its own process.
    env = {**os.environ, **TEST_KEYS_ENV, "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": redis_url,
           "DEVELOPMENT": "true", "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "app"]

    def command(*args: str) -> str:
        done = subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    command("demo")
    command("backup", str(tmp_path / "drill.db"))
    changed = sqlite3.connect(database)
    changed.execute("DELETE FROM location")  # the change a restore must undo
    changed.commit(), changed.close()
    said = command("restore", str(tmp_path / "drill.db"), "--yes")
    assert f"(migration {migration_ids()[1]})" in command("backup", str(tmp_path / "after.db"))
    assert "Restored" in said
    restored = sqlite3.connect(database)
    assert restored.execute("SELECT count(*) FROM location").fetchone()[0] > 0
    assert restored.execute("SELECT count(*) FROM user_account").fetchone()[0] > 0
    restored.close()
