"""Shared fixtures: a real Redis server, real databases (SQLite always, PostgreSQL when configured)."""
from __future__ import annotations

import fcntl
import gc
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.sql.ddl import sort_tables_and_constraints

from bootstrap import bootstrap
from casecore import schema, sealing
from casecore.base import Base
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


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory for every app this process builds: a test builds a new app, and
    compiling its pages again was a sixth of a web test's time. A template whose source changed is compiled anew."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


# create_app() starts from Flask's class-wide options (app/__init__.py adds its own to them).
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _CompiledTemplates()}


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


def pytest_configure(config):
    """A folder every process of the run shares (pytest-xdist's workers inherit the variable), for the migrated
    templates; the process that made it removes it, and the PostgreSQL template, at the end."""
    if not os.environ.get(SHARED_ENV):
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="relais-tests-")
        config.stash[_OWNS_SHARED] = True


def pytest_collection_finish(session):
    """What is there once the tests are collected (the modules, the tests, their parameters) lives for the whole run:
    out of the garbage collector's sight, which otherwise went over all of it again at every full collection. And a
    full collection at most every 100 middle ones (Python's default: 10): each goes over every live object, and only
    a full one frees a finished test's apps and runtimes (cycles that outlived the young generations)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(700, 10, 100)


def pytest_runtest_teardown(item, nextitem):
    """Empty the mappers' caches of compiled flush statements: SQLAlchemy keys them by dialect, and each test's
    runtime has an engine, and so a dialect, of its own; each entry (100 a mapper) kept a finished test's dialect and
    everything it had adapted alive, a third of a pytest worker's objects, for the collector to go over again and
    again. The next test's dialect would not find them anyway."""
    for mapper in Base.registry.mappers:
        mapper._compiled_cache.clear()


def pytest_unconfigure(config):
    if not config.stash.get(_OWNS_SHARED, False):
        return
    shared = Path(os.environ.pop(SHARED_ENV))
    template = shared / "postgres-template"
    if POSTGRES_URL and template.exists():
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{template.read_text()}" WITH (FORCE)'))
        admin.dispose()
    shutil.rmtree(shared, ignore_errors=True)


SHARED_ENV = "RELAIS_TEST_SHARED"
_OWNS_SHARED = pytest.StashKey[bool]()


@contextmanager
def _shared_lock() -> Iterator[Path]:
    """The run's shared folder, held by this process alone until the block ends."""
    shared = Path(os.environ[SHARED_ENV])
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield shared


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory):
    """This process's SQLite file: a copy of the run's migrated template (migrated by the first process to ask)."""
    path = tmp_path_factory.mktemp("db") / "relais.db"
    with _shared_lock() as shared:
        template = shared / "relais-template.db"
        if not template.exists():
            upgrade_database(f"sqlite:///{shared / 'migrating.db'}")
            (shared / "migrating.db").rename(template)
        source, copy = sqlite3.connect(template), sqlite3.connect(path)
        source.backup(copy)
        source.close()
        copy.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def _postgres_schema():
    """This process's PostgreSQL database: CREATE DATABASE ... TEMPLATE the run's migrated one (migrated once)."""
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL must be set in CI: integration tests run on PostgreSQL too")
        pytest.skip("TEST_POSTGRES_URL not set")
    name = f"relais_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with _shared_lock() as shared:
        made = shared / "postgres-template"
        if not made.exists():
            template = f"relais_template_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{template}"'))
            upgrade_database(_on_server(template))
            made.write_text(template)
        # Under the lock: PostgreSQL copies a template only while nobody else is connected to it.
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{made.read_text()}"'))
    url = _on_server(name)
    yield url
    if url in _engines:
        _engines.pop(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _on_server(name: str) -> str:
    """The URL of database name on the TEST_POSTGRES_URL server."""
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


# Every table, children first; and the foreign keys in a cycle (all nullable), set to NULL before the DELETEs.
_TABLES = [table.name for table in reversed(schema.metadata.sorted_tables)]
_CYCLIC = [(fk.table.name, [column.name for column in fk.columns])
           for table, fks in sort_tables_and_constraints(schema.metadata.tables.values()) if table is None
           for fk in fks]
_SQLITE_EMPTY = "PRAGMA synchronous=OFF; BEGIN; " + " ".join(f'DELETE FROM "{t}";' for t in _TABLES) + " COMMIT;"
_FILLED = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in _TABLES)
_engines: dict[str, Engine] = {}


def _empty(url: str) -> None:
    """Delete every row of every table (the schema and the migrations' version stay)."""
    if url.startswith("sqlite"):
        # Foreign keys are not enforced on this connection: any order. One script, one transaction, no fsync.
        connection = sqlite3.connect(make_url(url).database)
        connection.executescript(_SQLITE_EMPTY)
        connection.close()
        return
    engine = _engines.get(url) or _engines.setdefault(url, create_engine(url))
    with engine.begin() as conn:
        # DELETE where a test left rows: a TRUNCATE of all 50 tables costs PostgreSQL ~50 times as much.
        filled = set(conn.execute(text(_FILLED)).scalars())
        for table, columns in _CYCLIC:
            if table in filled:
                conn.execute(text(f'UPDATE "{table}" SET ' + ", ".join(f'"{c}" = NULL' for c in columns)))
        for table in _TABLES:
            if table in filled:
                conn.execute(text(f'DELETE FROM "{table}"'))


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
