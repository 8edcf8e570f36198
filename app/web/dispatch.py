"""The Flask app class: a provider's webhook call runs only its own blueprint's hooks.

The hooks installed for people (CSRF, idle sessions, the login requirement, flask-login's remember-me cookie, page
headers, compression) each return at once for a webhook, but calling them was about 30 us of every USSD step (a
tenth of it); a webhook gets the one header they would have given it, Strict-Transport-Security.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask.globals import request_ctx

from app.web.paths import BLUEPRINT as WEBHOOKS

# Served over HTTPS only (the session cookie is Secure): browsers are told to keep to it for a year.
HSTS = "max-age=31536000; includeSubDomains"


def transport_security(response: Response) -> Response:
    """Strict-Transport-Security on every answer, when the site is served over HTTPS."""
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


class RelaisFlask(Flask):
    """Flask, where the webhooks blueprint's requests skip the application-wide hooks (they concern people)."""

    def preprocess_request(self) -> Response | None:
        """For a webhook, the webhooks blueprint's before-request hooks only (its guard); else Flask's."""
        if request.blueprint != WEBHOOKS:
            return super().preprocess_request()
        for func in self.before_request_funcs.get(WEBHOOKS, ()):
            answer = self.ensure_sync(func)()
            if answer is not None:
                return answer
        return None

    def process_response(self, response: Response) -> Response:
        """For a webhook, after_this_request and the blueprint's after-request hooks, then transport security (a
        webhook has no session to save); else Flask's."""
        if request.blueprint != WEBHOOKS:
            return super().process_response(response)
        for func in request_ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for func in reversed(self.after_request_funcs.get(WEBHOOKS, ())):
            response = self.ensure_sync(func)(response)
        return transport_security(response)
