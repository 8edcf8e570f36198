"""Case work on the web: the case page and list, approvals, referrals, transfers, the audit trail, the supervision
log, and their words.
May import only app.web, app.auth, app.runtime and the layers below (no other feature package)."""
from __future__ import annotations

from flask import Flask

from app.cases import audit, listing, record, referrals, supervision, transfers, views


def init_app(app: Flask) -> None:
    """Register the case pages, the case list, referrals, transfers and the audit trail."""
    views.init_app(app)
    record.init_app(app)
    audit.init_app(app)
    referrals.init_app(app)
    transfers.init_app(app)
    listing.init_app(app)
    supervision.init_app(app)
