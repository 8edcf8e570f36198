"""The unit of work is one transaction on every database, savepoints included."""
import pytest
from sqlalchemy import func, select

from casecore.models import Organisation


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
