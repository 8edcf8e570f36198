"""Migrations bring an older database to the current schema without losing what it holds."""
from sqlalchemy import create_engine, inspect, text

from casecore.migrate import upgrade_database


def test_an_older_database_is_upgraded_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, slug, name, created_at) "
                          "VALUES ('0f3b3a4c9d7e4b1f8a2c5d6e7f809112', 'old', 'Old', '2026-01-01 00:00:00')"))
    upgrade_database(url)
    assert "claimed_at" in {c["name"] for c in inspect(engine).get_columns("outbound_message")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT slug FROM organisation")).scalar_one() == "old"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"
    engine.dispose()
