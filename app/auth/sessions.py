"""Cookie sessions for people, none for providers (webhooks never carry a session cookie) nor for static files."""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

from app.web.paths import STATIC_URL_PREFIX, URL_PREFIX


class PeopleOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, skipped for webhook calls (a sixth of a USSD step's time went to them)."""

    def open_session(self, app, request):
        """No session for a webhook or a static file; the usual signed cookie otherwise."""
        if request.path.startswith((f"{URL_PREFIX}/", f"{STATIC_URL_PREFIX}/")):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """Nothing to save for a null session (a webhook's, a static file's)."""
        if self.is_null_session(session):
            return
        super().save_session(app, session, response)
