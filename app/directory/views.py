"""The service directory pages: list and filter, add, edit, verify, deactivate, and CSV import and export."""
from __future__ import annotations

import io
import logging
import uuid

from flask import Blueprint, Flask, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app.directory.commands import services_cli
from app.directory.labels import service_type_label
from app.runtime import runtime
from app.web.confirm import Confirmation, Rehearsed, confirmation_page, unless_confirmed
from app.web.pages import page_gettext
from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases.transfers import transfer_targets
from casecore.directory import csv_io, services
from casecore.errors import InvalidInput, NotFound
from casecore.i18n import N_
from casecore.paging import parse_page
from casecore.people.models import Organisation

log = logging.getLogger(__name__)

bp = Blueprint("services", __name__)

# What casecore says when an entry is refused; the web catalogue translates it (the English shows otherwise).
REFUSALS = (
    N_("the provider's name is required"),
    N_("the provider's name is longer than 200 characters"),
    N_("the contact is longer than 200 characters"),
    N_("unknown area code"),
    N_("unknown provider organisation"),
)

IMPORT_PROBLEMS: dict[str, str] = {
    "unreadable": N_("Line %(line)s: the file cannot be read as CSV in UTF-8."),
    "header": N_("Line %(line)s: the first line must name the columns %(columns)s."),
    "too_many_lines": N_("Line %(line)s: the file is too long; split it."),
    "too_many_fields": N_("Line %(line)s: more fields than columns."),
    "missing": N_("Line %(line)s: %(column)s is required."),
    "too_long": N_("Line %(line)s: %(column)s is too long."),
    "unknown_service_type": N_("Line %(line)s: unknown service type “%(value)s”."),
    "unknown_area": N_("Line %(line)s: unknown area code “%(value)s”."),
    "bad_date": N_("Line %(line)s: “%(value)s” is not a date written YYYY-MM-DD."),
    "future_date": N_("Line %(line)s: the date “%(value)s” is in the future."),
    "duplicate": N_("Line %(line)s: same provider, service type and area as line %(value)s."),
}


def _refused(status: int, title: str, message: str):
    _ = page_gettext()
    return render_template("error.html", title=_(title), message=message), status


def _require(allowed: bool):
    if not allowed:
        _ = page_gettext()
        abort(make_response(*_refused(
            403, N_("Not allowed"), _("The service directory is for supervisors, case workers and administrators."))))


def _stale_days() -> int:
    return runtime().settings.SERVICE_STALE_DAYS


@bp.route("/services")
def directory():
    """The organisation's directory, filtered by service type and area; entries to check are flagged."""
    _require(services.may_read_services(current_user.role))
    manager = services.may_manage_services(current_user.role)
    wanted = {
        "type": request.args.get("type", ""), "area": request.args.get("area", ""),
        "stale": request.args.get("stale") == "1", "inactive": manager and request.args.get("inactive") == "1",
    }
    _ = page_gettext()
    try:
        page = parse_page(request.args.get("page"))
    except InvalidInput as refusal:
        return _refused(400, N_("This filter cannot be used"), _("Reason: %(reason)s") % {"reason": refusal})
    with runtime().unit_of_work() as db:
        try:
            result = services.services_page(
                db, current_user.organisation_id, page, stale_days=_stale_days(), service_type=wanted["type"],
                area_code=wanted["area"], stale_only=wanted["stale"], include_inactive=wanted["inactive"])
        except InvalidInput:
            return _refused(400, N_("This filter cannot be used"),
                            _("Choose a service type and an area from the lists."))
        areas = services.area_choices(db)
        record_event(db, current_user.id, "services.viewed", "organisation", current_user.organisation_id)
    return _page(result=result, areas=areas, wanted=wanted, manager=manager)


def _page(status: int = 200, *, wanted: dict, **context):
    def page_url(number: int) -> str:
        # The filters as they came (only those set), and the page.
        kept = {name: ("1" if value is True else value) for name, value in wanted.items() if value}
        return url_for("services.directory", **kept, page=number)

    return render_template("directory/services.html", service_types=taxonomy.SERVICE_TYPES, stale_days=_stale_days(),
                           columns=",".join(csv_io.COLUMNS), wanted=wanted, page_url=page_url, **context), status


@bp.route("/services/new", methods=["GET", "POST"])
@bp.route("/services/<service_id>/edit", methods=["GET", "POST"])
def edit(service_id: str | None = None):
    """Add an entry, or change one; a refused entry comes back with the reason."""
    _require(services.may_manage_services(current_user.role))
    _ = page_gettext()
    error = None
    with runtime().unit_of_work() as db:
        try:
            service = None if service_id is None else services.get_service(db, current_user.organisation_id,
                                                                          service_id)
        except NotFound:
            abort(404)
        if request.method == "POST":
            data = _form_input()
            try:
                if service is None:
                    verified = utcnow() if request.form.get("verified_today") == "1" else None
                    services.create_service(db, current_user.organisation_id, data, user_id=current_user.id,
                                            verified_at=verified)
                else:
                    services.update_service(db, current_user.organisation_id, service.id, data,
                                            user_id=current_user.id)
            except InvalidInput as refusal:
                db.rollback()
                error = _(str(refusal))
            else:
                flash(_("The service directory is saved."))
                return redirect(url_for("services.directory"))
            values = data
        else:
            values = _service_input(db, service)
            if service is not None:
                record_event(db, current_user.id, "service.viewed", "service", service.id)
        areas = services.area_choices(db, also=values.area_code)
        organisations = transfer_targets(db, current_user.organisation_id)
    return render_template("directory/service_form.html", service_id=service_id, values=values, error=error, areas=areas,
                           organisations=organisations, service_types=taxonomy.SERVICE_TYPES), 400 if error else 200


