"""The unit of work is one transaction on every database, savepoints included."""
import time

import pytest
from sqlalchemy import func, select

from casecore.people.models import Organisation


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


def test_on_sqlite_a_read_only_unit_of_work_reads_while_another_holds_the_write_lock(runtime):
    # Page views must not queue for the write lock (bench/case_pages.py): a writer holds it, a reader still reads.
    with runtime.unit_of_work() as writer:
        writer.add(Organisation(slug="uncommitted", name="A"))
        writer.flush()
        started = time.monotonic()
        with runtime.unit_of_work(read_only=True) as reader:
            assert reader.scalar(select(func.count(Organisation.id))) == 0
        assert time.monotonic() - started < 1
