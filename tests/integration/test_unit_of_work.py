"""The unit of work is one transaction on every database, savepoints included."""
import gc
import time
import uuid
import weakref

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from bootstrap import bootstrap
from casecore.people.models import Organisation
from tests.conftest import make_settings


class Boom(Exception):
    pass


def test_a_failure_after_a_savepoint_rolls_back_everything(any_db_runtime):
    with pytest.raises(Boom):
        with any_db_runtime.unit_of_work() as session:
            with session.begin_nested():
                session.add(Organisation(slug="inside-savepoint", name="A"))
            session.add(Organisation(slug="after-savepoint", name="B"))
            session.flush()
            raise Boom()
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(Organisation.id))) == 0


def test_a_rolled_back_savepoint_keeps_the_rest(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        session.add(Organisation(slug="kept", name="A"))
        session.flush()
        with pytest.raises(Boom):
            with session.begin_nested():
                session.add(Organisation(slug="dropped", name="B"))
                session.flush()
                raise Boom()
    with any_db_runtime.unit_of_work() as session:
        assert session.scalars(select(Organisation.slug)).all() == ["kept"]


def test_a_read_only_unit_of_work_keeps_nothing_and_leaves_what_it_read_readable(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        session.add(Organisation(slug="there", name="A"))
    with any_db_runtime.unit_of_work(read_only=True) as session:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == "there"))
        session.add(Organisation(slug="not-kept", name="B"))
    # Closed, not expired: a page renders what it read after the unit of work ended.
    assert organisation.name == "A"
    with any_db_runtime.unit_of_work() as session:
        assert session.scalars(select(Organisation.slug)).all() == ["there"]


def test_a_single_write_keeps_its_statement_and_nothing_of_one_that_failed(any_db_runtime):
    organisations = Organisation.__table__
    with any_db_runtime.single_write() as connection:
        connection.execute(insert(organisations).values(id=uuid.uuid4(), slug="kept", name="A"))
    with pytest.raises(IntegrityError):
        with any_db_runtime.single_write() as connection:
            connection.execute(insert(organisations).values(id=uuid.uuid4(), name="B"))  # no slug: refused
    with any_db_runtime.unit_of_work() as session:
        assert session.scalars(select(Organisation.slug)).all() == ["kept"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_single_write_commits_as_its_statement_ends(database_url, redis_url):
    # No BEGIN: another connection sees the row before the block ends, so the provider's acknowledgement (after
    # the block) always follows the commit.
    rt = bootstrap(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url))
    try:
        with rt.single_write() as connection:
            connection.execute(insert(Organisation.__table__).values(id=uuid.uuid4(), slug="seen", name="A"))
            assert connection.connection.driver_connection.info.transaction_status == TransactionStatus.IDLE
            with rt.unit_of_work(read_only=True) as other:
                assert other.scalars(select(Organisation.slug)).all() == ["seen"]
    finally:
        rt.close()


def test_a_pooled_connection_goes_back_to_transactions_after_a_single_write(any_db_runtime):
    # The same pooled connection next runs a unit of work: it must be one transaction again, all or nothing.
    with any_db_runtime.single_write() as connection:
        connection.execute(insert(Organisation.__table__).values(id=uuid.uuid4(), slug="first", name="A"))
    with pytest.raises(Boom):
        with any_db_runtime.unit_of_work() as session:
            session.add(Organisation(slug="rolled-back", name="B"))
            session.flush()
            raise Boom()
    with any_db_runtime.unit_of_work() as session:
        assert session.scalars(select(Organisation.slug)).all() == ["first"]
    assert any_db_runtime.engine.pool.checkedin() == 1  # one connection did both


def test_on_sqlite_a_read_only_unit_of_work_reads_while_another_holds_the_write_lock(runtime):
    # Page views must not queue for the write lock (bench/case_pages.py): a writer holds it, a reader still reads.
    with runtime.unit_of_work() as writer:
        writer.add(Organisation(slug="uncommitted", name="A"))
        writer.flush()
        started = time.monotonic()
        with runtime.unit_of_work(read_only=True) as reader:
            assert reader.scalar(select(func.count(Organisation.id))) == 0
        assert time.monotonic() - started < 1


