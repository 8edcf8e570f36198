"""Where the provider webhooks and the static files live, so the login, CSRF and session checks can leave them alone
without importing them."""
from __future__ import annotations

# Providers cannot send a CSRF token or a session cookie: other modules exempt this blueprint by these names.
BLUEPRINT = "webhooks"
URL_PREFIX = "/webhooks"

# Static files carry no session: a "Vary: Cookie" on them would make a browser fetch them again at every page.
STATIC_URL_PREFIX = "/static"
