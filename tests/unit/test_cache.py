"""Reference data cached per process: loaded once, reloaded after its time to live, errors not cached."""
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from casecore.cache import Refreshing


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def session_factory():
    return sessionmaker(create_engine("sqlite://"))


def test_loads_once_within_the_ttl_then_again(session_factory):
    clock, loads = Clock(), []
    cache = Refreshing(lambda session: loads.append(session) or len(loads), session_factory, ttl=60, clock=clock)
    assert cache.get() == 1
    clock.now += 59
    assert cache.get() == 1
    clock.now += 1
    assert cache.get() == 2


def test_a_failed_load_is_not_remembered(session_factory):
    attempts = []

    def load(session):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database down")
        return "ok"

    cache = Refreshing(load, session_factory, ttl=60, clock=Clock())
    with pytest.raises(RuntimeError):
        cache.get()
    assert cache.get() == "ok"
