"""Cookie sessions for people, none for machines (webhooks, the API: never a session cookie) nor for static files."""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

from app.web.paths import MACHINE_URL_PREFIXES, STATIC_URL_PREFIX


class PeopleOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, skipped for webhook calls (a sixth of a USSD step's time went to them)."""

    def open_session(self, app, request):
        """No session for a webhook, an API call or a static file; the usual signed cookie otherwise."""
        if request.path.startswith((*MACHINE_URL_PREFIXES, f"{STATIC_URL_PREFIX}/")):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """Nothing to save for a null session (a webhook's, a static file's)."""
        if self.is_null_session(session):
            return
        super().save_session(app, session, response)
