"""One API call: who is calling (bearer token), within its rate, with the scope the endpoint needs, its inputs
read against the declaration; a writing view runs in one unit of work with the call's audit line, a reading one in a
read-only unit of work (on SQLite it takes no write lock) and its audit line after; it answers JSON."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Response, current_app, g, request
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.inputs import read_body, read_headers, read_query
from app.api.problems import ApiProblem
from app.api.spec import Endpoint, Registry
from app.runtime import runtime
from app.web.paths import API_URL_PREFIX
from app.web.rate_limits import RateLimiter, parse_rate
from casecore.base import utcnow
from casecore.errors import CaseCoreError, Conflict, NotAllowed, NotFound
from casecore.partners.models import ApiCall
from casecore.partners.scopes import PERSONAL_DATA
from casecore.partners.tokens import TokenHolder, note_use, token_holder

log = logging.getLogger(__name__)

LIMITER = "relais.api_limiter"
# What a database that cannot be reached raises: a 503 to try again. Any other database error is a fault (500).
UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError)
PER_TOKEN = "api-token"
AUTH_FAILURES = "api-auth-failures"


@dataclass
class Call:
    """What a view gets: the caller, its inputs, the unit of work, and where to note the ids it returns."""

    holder: TokenHolder
    session: Session
    query: dict[str, Any]
    headers: dict[str, Any]
    body: Any
    object_ids: list[str] = field(default_factory=list)
    # Run once the call's unit of work has committed (enqueue a job about what it stored).
    then: list[Callable[[], Any]] = field(default_factory=list)

    def after_commit(self, action: Callable[[], Any]) -> None:
        self.then.append(action)

    @property
    def personal_data(self) -> bool:
        """Whether numbers, names and free text may be returned to this caller."""
        return self.holder.may(PERSONAL_DATA)


def limiter_for(rt) -> RateLimiter:
    """The API's rate limits, from the runtime's settings."""
    settings = rt.settings
    rates = {PER_TOKEN: parse_rate(settings.RATE_LIMIT_API_PER_TOKEN, "RATE_LIMIT_API_PER_TOKEN"),
             AUTH_FAILURES: parse_rate(settings.RATE_LIMIT_API_AUTH_FAILURES_PER_SOURCE,
                                       "RATE_LIMIT_API_AUTH_FAILURES_PER_SOURCE")}
    return RateLimiter(rates, lambda: rt.round_trips, prefix="relais:limit:api:")


def authenticate() -> None:
    """The blueprint's before-request hook: the token's holder in g.api_holder, or a 401/429 problem."""
    if request.endpoint in (None, "api.openapi", "api.docs"):
        return
    limiter: RateLimiter = current_app.extensions[LIMITER]
    source = request.remote_addr or "unknown"
    locked = limiter.check(watch=[(AUTH_FAILURES, source)])
    if locked is not None:
        raise ApiProblem("rate-limited", "too many calls with a wrong token from this address",
                         headers={"Retry-After": str(locked.retry_after)})
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    holder = None
    if scheme.lower() == "bearer" and presented.strip():
        try:
            with runtime().unit_of_work(read_only=True) as session:
                holder = token_holder(session, presented.strip())
            now = utcnow()
            if holder is not None and holder.use_to_note(now):
                with runtime().unit_of_work() as session:
                    note_use(session, holder, now)
        except UNREACHABLE as exc:
            log.error("API token not checked: %s", exc.__class__.__name__)
            raise ApiProblem("unavailable", "the database cannot be reached", headers={"Retry-After": "30"}) from None
    if holder is None:
        limiter.hit(AUTH_FAILURES, source)
        raise ApiProblem("unauthenticated", "send Authorization: Bearer <token>" if not presented.strip()
                         else "the token is unknown, revoked or malformed",
                         headers={"WWW-Authenticate": 'Bearer realm="relais"'})
    refused = limiter.check(hits=[(PER_TOKEN, str(holder.id))])
    if refused is not None:
        raise ApiProblem("rate-limited", "this token made too many calls; wait and try again",
                         headers={"Retry-After": str(refused.retry_after)})
    g.api_holder = holder


def serve(registry: Registry, endpoint: Endpoint) -> Callable[..., Response]:
    """The Flask view of a declared endpoint."""
    def view(**path_values: str) -> Response:
        holder: TokenHolder = g.api_holder
        template = f"{API_URL_PREFIX}{endpoint.path}"
        try:
            if not holder.may(endpoint.scope):
                raise ApiProblem("forbidden", f"this endpoint needs the {endpoint.scope} scope")
            query = read_query(endpoint, request.args)
            headers = read_headers(endpoint, request.headers)
            body = read_body(endpoint, registry, request.mimetype, request.get_data(cache=False)) \
                if endpoint.body is not None else None
            reading = endpoint.method == "GET"
            with runtime().unit_of_work(read_only=reading) as session:
                call = Call(holder, session, query, headers, body)
                status, payload, extra = _answer(endpoint.view(call, **path_values))
                audit = ApiCall(token_id=holder.id, method=request.method, endpoint=template, status=status,
                                object_ids=call.object_ids)
                if not reading:
                    session.add(audit)
            if reading:
                with runtime().unit_of_work() as session:
                    session.add(audit)
            for action in call.then:
                action()
        except CaseCoreError as refused:
            problem = _problem_of(refused)
            _audit_refusal(holder, template, problem.status)
            return problem.response()
        except (ApiProblem, RequestEntityTooLarge) as refusal:
            # Werkzeug refuses a body over MAX_CONTENT_LENGTH as the view reads it: a refusal like any other.
            problem = refusal if isinstance(refusal, ApiProblem) else ApiProblem("too-large")
            _audit_refusal(holder, template, problem.status)
            return problem.response()
        except UNREACHABLE as exc:
            log.error("API call %s %s failed: %s", request.method, template, exc.__class__.__name__)
            return ApiProblem("unavailable", "the database cannot be reached now",
                              headers={"Retry-After": "30"}).response()
        return json_response(payload, status, extra)
    view.__name__ = endpoint.operation_id
    return view


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json", headers=headers or {})


def _answer(result) -> tuple[int, Any, dict[str, str]]:
    """A view returns its payload, (payload, status) or (payload, status, headers)."""
    if isinstance(result, tuple):
        payload, status, *rest = result
        return status, payload, (rest[0] if rest else {})
    return 200, result, {}


def _problem_of(refused: CaseCoreError) -> ApiProblem:
    """casecore's typed refusals, as the problems a partner reads (a view may let them through)."""
    detail = str(refused)
    if isinstance(refused, NotFound):
        return ApiProblem("not-found")
    if isinstance(refused, Conflict):
        return ApiProblem("idempotency-conflict" if "Idempotency-Key" in detail else "conflict", detail)
    if isinstance(refused, NotAllowed):
        return ApiProblem("forbidden", detail)
    field, _, reason = detail.partition(": ")
    return ApiProblem("invalid-request", detail, [{"name": field if reason else "body", "reason": reason or detail}])


def _audit_refusal(holder: TokenHolder, template: str, status: int) -> None:
    """A refused call is audited too (a partner probing what it may not see), in its own unit of work."""
    try:
        with runtime().unit_of_work() as session:
            session.add(ApiCall(token_id=holder.id, method=request.method, endpoint=template, status=status,
                                object_ids=[]))
    except SQLAlchemyError as exc:
        log.error("API call not audited: %s", exc.__class__.__name__)
