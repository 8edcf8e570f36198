"""Builds what every entry point needs (engine, sessions, Redis, queue) from one Settings; nothing at import."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import cached_property

import redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from casecore.db import make_engine, make_session_factory, unit_of_work
from casecore.cache import Refreshing
from casecore.locations import PlaceDirectory, load_place_directory
from casecore.organisations import find_organisation
from settings import Settings


@dataclass
class Runtime:
    """The process's connections, built lazily: creating one opens nothing."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.DATABASE_URL)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def redis(self) -> redis.Redis:
        # Short timeouts: a webhook must still answer when Redis is slow or down.
        return redis.Redis.from_url(
            self.settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )

    @cached_property
    def queue(self) -> Queue:
        return Queue(self.settings.QUEUE_NAME, connection=self.redis)

    @cached_property
    def places(self) -> Refreshing[PlaceDirectory]:
        """The location menus, reread every PLACES_CACHE_SECONDS."""
        return Refreshing(load_place_directory, self.session_factory, self.settings.PLACES_CACHE_SECONDS)

    @cached_property
    def intake_organisation(self) -> Refreshing[uuid.UUID]:
        """The id of the organisation receiving community reports (DEFAULT_ORGANISATION, else the only one)."""
        slug = self.settings.DEFAULT_ORGANISATION
        return Refreshing(lambda session: find_organisation(session, slug).id, self.session_factory,
                          self.settings.PLACES_CACHE_SECONDS)

    def unit_of_work(self):
        """A transaction on the configured database."""
        return unit_of_work(self.session_factory)

    def close(self) -> None:
        """Release pooled connections (used by tests and after a fork)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """One log format for web, worker and scheduler; quiet the libraries that chatter at INFO."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # Alembic announces each of its plugins at INFO on every `db upgrade`; only the migrations themselves matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


_current: Runtime | None = None


def bootstrap(settings: Settings | None = None) -> Runtime:
    """The process-wide runtime; explicit settings replace it (tests, CLI with overrides)."""
    global _current
    if settings is not None:
        if _current is not None:
            _current.close()
        _current = Runtime(settings)
    elif _current is None:
        _current = Runtime(Settings.from_env())
    return _current
