"""The v1 API's one registry, which every endpoint module declares itself on."""
from __future__ import annotations

from app.api.spec import Registry

API = Registry(
    title="Relais API",
    version="1",
    description=(
        "For partner systems of a child-protection programme: post a report, read reports, cases and indicators "
        "under need-to-know, and receive signed events. Every call needs a bearer token of an organisation "
        "(`flask --app app token create`); what it may do is its scopes. Numbers, names and free text come only "
        "with the `personal_data` scope. Errors are `application/problem+json` (RFC 9457)."
    ),
)
