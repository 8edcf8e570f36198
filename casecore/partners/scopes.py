"""What an API token may do: its scopes (README, "JSON API for partner systems")."""
from __future__ import annotations

REPORTS_WRITE = "reports:write"
REPORTS_READ = "reports:read"
CASES_READ = "cases:read"
INDICATORS_READ = "indicators:read"
COMPLAINTS_READ = "complaints:read"
EVENTS = "events"
PERSONAL_DATA = "personal_data"
SCOPES = (REPORTS_WRITE, REPORTS_READ, CASES_READ, INDICATORS_READ, COMPLAINTS_READ, EVENTS, PERSONAL_DATA)