def _form_input() -> services.ServiceInput:
    form = request.form
    try:
        provider = uuid.UUID(form["provider_organisation"]) if form.get("provider_organisation") else None
    except ValueError:
        provider = uuid.UUID(int=0)  # refused by casecore as an unknown organisation
    return services.ServiceInput(
        provider_name=form.get("provider_name", ""), service_type=form.get("service_type", ""),
        area_code=form.get("area_code", ""), contact=form.get("contact", ""), provider_organisation_id=provider)


def _service_input(db, service) -> services.ServiceInput:
    if service is None:
        return services.ServiceInput("", "")
    return services.ServiceInput(service.provider_name, service.service_type,
                                 services.service_area_code(db, service), service.contact or "",
                                 service.provider_organisation_id)


@bp.route("/services/<service_id>/<action>", methods=["POST"])
def change(service_id: str, action: str):
    """Mark an entry verified today, deactivate it or bring it back."""
    _require(services.may_manage_services(current_user.role))
    if action not in ("verify", "deactivate", "activate"):
        abort(404)
    _ = page_gettext()
    back = request.form.get("back") if _is_directory_url(request.form.get("back")) else url_for("services.directory")
    try:
        with runtime().unit_of_work() as db:
            if action == "verify":
                services.mark_verified(db, current_user.organisation_id, service_id, user_id=current_user.id)
            else:
                services.set_service_active(db, current_user.organisation_id, service_id, action == "activate",
                                            user_id=current_user.id)
            if action == "deactivate":
                # Referrals stop offering it at once: asked for first, like every change that closes something.
                name = services.get_service(db, current_user.organisation_id, service_id).provider_name
                unless_confirmed(request.form, lambda: Confirmation(
                    title=_("Deactivate this service?"),
                    question=_("It is no longer offered for referrals until it is brought back; the referrals "
                               "already made keep it."),
                    button=_("Deactivate"), facts=[(_("Service"), name)], back_url=back))
    except NotFound:
        abort(404)
    except Rehearsed as rehearsal:
        return confirmation_page(rehearsal.confirmation, request.path, request.form)
    flash(_("The service directory is saved."))
    return redirect(back)


def _is_directory_url(target: str | None) -> bool:
    # Back to the filtered list the button was on, and nowhere else.
    return bool(target) and (target == "/services" or target.startswith("/services?"))


@bp.route("/services/export.csv")
def export_csv():
    """The active entries as CSV, ready to edit in a spreadsheet and import again."""
    _require(services.may_read_services(current_user.role))
    buffer = io.StringIO()
    with runtime().unit_of_work() as db:
        csv_io.export_services(db, current_user.organisation_id, buffer)
        slug = db.get(Organisation, current_user.organisation_id).slug
        record_event(db, current_user.id, "services.exported", "organisation", current_user.organisation_id)
    name = f"services-{slug}-{utcnow():%Y-%m-%d}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/services/import", methods=["POST"])
def import_csv():
    """Add or update entries from a CSV file: all lines or none, each problem given with its line."""
    _require(services.may_manage_services(current_user.role))
    _ = page_gettext()
    upload = request.files.get("file")
    problems: list[str] = []
    if upload is None or not upload.filename:
        problems.append(_("Choose a CSV file to import."))
    else:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
            problems.append(_import_problem(csv_io.LineError(1, "unreadable")))
        if text is not None:
            with runtime().unit_of_work() as db:
                try:
                    result = csv_io.import_services(db, current_user.organisation_id, io.StringIO(text),
                                                         user_id=current_user.id)
                except csv_io.ServiceImportError as refusal:
                    db.rollback()
                    problems.extend(_import_problem(error) for error in refusal.errors)
            if not problems:
                flash(_("Imported: %(created)s added, %(updated)s updated.")
                      % {"created": result.created, "updated": result.updated})
                return redirect(url_for("services.directory"))
    with runtime().unit_of_work() as db:
        result = services.services_page(db, current_user.organisation_id, 1, stale_days=_stale_days())
        areas = services.area_choices(db)
    wanted = {"type": "", "area": "", "stale": False, "inactive": False}
    return _page(400, result=result, areas=areas, wanted=wanted, manager=True, import_problems=problems)


def _import_problem(error: csv_io.LineError) -> str:
    _ = page_gettext()
    return _(IMPORT_PROBLEMS[error.problem]) % {
        "line": error.line, "column": error.column, "value": error.value, "columns": ",".join(csv_io.COLUMNS)}


def _too_large(error):
    if request.blueprint == "services":
        _ = page_gettext()
        return _refused(413, N_("The file is too large"),
                        _("A file sent from this page may hold 64 kB at most. Split it, or import it with the "
                          "command line."))
    return error


def init_app(app: Flask) -> None:
    """Register the directory pages and their template helpers."""
    app.register_blueprint(bp)
    app.add_template_global(service_type_label)
    app.add_template_global(services.may_read_services, "may_read_services")
    app.add_template_global(services.may_manage_services, "may_manage_services")
    app.register_error_handler(413, _too_large)
    app.cli.add_command(services_cli)
