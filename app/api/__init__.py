"""The JSON API for partner systems (/api/v1): bearer tokens of an organisation, need-to-know reads, intake, and
an OpenAPI 3.1 document written from the same declarations that serve the calls."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.api import cases, indicators, reports  # noqa: F401  (each declares its endpoints on the registry)
from app.api.calls import LIMITER, authenticate, json_response, limiter_for, serve
from app.api.event_docs import events_doc
from app.api.problems import ApiProblem
from app.api.registry import API
from app.api.spec import problem_types
from app.web.paths import API_BLUEPRINT, API_URL_PREFIX
from logs import loggable_path

log = logging.getLogger(__name__)

# Werkzeug's answer to each HTTP error, as a problem slug.
_HTTP_PROBLEMS = {404: "not-found", 405: "method-not-allowed", 413: "too-large", 415: "unsupported-media-type"}


def openapi():
    """The OpenAPI document (no token needed: it holds no data)."""
    return json_response(API.openapi(request.host_url.rstrip("/") + API_URL_PREFIX))


def docs():
    """The same document for a person to read."""
    return render_template("api/docs.html", spec=API.openapi(request.host_url.rstrip("/") + API_URL_PREFIX),
                           problems=problem_types(), events=events_doc())


def _allowed_methods() -> str:
    """The Allow header of this request's path: the methods its routes declare, with HEAD and OPTIONS."""
    return ", ".join(sorted(current_app.create_url_adapter(request).allowed_methods()))


def _options() -> Response | None:
    """OPTIONS on an API path is answered here, before the token is asked for: 204 and the methods it allows (no
    secret: the public document lists them), instead of Flask's automatic answer (an empty text/html 200)."""
    if request.method != "OPTIONS":
        return None
    answer = Response(status=204, headers={"Allow": _allowed_methods()})
    del answer.headers["Content-Type"]
    return answer


def _problem(problem: ApiProblem):
    return problem.response()


def _http_error(error: HTTPException):
    """Werkzeug's errors under /api/v1 (no such route, wrong method, body too large) as problems."""
    code = error.code or 500
    slug = _HTTP_PROBLEMS.get(code)
    if slug is None:
        if code >= 500:
            log.error("API call %s %s failed with %s", request.method, loggable_path(request.path), code)
            return ApiProblem("internal-error").response()
        return ApiProblem("invalid-request", error.description or "").response()
    headers = {"Allow": ", ".join(sorted(error.valid_methods))} if getattr(error, "valid_methods", None) else {}
    return ApiProblem(slug, headers=headers).response()


def init_app(app: Flask) -> None:
    """Route every declared endpoint, answer every error under /api/v1 as a problem, and add the token CLI."""
    from app.api.commands import token_cli
    from app.api.event_commands import events_cli

    # A blueprint per app: the tests build many apps in one process.
    bp = Blueprint(API_BLUEPRINT, __name__, url_prefix=API_URL_PREFIX)
    bp.add_url_rule("/openapi.json", view_func=openapi, methods=["GET"])
    bp.add_url_rule("/docs", view_func=docs, methods=["GET"])
    for endpoint in API.endpoints:
        bp.add_url_rule(endpoint.flask_rule, endpoint=endpoint.operation_id, view_func=serve(API, endpoint),
                        methods=[endpoint.method])
    bp.before_request(_options)
    bp.before_request(authenticate)
    bp.register_error_handler(ApiProblem, _problem)
    bp.register_error_handler(HTTPException, _http_error)
    # By code as well: Flask tries the app's handlers for a code (its 404, 405 and 413 pages) before a blueprint's
    # handler for HTTPException.
    for code in _HTTP_PROBLEMS:
        bp.register_error_handler(code, _http_error)
    app.register_blueprint(bp)
    app.extensions[LIMITER] = limiter_for(app.extensions["relais"])
    app.cli.add_command(token_cli)
    app.cli.add_command(events_cli)
    _answer_unrouted_in_json(app)


def _under_api() -> bool:
    return request.path.startswith(f"{API_URL_PREFIX}/") or request.path == API_URL_PREFIX


def _answer_unrouted_in_json(app: Flask) -> None:
    """A path under /api/v1 that matches no route never reaches the blueprint: the app's own 404 and 405 pages
    give way to a problem there, and Werkzeug's redirect (//reports to /reports) comes without its HTML page."""
    for code in (404, 405):
        pages = app.error_handler_spec.get(None, {}).get(code, {})
        page = next(iter(pages.values()), None)

        def answer(error, page=page):
            if _under_api():
                return _http_error(error)
            return page(error) if page is not None else error
        app.register_error_handler(code, answer)
    app.before_request(_redirect_without_a_page)


def _redirect_without_a_page() -> Response | None:
    """Flask hands a routing redirect back as it is, past every error handler: it is answered here, before the
    view would raise it, with its Location and no body."""
    moved = request.routing_exception
    if not (isinstance(moved, RequestRedirect) and _under_api()):
        return None
    answer = Response(status=moved.code, headers={"Location": moved.new_url})
    del answer.headers["Content-Type"]
    return answer
