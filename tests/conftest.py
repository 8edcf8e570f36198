"""Shared fixtures: a real Redis server, real databases (SQLite always, PostgreSQL when configured)."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from bootstrap import bootstrap
from casecore import schema, sealing
from casecore.migrate import upgrade_database
from settings import Settings
from tests.fakes.primero import FakePrimero
from tests.servers import RedisServer

# CI sets TEST_POSTGRES_URL (a server it started); locally PostgreSQL tests are skipped without it.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
# One data key for the whole run (not instance/'s), so what one test seals another process of the run can open.
TEST_DATA_KEY = "dGVzdC1kYXRhLWtleS10aGlydHktdHdvLWJ5dGVzISE="
TEST_SECRET = "test-secret"
# For the processes a test starts (worker, scheduler): the same keys as the test's own writes.
TEST_KEYS_ENV = {"SECRET_KEY": TEST_SECRET, "DATA_ENCRYPTION_KEY": TEST_DATA_KEY}
# Tests that write rows without a runtime (migrations, fixtures) seal them as a runtime would.
sealing.configure(sealing.Keyring.from_settings(TEST_DATA_KEY), TEST_SECRET)


@pytest.fixture(scope="session")
def redis_server():
    """One real redis-server for the whole run."""
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """A Redis URL on an emptied database."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def primero():
    """A fake Primero (CPIMS+) on 127.0.0.1, strict about the contract; the test ends with nothing it would refuse."""
    with FakePrimero() as fake:
        yield fake
    assert fake.violations == []


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'relais.db'}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def _postgres_schema():
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL must be set in CI: integration tests run on PostgreSQL too")
        pytest.skip("TEST_POSTGRES_URL not set")
    name = f"relais_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # One TRUNCATE of every table: rows referring to each other (a team's supervisor, a user's team) go
            # together, where DELETEs in any order would trip a foreign key.
            names = ", ".join(f'"{table.name}"' for table in schema.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names}"))
        else:
            for table in reversed(schema.metadata.sorted_tables):
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def sqlite_url(_sqlite_schema):
    """A migrated, empty SQLite database."""
    _empty(_sqlite_schema)
    return _sqlite_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """A migrated, empty database: each test using it runs on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("_sqlite_schema" if request.param == "sqlite" else "_postgres_schema")
    _empty(url)
    return url


def make_settings(**overrides) -> Settings:
    """Settings for tests: nothing read from the environment but what is given."""
    # No indicators counted in the background unless a test asks: sweeps enqueue only what the test is about.
    # The tests are a development machine: the web process starts without AT_WEBHOOK_TOKEN unless a test says not.
    base = dict(SECRET_KEY=TEST_SECRET, DATA_ENCRYPTION_KEY=TEST_DATA_KEY, SMS_BACKEND="console",
                DEFAULT_REGION="ML", DEFAULT_LANGUAGE="fr", INDICATORS_REFRESH_MINUTES=0, DEVELOPMENT=True,
                LOCKOUT_REFRESH_SECONDS=0, RETENTION_DAILY=False)
    base.update(overrides)
    return Settings.from_env({}, **base)


@pytest.fixture
def runtime(sqlite_url, redis_url):
    """The process runtime on SQLite and a real Redis."""
    rt = bootstrap(make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url))
    yield rt
    rt.close()


@pytest.fixture
def any_db_runtime(database_url, redis_url):
    """The process runtime on each database in turn, with a real Redis."""
    rt = bootstrap(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url))
    yield rt
    rt.close()
