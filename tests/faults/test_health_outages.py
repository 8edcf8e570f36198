"""Readiness while the database or Redis is down or hung: a 503 naming the failing part within the deadline (never a
hung request, a 500, a URL or a password), and ready again once it is back; liveness answers throughout."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest

from app import create_app
from app.health.views import READINESS_TIMEOUT
from tests.conftest import make_settings
from tests.factories import make_organisation, make_user
from tests.faults.test_database_down import SqliteOutage
from tests.servers import free_port
from tests.web.conftest import client_for as logged_in

PASSWORD = "s3cret-pw"
# The deadline, and a margin for a loaded machine.
PROMPTLY = READINESS_TIMEOUT + 1.0


@pytest.fixture
def app_on():
    """Apps built on given database and Redis URLs; their runtimes closed after the test."""
    apps = []

    def make(database_url: str, redis_url: str):
        apps.append(create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, METRICS_TOKEN="t" * 32)))
        return apps[-1]
    yield make
    for flask_app in apps:
        flask_app.extensions["relais"].close()


def timed_readiness(client, path: str = "/readyz", **kwargs):
    started = time.monotonic()
    answer = client.get(path, **kwargs)
    return answer, time.monotonic() - started


def test_with_the_database_down_readiness_names_it_and_comes_back_with_it(tmp_path, redis_url, app_on):
    database = SqliteOutage(tmp_path)
    client = app_on(database.url, redis_url).test_client()
    assert client.get("/readyz").status_code == 200
    client.application.extensions["relais"].engine.dispose()  # no pooled connection outlives the outage
    database.go_down()
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json() == {
            "status": "not ready", "failing": ["database", "migrations"],
            "checks": {"database": "unreachable (OperationalError)",
                       "migrations": "unknown: the database is unreachable", "redis": "ok"}}
        assert client.get("/healthz").status_code == 200
    finally:
        database.come_back()
    assert client.get("/readyz").status_code == 200


def test_a_database_server_refusing_connections_is_named_without_its_address_or_password(redis_url, app_on):
    port = free_port()  # nothing listens there
    client = app_on(f"postgresql+psycopg://relais:{PASSWORD}@127.0.0.1:{port}/relais", redis_url).test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    text = answer.get_data(as_text=True)
    assert answer.get_json()["checks"]["database"] == "unreachable (OperationalError)"
    assert PASSWORD not in text and str(port) not in text and "relais:" not in text


class SilentServer:
    """A TCP server that accepts connections and never says a word: a hung database server."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.socket.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.socket.close()
        for connection in self.held:
            connection.close()


def test_a_hung_database_gives_a_503_within_the_deadline_and_checks_do_not_pile_up(redis_url, app_on):
    server = SilentServer()
    try:
        client = app_on(f"postgresql+psycopg://relais:{PASSWORD}@127.0.0.1:{server.port}/relais", redis_url
                        ).test_client()
        answer, took = timed_readiness(client)
        assert answer.status_code == 503 and took < PROMPTLY, took
        assert answer.get_json()["checks"]["database"] == f"no answer within {READINESS_TIMEOUT:g} s"
        assert answer.get_json()["checks"]["redis"] == "ok"
        assert PASSWORD not in answer.get_data(as_text=True)
        threads = threading.active_count()
        for _ in range(5):  # a load balancer calling again while the first check still hangs
            answer, took = timed_readiness(client)
            assert answer.status_code == 503 and took < PROMPTLY, took
        assert threading.active_count() <= threads + 1  # the Redis check's thread, if still ending; no new hung one
        assert len(server.held) == 1
    finally:
        server.close()


def test_with_redis_down_readiness_names_it_and_comes_back_with_it(sqlite_url, own_redis, app_on):
    client = app_on(sqlite_url, own_redis.url).test_client()
    assert client.get("/readyz").status_code == 200
    own_redis.stop_for_now()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["failing"] == ["redis"]
    assert answer.get_json()["checks"]["redis"] == "unreachable (ConnectionError)"
    deep = client.get("/readyz?deep=1", headers={"Authorization": "Bearer " + "t" * 32}).get_json()
    assert deep["checks"]["workers"] == "unknown: Redis is unreachable (ConnectionError)"
    assert client.get("/healthz").status_code == 200
    own_redis.start_again()
    assert client.get("/readyz").status_code == 200


def test_a_hung_redis_gives_a_503_within_the_deadline(sqlite_url, own_redis, app_on):
    client = app_on(sqlite_url, own_redis.url).test_client()
    assert client.get("/readyz").status_code == 200
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    try:
        answer, took = timed_readiness(client)
        assert answer.status_code == 503 and took < PROMPTLY, took
        assert answer.get_json()["failing"] == ["redis"]
        answer, took = timed_readiness(client, "/readyz?deep=1", headers={"Authorization": "Bearer " + "t" * 32})
        assert answer.status_code == 503 and took < PROMPTLY, took
        assert answer.get_json()["failing"] == ["redis", "workers", "scheduler"]
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    deadline = time.monotonic() + 15  # the hung check's socket timeout (5 s) ends it; then a new one runs
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "not ready again after Redis came back"
        time.sleep(0.2)


def test_an_administrator_asking_deep_readiness_with_the_database_down_is_told_it_is_down(tmp_path, redis_url,
                                                                                           app_on):
    database = SqliteOutage(tmp_path)
    flask_app = app_on(database.url, redis_url)
    with flask_app.extensions["relais"].unit_of_work() as session:
        admin = make_user(session, make_organisation(session), role="admin").email
    client = logged_in(flask_app, admin)
    assert "workers" in client.get("/readyz?deep=1").get_json()["checks"]  # deep (503: no worker runs here)
    flask_app.extensions["relais"].engine.dispose()
    database.go_down()
    try:
        answer = client.get("/readyz?deep=1")  # the session's account cannot be read: no 500
        assert answer.status_code == 503
        assert answer.get_json()["failing"] == ["database", "migrations"]
    finally:
        database.come_back()
