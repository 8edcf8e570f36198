"""/healthz and /readyz as a load balancer and an administrator call them: JSON naming each part, 503 naming the
failing one, the schema against this code's migrations, deep readiness from the workers' and scheduler's heartbeats;
never a login, a cookie, an audit row or a rate limit."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, func, select, text

from app import create_app
from casecore.audit import AuditEvent
from casecore.migrate import code_revisions, upgrade_database
from casecore.partners.models import ApiCall
from tests.conftest import make_settings
from tests.factories import make_organisation, make_user
from tests.web.conftest import client_for
from workers.heartbeats import SCHEDULER, WORKER, beat
from workers.queueing import PRIORITIES, queue_name

TOKEN = "monitoring-token-0123456789-abcdefghijkl"  # METRICS_TOKEN has 32 characters or more
BEARER = {"Authorization": f"Bearer {TOKEN}"}
WRONG_BEARER = {"Authorization": "Bearer x"}
QUEUES = [queue_name("relais", priority) for priority in PRIORITIES]


@pytest.fixture
def app(database_url, redis_url):
    """The app on each database in turn, every rate limit a health check could trip set very low."""
    flask_app = create_app(make_settings(
        DATABASE_URL=database_url, REDIS_URL=redis_url, METRICS_TOKEN=TOKEN, RATE_LIMIT_PER_SOURCE="2/60",
        RATE_LIMIT_AUTH_FAILURES_PER_SOURCE="2/600", RATE_LIMIT_API_AUTH_FAILURES_PER_SOURCE="2/600",
        RATE_LIMIT_LOGIN_FAILURES_PER_SOURCE="2/900"))
    yield flask_app
    flask_app.extensions["relais"].close()


def app_on(database_url: str, redis_url: str, **overrides):
    return create_app(make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, **overrides))


def test_liveness_answers_without_touching_the_database_or_redis(tmp_path):
    # Nothing answers at either address: liveness says the process answers, and only that.
    flask_app = app_on(f"sqlite:///{tmp_path}/missing/none.db", "redis://127.0.0.1:1/0")
    for answer in (flask_app.test_client().get("/healthz"), flask_app.test_client().head("/healthz")):
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in answer.headers
    assert flask_app.test_client().get("/healthz").get_json() == {"status": "alive"}
    assert not (tmp_path / "missing").exists()


def test_readiness_names_each_part_checked(client):
    # Alembic's first load in this process is not what this test is about: on a loaded machine it alone can pass the
    # 1.5 s every check shares (the deadline has its own tests in tests/faults/test_health_outages.py).
    code_revisions()
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.get_json() == {"status": "ready",
                                 "checks": {"database": "ok", "migrations": "ok", "redis": "ok"}}
    assert answer.headers["Cache-Control"] == "no-store"
    assert client.head("/readyz").status_code == 200


def test_health_calls_are_never_rate_limited_never_set_a_cookie_and_are_never_audited(app, client):
    rt = app.extensions["relais"]
    with rt.unit_of_work() as session:
        organisation = make_organisation(session)
        make_user(session, organisation, role="admin")
    with rt.unit_of_work() as session:
        before = (session.scalar(select(func.count()).select_from(AuditEvent)),
                  session.scalar(select(func.count()).select_from(ApiCall)))
    statuses = set()
    for _ in range(25):  # the limits above allow 2
        for answer in (client.get("/healthz"), client.get("/readyz"), client.head("/readyz"),
                       client.get("/readyz?deep=1"), client.get("/readyz?deep=1", headers=WRONG_BEARER),
                       client.get("/readyz?deep=1", headers=BEARER)):
            statuses.add(answer.status_code)
            assert "Set-Cookie" not in answer.headers
    assert statuses == {200, 403, 503}  # 503: deep readiness without any worker (below)
    with rt.unit_of_work() as session:
        after = (session.scalar(select(func.count()).select_from(AuditEvent)),
                 session.scalar(select(func.count()).select_from(ApiCall)))
    assert after == before
    assert client.get_cookie("session") is None


def test_a_database_behind_this_codes_migrations_is_not_ready_and_says_how_to_upgrade(tmp_path, redis_url):
    url = f"sqlite:///{tmp_path}/old.db"
    (head,) = code_revisions().heads
    older = f"{int(head) - 1:04d}"
    upgrade_database(url, older)
    answer = app_on(url, redis_url).test_client().get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "not ready" and body["failing"] == ["migrations"]
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert body["checks"]["migrations"].startswith(f"behind: the database is at {older}, this code at {head}; ")
    assert "flask --app app db upgrade" in body["checks"]["migrations"]


def test_a_database_without_any_migration_is_not_ready(tmp_path, redis_url):
    url = f"sqlite:///{tmp_path}/empty.db"
    create_engine(url).connect().close()  # the file, no table
    body = app_on(url, redis_url).test_client().get("/readyz").get_json()
    assert body["failing"] == ["migrations"]
    assert body["checks"]["migrations"].startswith("no revision readable (OperationalError): run `flask --app app db")


def test_a_database_a_newer_release_migrated_keeps_the_previous_release_in_the_pool(tmp_path, redis_url):
    # The release process migrates before web processes restart: the old ones must not all leave the pool at once.
    url = f"sqlite:///{tmp_path}/newer.db"
    upgrade_database(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    answer = app_on(url, redis_url).test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["checks"]["migrations"].startswith("ahead: the database is at 9999, which this code")


# -- deep readiness ---------------------------------------------------------------------------------------------

def test_deep_readiness_is_refused_with_a_reason_to_anyone_but_an_administrator_or_the_tokens_bearer(app, client):
    rt = app.extensions["relais"]
    with rt.unit_of_work() as session:
        organisation = make_organisation(session)
        supervisor = make_user(session, organisation, role="supervisor").email
        admin = make_user(session, organisation, role="admin").email
    for who, headers in ((client, {}), (client, {"Authorization": "Bearer wrong"}),
                         (client, {"Authorization": f"Basic {TOKEN}"}), (client_for(app, supervisor), {})):
        answer = who.get("/readyz?deep=1", headers=headers)
        assert answer.status_code == 403, headers
        assert answer.get_json()["reason"].startswith("deep readiness is for administrators: log in as one, or ")
    # deep=0 is the plain readiness, for anyone.
    assert client.get("/readyz?deep=0").get_json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}
    for who, headers in ((client, BEARER), (client_for(app, admin), {})):
        checks = who.get("/readyz?deep=1", headers=headers).get_json()["checks"]
        assert set(checks) == {"database", "migrations", "redis", "workers", "scheduler"}


def test_without_a_token_setting_no_bearer_opens_deep_readiness(sqlite_url, redis_url):
    client = app_on(sqlite_url, redis_url).test_client()
    for headers in ({"Authorization": "Bearer "}, {"Authorization": "Bearer"}, {}):
        assert client.get("/readyz?deep=1", headers=headers).status_code == 403


def worker_beats(rt, name: str, queues: list[str], listening: bool = True) -> None:
    """What a worker process writes every few seconds (workers/worker.py)."""
    beat(rt.redis, "relais", WORKER, {"process": name, "queues": queues, "started_at": time.time() - 60,
                                      "listening": listening})


def scheduler_beats(rt, name: str, swept_ago: float | None, started_ago: float = 3600) -> None:
    """What a scheduler process writes (workers/scheduler.py), its last sweep that many seconds ago."""
    record = {"process": name, "started_at": time.time() - started_ago, "interval": 30}
    if swept_ago is not None:
        record["last_sweep_at"] = time.time() - swept_ago
    beat(rt.redis, "relais", SCHEDULER, record)


def test_deep_readiness_says_which_worker_listens_on_each_queue_and_when_the_last_sweep_ended(app, client):
    rt = app.extensions["relais"]
    body = client.get("/readyz?deep=1", headers=BEARER).get_json()
    assert body["failing"] == ["workers", "scheduler"]
    assert body["checks"]["workers"] == (f"no worker listens on {', '.join(QUEUES)} (no heartbeat in the last 35 s)")
    assert body["checks"]["scheduler"] == "no scheduler is running (no heartbeat in the last 35 s)"

    worker_beats(rt, "host-a:11", QUEUES)
    worker_beats(rt, "host-b:12", QUEUES[:1])
    scheduler_beats(rt, "host-a:13", swept_ago=5)
    answer = client.get("/readyz?deep=1", headers=BEARER)
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert body["checks"]["workers"] == "ok: relais-alerts 2, relais-replies 1, relais 1"
    assert body["details"]["workers"] == {"relais-alerts": ["host-a:11", "host-b:12"], "relais-replies": ["host-a:11"],
                                          "relais": ["host-a:11"]}
    assert body["checks"]["scheduler"].startswith("ok: last sweep ended 20")
    assert [s["process"] for s in body["details"]["scheduler"]] == ["host-a:13"]


def test_deep_readiness_fails_for_a_queue_nobody_listens_on_and_for_a_late_sweep(app, client):
    rt = app.extensions["relais"]
    worker_beats(rt, "host-a:11", QUEUES[:2])
    worker_beats(rt, "host-a:12", QUEUES, listening=False)  # waiting for Redis to come back: not listening
    scheduler_beats(rt, "host-a:13", swept_ago=600)
    answer = client.get("/readyz?deep=1", headers=BEARER)
    body = answer.get_json()
    assert answer.status_code == 503
    assert body["failing"] == ["workers", "scheduler"]
    assert body["checks"]["workers"].startswith("no worker listens on relais (")
    assert body["checks"]["scheduler"].startswith("late: last sweep ended ")
    assert body["checks"]["scheduler"].endswith("(600 s ago); late after 150 s")


def test_a_scheduler_just_started_is_given_time_for_its_first_sweep(app, client):
    rt = app.extensions["relais"]
    worker_beats(rt, "host-a:11", QUEUES)
    scheduler_beats(rt, "host-a:13", swept_ago=None, started_ago=10)
    body = client.get("/readyz?deep=1", headers=BEARER).get_json()
    assert body["checks"]["scheduler"] == "ok: started 10 s ago, first sweep under way"
    scheduler_beats(rt, "host-a:13", swept_ago=None, started_ago=1000)
    body = client.get("/readyz?deep=1", headers=BEARER).get_json()
    assert body["checks"]["scheduler"] == "late: no sweep ended since the scheduler started 1000 s ago"
