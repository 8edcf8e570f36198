"""The administrator's pages: staff accounts and teams (locations and settings: app/admin/places.py); never a report
or a case."""
from __future__ import annotations

import logging
import uuid

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin.forms import EditUserForm, MemberForm, NewTeamForm, NewUserForm, SupervisorForm, field_errors
from app.admin.labels import people_label
from app.runtime import runtime
from app.web.pages import page_gettext, requested_page
from app.web.words import sentence
from casecore.accounts import grants
from casecore.accounts import teams as team_service
from casecore.accounts import users as user_service
from casecore.accounts.sessions import end_user_sessions
from casecore.audit import record_event
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.i18n import N_
from casecore.people import lookups
from casecore.people.roles import SUPERVISION_SPAN, may_manage_people

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

@bp.before_request
def admins_only():
    """403 with a page saying why, for anyone but an administrator."""
    if not may_manage_people(current_user.role):
        _ = page_gettext()
        return render_template("error.html", title=_("Not allowed"), message=_(
            "This page is for administrators. Ask an administrator if you need to see it.")), 403
    return None


def flash_done(msgid: str, **values) -> None:
    """Tell the next page, in the reader's language, that the change was made."""
    text = page_gettext()(msgid)
    flash(text % values if values else text)


def translated(msgids: list[str]) -> list[str]:
    """Messages in the reader's language; a casecore error the web catalogue does not know keeps its own words."""
    _ = page_gettext()
    return [sentence(_(msgid)) for msgid in msgids]


def _team_options(db, form) -> list[tuple[str, str]]:
    """(id, name) of the organisation's teams, which are also the form's team choices ("" is no team)."""
    options = [(str(t.id), t.name) for t in team_service.list_teams(db, current_user.organisation_id)]
    form.team.choices = [""] + [value for value, _name in options]
    return options


# -- accounts ----------------------------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
def users():
    """The organisation's accounts, 50 a page by email, and a form to create one."""
    page = requested_page()
    form = NewUserForm()
    errors: list[str] = []
    with runtime().unit_of_work() as db:
        team_options = _team_options(db, form)
    if request.method == "POST":
        if form.validate():
            errors = _create_user(form)
            if not errors:
                flash_done(N_("Account created."))
                return redirect(url_for("admin.users"))
        else:
            errors = translated(field_errors(form))
    with runtime().unit_of_work() as db:
        result = user_service.users_page(db, current_user.organisation_id, page)
        record_event(db, current_user.id, "users.viewed", "organisation", current_user.organisation_id)
    return render_template("admin/users.html", form=form, result=result, errors=errors, team_options=team_options,
                           page_url=lambda number: url_for("admin.users", page=number)), 400 if errors else 200


def _create_user(form: NewUserForm) -> list[str]:
    settings = runtime().settings
    try:
        with runtime().unit_of_work() as db:
            team_name = ""
            if form.team.data:
                team_name = lookups.get_team(db, current_user.organisation_id, form.team.data).name
            user = user_service.create_user(
                db, email=form.email.data, display_name=form.display_name.data, role=form.role.data,
                phone=form.phone.data, password=form.password.data,
                language=form.language.data, organisation_id=current_user.organisation_id,
                default_region=settings.DEFAULT_REGION, team_name=team_name, sex=form.sex.data or None,
                spoken_languages=form.spoken_languages.data, requested_by_id=current_user.id,
            )
            record_event(db, current_user.id, "user.created", "user", user.id)
    except Conflict:
        return translated([N_("An account with this email already exists.")])
    except (InvalidInput, NotFound) as error:
        return translated([str(error)])
    return []


