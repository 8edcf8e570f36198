"""Cookie sessions for people, none for providers: webhooks never carry a session cookie."""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

from app.web.paths import URL_PREFIX


class PeopleOnlySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, skipped for webhook calls (a sixth of a USSD step's time went to them)."""

    def open_session(self, app, request):
        """No session for a webhook; the usual signed cookie otherwise."""
        if request.path.startswith(f"{URL_PREFIX}/"):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """Nothing to save for a webhook's null session."""
        if self.is_null_session(session):
            return
        super().save_session(app, session, response)
