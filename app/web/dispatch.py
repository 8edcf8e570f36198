"""The Flask app class: a provider's webhook call (or a partner's API call) runs only its own blueprint's hooks, and
the hottest one none.

The hooks installed for people (CSRF, idle sessions, the login requirement, flask-login's remember-me cookie, page
headers, compression) each return at once for a webhook, but calling them was about 30 us of every USSD step (a
tenth of it); a webhook gets the one header they would have given it, Strict-Transport-Security.

A raw route goes further: its handler gets the WSGI environ inside an app context only, without Flask's request
context, URL matching, hooks and response object, which were 40% of a USSD step's CPU in the middle of a session.
It does its own checks (app/webhooks/ussd.py shares them with its Flask view) and answers in plain text.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

from flask import Flask, Response, current_app, request
from flask.globals import request_ctx
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Rule

from app.web.paths import MACHINE_BLUEPRINTS
from logs import REQUEST_ID_ENVIRON, REQUEST_ID_HEADER, accepted_request_id, loggable_path, new_request_id
from logs import request_id as bound_request_id

# Served over HTTPS only (the session cookie is Secure): browsers are told to keep to it for a year.
HSTS = "max-age=31536000; includeSubDomains"


def transport_security(response: Response) -> Response:
    """Strict-Transport-Security on every answer, when the site is served over HTTPS."""
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class PlainAnswer(NamedTuple):
    """A text answer (text/plain unless said otherwise), as a raw route gives it."""

    body: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    mimetype: str = "text/plain"


def as_response(answer: PlainAnswer) -> Response:
    """The same answer as a Flask response (for a view sharing a raw route's code)."""
    return Response(answer.body, status=answer.status, mimetype=answer.mimetype, headers=list(answer.headers))


# Given the environ; answers, or None to leave the request to Flask (before reading anything of its body).
RawHandler = Callable[[dict], "PlainAnswer | None"]


class LazyBuilderRule(Rule):
    """A URL rule whose two URL builders are compiled the first time a URL is built from it, not as it is added.

    Werkzeug writes and compiles Python source for both builders of every rule as the app is made: 70 of the 90 ms
    of create_app for our 124 rules, paid by every test's app, while a process builds URLs from few of its rules.
    (Werkzeug is pinned in requirements.txt: _compile_builder is its own, not a public API.)"""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_now = super()._compile_builder
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, **values) -> tuple[str, str]:
            if not compiled:
                compiled.append(compile_now(append_unknown))
            return compiled[0](rule, **values)

        return build


class RelaisFlask(Flask):
    """Flask, where the webhooks' and the API's requests skip the application-wide hooks (they concern people), and
    raw routes (method and path) skip Flask's request handling altogether."""

    url_rule_class = LazyBuilderRule

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.raw_routes: dict[tuple[str, str], RawHandler] = {}

    def wsgi_app(self, environ: dict, start_response) -> Iterable[bytes]:
        # Every line logged for this request, and every job it enqueues, carries its id (logs.py); so does the answer.
        raw_id = environ.get(REQUEST_ID_ENVIRON)
        request_id = accepted_request_id(raw_id) if raw_id else new_request_id()
        token = bound_request_id.set(request_id)
        try:
            handler = self.raw_routes.get((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")))
            if handler is not None:
                with self.app_context():
                    answer = handler(environ)
                    headers = list(answer.headers) if answer is not None else []
                    if answer is not None and self.config.get("SESSION_COOKIE_SECURE"):
                        headers.append(("Strict-Transport-Security", HSTS))
                if answer is not None:
                    body = answer.body.encode("utf-8")
                    start_response(f"{answer.status} {HTTP_STATUS_CODES.get(answer.status, '')}".rstrip(), [
                        ("Content-Type", f"{answer.mimetype}; charset=utf-8"), ("Content-Length", str(len(body))),
                        *headers, (REQUEST_ID_HEADER, request_id)])
                    return [body]

            def start_with_id(status: str, response_headers: list, *exc_info):
                response_headers.append((REQUEST_ID_HEADER, request_id))
                return start_response(status, response_headers, *exc_info)

            return super().wsgi_app(environ, start_with_id)
        finally:
            bound_request_id.reset(token)

    def log_exception(self, exc_info) -> None:
        """Flask's line for an unhandled exception, the path shown as logs.loggable_path shows it (an API path would
        give a case's reference)."""
        self.logger.error("Exception on %s [%s]", loggable_path(request.path), request.method, exc_info=exc_info)

    def preprocess_request(self) -> Response | None:
        """For a webhook or an API call, its blueprint's before-request hooks only (its guard); else Flask's."""
        blueprint = request.blueprint
        if blueprint not in MACHINE_BLUEPRINTS:
            return super().preprocess_request()
        for func in self.before_request_funcs.get(blueprint, ()):
            answer = self.ensure_sync(func)()
            if answer is not None:
                return answer
        return None

    def process_response(self, response: Response) -> Response:
        """For a webhook or an API call, after_this_request and the blueprint's after-request hooks, then transport
        security (neither has a session to save); else Flask's."""
        blueprint = request.blueprint
        if blueprint not in MACHINE_BLUEPRINTS:
            return super().process_response(response)
        for func in request_ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for func in reversed(self.after_request_funcs.get(blueprint, ())):
            response = self.ensure_sync(func)(response)
        return transport_security(response)