@bp.route("/users/<user_id>", methods=["GET", "POST"])
def user(user_id: str):
    """One account: its name, role, team, language, matching details, whether it is active; unlock it."""
    errors: list[str] = []
    with runtime().unit_of_work() as db:
        account = _account_or_404(db, user_id)
        form = EditUserForm(data=None if request.method == "POST" else {
            "display_name": account.display_name, "role": account.role, "language": account.language,
            "team": str(account.team_id or ""),
            "sex": account.sex or "", "is_active": account.is_active,
            "spoken_languages": (account.spoken_languages or "").split(",") if account.spoken_languages else [],
        })
        team_options = _team_options(db, form)
        waiting = grants.pending_for_account(db, account.id)
        teams = dict(team_options)
    if request.method == "POST":
        errors = _update_user(form, account) if form.validate() else translated(field_errors(form))
        if not errors:
            flash_done(N_("Account saved."))
            return redirect(url_for("admin.user", user_id=account.id))
    else:
        with runtime().unit_of_work() as db:
            record_event(db, current_user.id, "user.viewed", "user", account.id)
    return render_template("admin/user.html", form=form, account=account, errors=errors,
                           team_options=team_options, pending=waiting, teams=teams), 400 if errors else 200


def _account_or_404(db, user_id: str) -> user_service.UserRow:
    try:
        return user_service.account_row(db, current_user.organisation_id, user_id)
    except NotFound:
        abort(404)


def _update_user(form: EditUserForm, account: user_service.UserRow) -> list[str]:
    change = user_service.AccountChange(
        role=form.role.data, language=form.language.data, is_active=form.is_active.data,
        team_id=uuid.UUID(form.team.data) if form.team.data else None, sex=form.sex.data or None,
        spoken_languages=",".join(form.spoken_languages.data or ()), display_name=form.display_name.data,
    )
    try:
        with runtime().unit_of_work() as db:
            user = user_service.update_user(db, current_user.organisation_id, account.id, change,
                                            acting_user_id=current_user.id)
            record_event(db, current_user.id, "user.updated", "user", account.id)
            if user.display_name != account.display_name:
                # Its own line: the name is how every page and the audit trail show the person.
                record_event(db, current_user.id, "user.renamed", "user", account.id)
    except (InvalidInput, NotFound) as error:
        return translated([str(error)])
    return []


@bp.route("/users/<user_id>/unlock", methods=["POST"])
def unlock(user_id: str):
    """Lift the lock left by repeated failed logins."""
    account_id, _ = _act_on_account(
        user_id, lambda db, user: user_service.unlock_user(db, current_user.organisation_id, user.id), "user.unlocked")
    flash_done(N_("Account unlocked."))
    return redirect(url_for("admin.user", user_id=account_id))


@bp.route("/users/<user_id>/sessions/end", methods=["POST"])
def end_sessions(user_id: str):
    """Log the account out everywhere at once (a lost phone, a shared computer, a departure)."""
    account_id, ended = _act_on_account(
        user_id, lambda db, user: end_user_sessions(db, user.id, "ended_by_admin"), "user.sessions_ended")
    flash_done(N_("%(n)s session(s) ended."), n=ended)
    return redirect(url_for("admin.user", user_id=account_id))


def _act_on_account(user_id: str, change, action: str):
    """change(db, user) on one of the organisation's accounts (404 for any other), audited as action; returns the
    account's id and what change returned."""
    with runtime().unit_of_work() as db:
        try:
            user = user_service.org_user(db, current_user.organisation_id, user_id)
        except NotFound:
            abort(404)
        result = change(db, user)
        record_event(db, current_user.id, action, "user", user.id)
        return user.id, result


# -- teams -------------------------------------------------------------------------------------------------------

def _team_forms(db, new_team: NewTeamForm | None = None) -> dict:
    org = current_user.organisation_id
    supervisors = [(str(i), name) for i, name in lookups.active_users_with_role(db, org, "supervisor")]
    workers = [(str(i), name) for i, name in lookups.active_users_with_role(db, org, "caseworker")]
    new_team = new_team or NewTeamForm(formdata=None)
    new_team.supervisor.choices = [value for value, _name in supervisors]
    teams = team_service.list_teams(db, org)
    # The case workers each team could take in: those not already in it.
    addable = {t.id: [(i, name) for i, name in workers if i not in {str(m.id) for m in t.members}] for t in teams}
    return {"teams": teams, "new_team": new_team, "supervisors": supervisors, "workers": workers,
            "addable": addable, "over_span": team_service.supervisors_over_span(teams),
            "span_norm": SUPERVISION_SPAN}