def test_a_single_read_reads_while_another_holds_the_write_lock(any_db_runtime):
    # A USSD session's first screen reads the number's language this way: it must not queue for SQLite's write
    # lock, nor open a transaction block on PostgreSQL, and the pooled connection must go back to transactions.
    with any_db_runtime.unit_of_work() as writer:
        writer.add(Organisation(slug="uncommitted", name="A"))
        writer.flush()
        started = time.monotonic()
        with any_db_runtime.single_read() as reader:
            assert reader.scalar(select(func.count(Organisation.id))) == 0
            if reader.dialect.name == "postgresql":
                assert reader.connection.driver_connection.info.transaction_status == TransactionStatus.IDLE
        assert time.monotonic() - started < 1
    with pytest.raises(Boom):
        with any_db_runtime.unit_of_work() as session:
            session.add(Organisation(slug="rolled-back", name="C"))
            session.flush()
            raise Boom()
    with any_db_runtime.unit_of_work() as session:
        assert sorted(session.scalars(select(Organisation.slug))) == ["uncommitted"]


def test_the_sqlite_database_its_wal_and_the_media_files_are_readable_by_their_owner_only(tmp_path):
    import stat

    from sqlalchemy import text

    from casecore.db import make_engine
    from casecore.messaging.media_store import FileMediaStore
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'relais.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('Aminata')"))
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "data").iterdir()}
    assert modes == {"relais.db": 0o600, "relais.db-wal": 0o600, "relais.db-shm": 0o600}, modes
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    engine.dispose()
    store = FileMediaStore(tmp_path / "media")
    store.put(b"photo")
    assert stat.S_IMODE((tmp_path / "media").stat().st_mode) == 0o700


# -- pooled PostgreSQL connections closed under us -------------------------------------------------------------------

def _used_and_ended(engine, factory) -> None:
    """One unit of work, then its pooled connection ended by the server, as a PostgreSQL restart would (only this
    engine's: the test run's own connections to the database must live on)."""
    from sqlalchemy import create_engine, text

    from casecore import db

    with db.unit_of_work(factory) as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    admin = create_engine(engine.url)
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    time.sleep(0.2)  # the backend's goodbye reaches the pooled socket


def test_a_pooled_connection_that_sat_idle_is_pinged_and_replaced_when_closed(_postgres_schema, monkeypatch):
    from casecore import db

    engine = db.make_engine(_postgres_schema)
    factory = db.make_session_factory(engine)
    _used_and_ended(engine, factory)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it sat idle for long
    with db.unit_of_work(factory) as session:
        assert session.scalar(select(func.count(Organisation.id))) >= 0
    engine.dispose()


def test_a_pooled_connection_just_used_that_the_server_ended_is_pinged_and_replaced(_postgres_schema, monkeypatch):
    from casecore import db

    engine = db.make_engine(_postgres_schema)
    factory = db.make_session_factory(engine)
    _used_and_ended(engine, factory)  # a restart: the server ends each session with a message, then closes it
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # used just now: no ping for its age
    with db.unit_of_work(factory) as session:
        assert session.scalar(select(func.count(Organisation.id))) >= 0
    engine.dispose()


def test_a_pooled_connection_in_use_has_no_news_so_it_costs_no_ping(_postgres_schema):
    from casecore import db

    engine = db.make_engine(_postgres_schema)
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1").all()
        connection.commit()
        assert db._has_news(connection.connection.dbapi_connection) is False
    engine.dispose()


def test_a_runtime_replaced_is_freed_with_its_engine(sqlite_url, redis_url):
    # A process that builds runtime after runtime (the test suite: one a test) must not keep each one's engine, pool
    # and statement cache: the partners' event listeners once held every runtime for good.
    settings = make_settings(DATABASE_URL=sqlite_url, REDIS_URL=redis_url)
    first = bootstrap(settings)
    with first.unit_of_work() as session:
        session.add(Organisation(slug="replaced", name="A"))
    runtime, engine = weakref.ref(first), weakref.ref(first.engine)
    del first, session
    bootstrap(settings).close()  # the next runtime takes its place, as the next test's does
    gc.collect()
    assert runtime() is None and engine() is None
