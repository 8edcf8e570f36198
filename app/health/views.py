"""/healthz and /readyz: no login, no audit, no rate limit, no session cookie; JSON naming each part checked.

Both are raw routes (app.web.dispatch) for the plain GET a load balancer sends every few seconds: no request
context, hooks nor session. A Flask view under the same URL answers what the raw route leaves (HEAD, and deep
readiness without the bearer token: a logged-in administrator's session is read there).
"""
from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, current_app, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.health.checks import check_database, check_processes, check_redis
from app.health.probes import Outcome, Probe, run_probes
from app.runtime import runtime
from app.web.dispatch import PlainAnswer, as_response
from casecore.people.roles import may_manage_people

# Every check of a request shares this deadline: a hung server makes a 503 within it, not a hung request.
READINESS_TIMEOUT = 1.5
PROBES = "relais.health_probes"
JSON = "application/json"
NO_STORE = (("Cache-Control", "no-store"),)
ALIVE = PlainAnswer('{"status": "alive"}\n', 200, NO_STORE, JSON)
FORBIDDEN = PlainAnswer(json.dumps({
    "status": "forbidden",
    "reason": "deep readiness is for administrators: log in as one, or send Authorization: Bearer <METRICS_TOKEN>",
}) + "\n", 403, NO_STORE, JSON)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def liveness():
    """The process answers (no I/O: a database or Redis outage is readiness's business, not a reason to restart)."""
    return as_response(ALIVE)


@bp.get("/readyz")
def readiness():
    """Readiness; deep readiness for an administrator or the bearer of METRICS_TOKEN, else 403 with the reason."""
    deep = wants_deep(request.query_string.decode("latin-1"))
    if deep and not bearer_is_valid(request.headers.get("Authorization", "")):
        try:
            administrator = _is_administrator()
        except SQLAlchemyError:
            # The session's account cannot be read: the database is down, which the plain readiness says.
            return as_response(readiness_answer(deep=False))
        if not administrator:
            return as_response(FORBIDDEN)
    return as_response(readiness_answer(deep))


def raw_readiness(environ: dict) -> PlainAnswer | None:
    """The raw route's readiness; deep without the token is left to the Flask view (a session to read)."""
    deep = wants_deep(environ.get("QUERY_STRING", ""))
    if deep and not bearer_is_valid(environ.get("HTTP_AUTHORIZATION", "")):
        return None
    return readiness_answer(deep)


def wants_deep(query: str) -> bool:
    """Whether the query asks for deep readiness (deep=1, true or yes)."""
    return any(name == "deep" and value.lower() in ("1", "true", "yes")
               for name, value in parse_qsl(query, keep_blank_values=True))


def bearer_is_valid(authorization: str) -> bool:
    """Whether the Authorization header carries METRICS_TOKEN (when one is set), compared in constant time."""
    expected = runtime().settings.METRICS_TOKEN
    scheme, _, given = authorization.partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                                 expected.encode())


def _is_administrator() -> bool:
    return bool(current_user.is_authenticated and may_manage_people(current_user.role))


def readiness_answer(deep: bool) -> PlainAnswer:
    """200 when every part checked is ok, else 503; the body names each part and what was found."""
    probes = current_app.extensions[PROBES]
    verdicts = run_probes(probes["deep" if deep else "plain"], READINESS_TIMEOUT)
    return PlainAnswer(readiness_body(verdicts), 200 if all(v.ok for v in verdicts.values()) else 503, NO_STORE,
                       JSON)


def readiness_body(verdicts: dict[str, Outcome]) -> str:
    """The JSON body: the status, each part's verdict, the failing parts, and the details deep readiness has."""
    failing = [name for name, verdict in verdicts.items() if not verdict.ok]
    body = {"status": "not ready" if failing else "ready",
            "checks": {name: verdict.said for name, verdict in verdicts.items()}}
    if failing:
        body["failing"] = failing
    details = {name: verdict.details for name, verdict in verdicts.items() if verdict.details is not None}
    if details:
        body["details"] = details
    return json.dumps(body) + "\n"


def init_app(app: Flask) -> None:
    """The blueprint, the raw routes when the app has them, and this app's probes (one running check each)."""
    relais = app.extensions["relais"]
    database = Probe(("database", "migrations"), lambda: check_database(relais))
    redis_probe = Probe(("redis",), lambda: check_redis(relais))
    processes = Probe(("workers", "scheduler"), lambda: check_processes(relais))
    app.extensions[PROBES] = {"plain": [database, redis_probe], "deep": [database, redis_probe, processes]}
    app.register_blueprint(bp)
    raw_routes = getattr(app, "raw_routes", None)
    if raw_routes is not None:
        raw_routes[("GET", "/healthz")] = lambda _environ: ALIVE
        raw_routes[("GET", "/readyz")] = raw_readiness
