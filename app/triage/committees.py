"""Community committee members, registered by supervisors (/committee): their reports are marked as such."""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import current_user

from app.runtime import runtime
from app.web.pages import page_gettext, requested_page
from app.web.words import sentence
from casecore.audit import record_event
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.people.roles import may_triage
from casecore.reports import committees

bp = Blueprint("committees", __name__)


def _refused():
    _ = page_gettext()
    return render_template("error.html", title=_("Not allowed"),
                           message=_("This page is for supervisors. Ask your supervisor if you need to see it.")), 403


def _page(*, error: str | None = None, values=None, status: int = 200):
    rt = runtime()
    page = requested_page()
    with rt.unit_of_work() as db:
        members = committees.list_members(db, current_user.organisation_id, page)
        record_event(db, current_user.id, "committee.viewed", "committee_member", None)
    return render_template("triage/committee.html", members=members, places=rt.places.get(), error=error,
                           values=values or {},
                           page_url=lambda number: url_for("committees.page", page=number)), status


@bp.route("/committee")
def page():
    """The organisation's committee members and the form to register one."""
    if not may_triage(current_user.role):
        return _refused()
    return _page()


@bp.route("/committee", methods=["POST"])
def register():
    """Register a committee member; a refusal shows the form again with the reason."""
    if not may_triage(current_user.role):
        return _refused()
    form = request.form
    rt = runtime()
    try:
        with rt.unit_of_work() as db:
            member_id = committees.register_member(
                db, current_user.organisation_id, name=form.get("name", ""), phone=form.get("phone", ""),
                committee=form.get("committee", ""), location_code=form.get("location_code") or None,
                registered_by_id=current_user.id, default_region=rt.settings.DEFAULT_REGION)
            record_event(db, current_user.id, "committee_member.registered", "committee_member", member_id)
    except (InvalidInput, Conflict) as refusal:
        _ = page_gettext()
        return _page(error=sentence(_(str(refusal))), values=form,
                     status=409 if isinstance(refusal, Conflict) else 400)
    return redirect(url_for("committees.page"))


@bp.route("/committee/<member_id>/deactivate", methods=["POST"])
def deactivate(member_id: str):
    """Stop treating a member's number as a committee's (the record stays, for the reports it marked)."""
    if not may_triage(current_user.role):
        return _refused()
    try:
        with runtime().unit_of_work() as db:
            if committees.deactivate_member(db, current_user.organisation_id, member_id):
                record_event(db, current_user.id, "committee_member.deactivated", "committee_member", member_id)
    except NotFound:
        _ = page_gettext()
        return render_template("error.html", title=_("Page not found"),
                               message=_("This page does not exist, or it belongs to another organisation.")), 404
    return redirect(url_for("committees.page"))


def init_app(app: Flask) -> None:
    """Register the committee page."""
    app.register_blueprint(bp)
