"""The administrator's pages about places and settings: locations by level, their CSV import, the timelines in force."""
from __future__ import annotations

import io

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin.accounts import admins_only, flash_done, translated
from app.auth.views import allow_larger_form
from app.runtime import runtime
from app.web.pages import page_gettext, page_language
from casecore.audit import record_event
from casecore.errors import InvalidInput, NotFound
from casecore.i18n import N_, translations
from casecore.people.location_lists import location_counts, locations_at_level, parse_level
from casecore.people.locations import import_locations

bp = Blueprint("admin_places", __name__, url_prefix="/admin")
bp.before_request(admins_only)

# A national list of communes fits easily; the rest of the site keeps the 64 kB limit.
LOCATIONS_IMPORT_MAX_BYTES = 2 * 1024 * 1024


@bp.errorhandler(413)
def _too_large(error):
    # Here rather than app-wide: each page knows its own limit and what to do instead.
    _ = page_gettext()
    limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
    return render_template("error.html", title=_("The form is too large"), message=_(
        "At most %(size)s kB can be sent at once. Split the file and send each part.") % {"size": limit // 1024}), 413


@bp.route("/locations")
def locations():
    """The locations of one level, by code, and the CSV import form."""
    return _locations_page([])


def _locations_page(errors: list[str]):
    try:
        level = parse_level(request.args.get("level"))
        page = int(request.args.get("page") or 1)
        if not 1 <= page <= 10_000:
            raise ValueError
    except (InvalidInput, ValueError):
        _ = page_gettext()
        return render_template("error.html", title=_("This filter cannot be used"), message=_(
            "The level must be 1, 2 or 3 and the page a whole number.")), 400
    with runtime().unit_of_work() as db:
        counts = location_counts(db)
        listing = locations_at_level(db, level, page)
        record_event(db, current_user.id, "locations.viewed", "location", f"level {level}")
    return render_template("admin/locations.html", counts=counts, listing=listing, errors=errors,
                           page_url=lambda number: url_for("admin_places.locations", level=level, page=number),
                           cache_seconds=int(runtime().settings.PLACES_CACHE_SECONDS)), 400 if errors else 200


@bp.route("/locations/import", methods=["POST"])
def locations_import():
    """Create or update locations from an uploaded CSV (code,name,level,parent_code); all or nothing."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _locations_page(translated([N_("Choose a CSV file to import.")]))
    try:
        # utf-8-sig: spreadsheets often save CSV with a byte-order mark.
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return _locations_page(translated([N_("The file is not UTF-8 text: save it as CSV UTF-8.")]))
    try:
        with runtime().unit_of_work() as db:
            count = import_locations(db, io.StringIO(text, newline=""))
            record_event(db, current_user.id, "locations.imported", "location", count)
    except (InvalidInput, NotFound) as error:
        # Nothing was kept: the unit of work rolled back; the reason names the line.
        _ = page_gettext()
        return _locations_page([_("Nothing was imported. Reason: %(reason)s") % {"reason": str(error)}])
    flash_done(N_("%(n)s locations imported."), n=count)
    return redirect(url_for("admin_places.locations"))


@bp.route("/settings")
def settings():
    """The case-work timelines and thresholds in force (read-only: they are set in the environment)."""
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "settings.viewed", "organisation", current_user.organisation_id)
    return render_template("admin/settings.html", timelines=runtime().timelines, settings=runtime().settings,
                           hours=lambda h: _duration(h * 60), minutes=_duration)


def _duration(minutes: float) -> str:
    """A duration in the largest whole unit: '2 weeks', '3 days', '1 hour', '45 minutes', else '1.5 hours'."""
    ngettext = translations(page_language(), "web").ngettext
    minutes = round(minutes, 6)  # hours given as 0.1 must not become 5.999999 minutes
    units = ((7 * 24 * 60, "%(n)s week", "%(n)s weeks"), (24 * 60, "%(n)s day", "%(n)s days"),
             (60, "%(n)s hour", "%(n)s hours"), (1, "%(n)s minute", "%(n)s minutes"))
    for size, one, many in units:
        if minutes >= size and (minutes / size).is_integer():
            n = int(minutes / size)
            return ngettext(one, many, n) % {"n": n}
    return ngettext("%(n)s hour", "%(n)s hours", 2) % {"n": f"{minutes / 60:g}"}


def init_app(app: Flask) -> None:
    """Register the locations and settings pages; the import may receive a larger form than other pages."""
    app.register_blueprint(bp)
    allow_larger_form(app, "admin_places.locations_import", LOCATIONS_IMPORT_MAX_BYTES)
