"""Where the provider webhooks and the static files live, so the login, CSRF and session checks can leave them alone
without importing them."""
from __future__ import annotations

# Providers cannot send a CSRF token or a session cookie: other modules exempt this blueprint by these names.
BLUEPRINT = "webhooks"
URL_PREFIX = "/webhooks"

# Partner systems authenticate with a bearer token, never a cookie or a CSRF token (app/api).
API_BLUEPRINT = "api"
API_URL_PREFIX = "/api/v1"
# Blueprints called by machines: only their own hooks run (app.web.dispatch), and no session is opened for them.
MACHINE_BLUEPRINTS = frozenset({BLUEPRINT, API_BLUEPRINT})
MACHINE_URL_PREFIXES = (f"{URL_PREFIX}/", f"{API_URL_PREFIX}/")

# Static files carry no session: a "Vary: Cookie" on them would make a browser fetch them again at every page.
STATIC_URL_PREFIX = "/static"

# Health checks (app/health): a load balancer calls them without logging in; the login requirement leaves them alone.
HEALTH_ENDPOINTS = frozenset({"health.liveness", "health.readiness"})