@bp.route("/teams", methods=["GET", "POST"])
def teams():
    """The organisation's teams with their supervisors and members, and a form to create one."""
    errors: list[str] = []
    form = NewTeamForm() if request.method == "POST" else None
    if form is not None:
        with runtime().unit_of_work() as db:
            form.supervisor.choices = [value for value, _name in _team_forms(db)["supervisors"]]
        if not form.validate():
            errors = translated(field_errors(form))
        else:
            try:
                with runtime().unit_of_work() as db:
                    team = team_service.create_team(db, organisation_id=current_user.organisation_id,
                                                    name=form.name.data, supervisor_id=form.supervisor.data)
                    record_event(db, current_user.id, "team.created", "team", team.id)
            except (InvalidInput, Conflict) as error:
                errors = translated([str(error)])
            else:
                flash_done(N_("Team created."))
                return redirect(url_for("admin.teams"))
    with runtime().unit_of_work() as db:
        context = _team_forms(db, form)
        record_event(db, current_user.id, "teams.viewed", "organisation", current_user.organisation_id)
    return render_template("admin/teams.html", errors=errors, **context), 400 if errors else 200


def _change_team(team_id: str, form, change, action: str, done: str):
    """Validate a small team form, apply change(db, team, value) and go back to the teams page."""
    with runtime().unit_of_work() as db:
        context = _team_forms(db)
        try:
            lookups.get_team(db, current_user.organisation_id, team_id)
        except NotFound:
            abort(404)
    field = next(f for f in form if f.name != "csrf_token")
    field.choices = [value for value, _name in context["supervisors" if field.name == "supervisor" else "workers"]]
    errors = [] if form.validate() else translated(field_errors(form))
    if not errors:
        try:
            with runtime().unit_of_work() as db:
                team = lookups.get_team(db, current_user.organisation_id, team_id)
                change(db, team, field.data)
                record_event(db, current_user.id, action, "team", team.id)
        except InvalidInput as error:
            errors = translated([str(error)])
    if errors:
        return render_template("admin/teams.html", errors=errors, **context), 400
    flash_done(done)
    return redirect(url_for("admin.teams"))


@bp.route("/teams/<team_id>/supervisor", methods=["POST"])
def team_supervisor(team_id: str):
    """Give a team another supervisor."""
    return _change_team(team_id, SupervisorForm(), team_service.set_supervisor, "team.supervisor_changed",
                        N_("Supervisor changed."))


@bp.route("/teams/<team_id>/members", methods=["POST"])
def team_add_member(team_id: str):
    """Ask for a case worker to join a team: a supervisor confirms it (casecore.accounts.grants)."""
    def ask(db, team, user_id):
        user = team_service.member_candidate(db, team, user_id)
        grants.request_team_member(db, user, team, current_user.id)
    return _change_team(team_id, MemberForm(), ask, "team.member_asked",
                        N_("Asked: the case worker joins the team once a supervisor confirms it."))


@bp.route("/teams/<team_id>/members/<user_id>/remove", methods=["POST"])
def team_remove_member(team_id: str, user_id: str):
    """Take a case worker out of a team."""
    with runtime().unit_of_work() as db:
        try:
            team = lookups.get_team(db, current_user.organisation_id, team_id)
        except NotFound:
            abort(404)
        if not team_service.remove_member(db, team, user_id):
            abort(404)
        record_event(db, current_user.id, "team.member_removed", "team", team.id)
    flash_done(N_("Case worker removed from the team."))
    return redirect(url_for("admin.teams"))


def init_app(app: Flask) -> None:
    """Register the administrator's pages and the template test of who sees their link."""
    app.register_blueprint(bp)
    app.add_template_global(may_manage_people, "may_manage_people")
    app.add_template_global(people_label)
