"""Access given by administrators, seen by those who watch over it: the grants a supervisor or focal point confirms
or refuses (casecore.accounts.grants), and the administration log of every administrator action of the
organisation, with the menu's count of what is new."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from app.runtime import runtime
from app.web.pages import page_gettext, requested_page
from casecore.accounts import grants
from casecore.audit import AuditEvent, record_event
from casecore.errors import InvalidInput, NotAllowed, NotFound
from casecore.i18n import N_
from casecore.paging import Page, fetch_page
from casecore.people.models import User
from casecore.people.roles import ADMIN, FOCAL_POINT, SUPERVISOR

bp = Blueprint("access", __name__, url_prefix="/access")

WATCHERS = (SUPERVISOR, FOCAL_POINT)
VIEWED = "admin_log.viewed"
# What only an administrator can do: in the log whatever its author's role is now (an administrator account made a
# case worker afterwards must not take its actions out of the log).
ADMIN_ONLY_ACTIONS = ("user.created", "user.updated", "user.renamed", "user.unlocked", "user.sessions_ended",
                      "user.viewed", "users.viewed", "team.created", "team.supervisor_changed", "team.member_asked",
                      "team.member_removed", "teams.viewed", "locations.imported", "locations.viewed",
                      "settings.viewed", "message_log_viewed", "grant.requested_role", "grant.requested_team_member")


@dataclass(frozen=True)
class AdminAction:
    """One administrator action, as the log shows it: ids only, as the audit trail keeps them."""

    at: datetime
    name: str
    action: str
    object_type: str
    object_id: str | None


def may_watch_administration(role: str) -> bool:
    """Supervisors and focal points read the administration log and confirm the grants of their role."""
    return role in WATCHERS


@bp.before_request
def watchers_only():
    if not may_watch_administration(current_user.role):
        abort(403)


@bp.get("")
def page():
    """The grants waiting for this person, then the administration log (newest first, 50 a page)."""
    page = requested_page()
    with runtime().unit_of_work() as db:
        to_confirm = grants.grants_to_confirm(db, current_user)
        actions = admin_actions(db, current_user.organisation_id, page)
        seen = _last_viewed(db)
        record_event(db, current_user.id, VIEWED, "organisation", current_user.organisation_id)
    return render_template("admin/access.html", to_confirm=to_confirm, actions=actions, seen=seen,
                           page_url=lambda number: url_for(".page", page=number, _anchor="admin-log"))


@bp.post("/grants/<grant_id>/<decision>")
def decide(grant_id: str, decision: str):
    """Confirm or refuse a grant."""
    if decision not in ("confirm", "refuse"):
        abort(404)
    try:
        with runtime().unit_of_work() as db:
            status = grants.decide(db, current_user, grant_id, confirm=decision == "confirm").status
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except InvalidInput:
        flash(page_gettext()(N_("This grant was decided already.")))
        return redirect(url_for(".page"))
    flash(page_gettext()(DONE[status]))
    return redirect(url_for(".page"))


DONE = {"confirmed": N_("Access confirmed."), "refused": N_("Access refused."),
        "stale": N_("This grant no longer fits the account (it changed since): nothing was given.")}


def admin_actions(session: Session, organisation_id: uuid.UUID, page: int = 1) -> Page:
    """A page of what the organisation's administrators did, newest first."""
    found = fetch_page(session, (
        select(AuditEvent.at, User.display_name, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
        .join(User, User.id == AuditEvent.user_id).where(*_by_administrators(organisation_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id)), page)
    return replace(found, rows=tuple(AdminAction(*row) for row in found.rows))


def _by_administrators(organisation_id: uuid.UUID) -> tuple:
    return (User.organisation_id == organisation_id, ~AuditEvent.action.like("login.%"),
            or_(User.role == ADMIN, AuditEvent.action.in_(ADMIN_ONLY_ACTIONS)))


def access_count() -> int:
    """For the menu: grants this person may confirm, and administrator actions since they last read the log."""
    if not current_user.is_authenticated or not may_watch_administration(current_user.role):
        return 0
    if "access_count" not in g:
        with runtime().unit_of_work(read_only=True) as db:
            since = _last_viewed(db)
            new = db.scalar(select(func.count()).select_from(AuditEvent).join(User, User.id == AuditEvent.user_id)
                            .where(*_by_administrators(current_user.organisation_id),
                                   AuditEvent.at > since if since is not None else true()))
            g.access_count = len(grants.grants_to_confirm(db, current_user)) + (new or 0)
    return g.access_count


def _last_viewed(session: Session) -> datetime | None:
    return session.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.user_id == current_user.id,
                                                                AuditEvent.action == VIEWED))


def init_app(app: Flask) -> None:
    """Register the page and the menu's count."""
    app.register_blueprint(bp)
    app.add_template_global(may_watch_administration, "may_watch_administration")
    app.add_template_global(access_count, "access_count")
