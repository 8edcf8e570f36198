"""The complaint pages: the list (/complaints) and one complaint with the focal point's next steps, for those who may
read it (casecore.complaints.access; anyone else 404), and the intake form (/complaints/new) for every staff member
who received a complaint in person or by phone.

Views parse the form, call casecore and redirect (POST-redirect-GET); a refusal re-renders the page with the reason.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from flask import Blueprint, Flask, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app.complaints.labels import CATEGORY_HELP, complaint_label, intake_error, refusal
from app.runtime import runtime, timelines
from app.web.confirm import Confirmation, Rehearsed, confirmation_page, unless_confirmed
from app.web.pages import page_gettext
from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.complaints import handling, queries
from casecore.complaints.access import may_handle_complaints, may_read_complaints, require_complaint
from casecore.complaints.intake import DESCRIPTION_LENGTH, log_complaint
from casecore.errors import InvalidInput, NotAllowed, NotFound
from casecore.form_once import first_use
from casecore.free_text import without_controls
from casecore.i18n import N_
from casecore.messaging.routes import MESSAGE_LENGTH
from channels.sms.encoding import to_gsm7
from workers.queueing import enqueue_complaint_alert, enqueue_send

log = logging.getLogger(__name__)

bp = Blueprint("complaints", __name__)


def _not_allowed():
    _ = page_gettext()
    return make_response(render_template(
        "error.html", title=_("Not allowed"), message=_("Complaints are handled by the complaints focal points."),
    ), 403)


def _require_reader() -> None:
    if not may_read_complaints(current_user.role):
        abort(_not_allowed())


@bp.route("/complaints")
def page_list():
    """The complaints this person may read, newest first, by status and category, 50 a page; audited."""
    _require_reader()
    try:
        status, category, page = queries.parse_filters(request.args.get("status"), request.args.get("category"),
                                                       request.args.get("page"))
    except InvalidInput:
        _ = page_gettext()
        return render_template("error.html", title=_("This filter cannot be used"),
                               message=_("Choose a status and a category from the lists.")), 400
    # Read without the write lock (SQLite), then a short unit of work for the audit record.
    with runtime().unit_of_work(read_only=True) as db:
        result = queries.complaint_list(db, current_user, status, category, page)
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "complaints.viewed", "organisation", current_user.organisation_id)
    return render_template(
        "complaints/list.html", result=result, status=status, category=category, statuses=queries.STATUS_FILTERS,
        categories=taxonomy.COMPLAINT_CATEGORIES, page_size=queries.PAGE_SIZE, now=utcnow(),
        page_url=lambda number: url_for("complaints.page_list", status=status, category=category, page=number))


@bp.route("/complaints/<complaint_id>")
def detail(complaint_id: str):
    """One complaint, with its private trail and, for a focal point, the forms of its next steps; audited."""
    _require_reader()
    return _render(complaint_id)


@bp.route("/complaints/<complaint_id>/acknowledge", methods=["POST"])
def acknowledge(complaint_id: str):
    """Take the complaint in hand."""
    return _act(complaint_id, "steps", N_("The complaint is acknowledged."),
                lambda db: handling.acknowledge(db, current_user, complaint_id))


@bp.route("/complaints/<complaint_id>/notes", methods=["POST"])
def note(complaint_id: str):
    """Add a private note (the first one starts the investigation)."""
    form = request.form
    return _act(complaint_id, "notes", N_("The note is added."),
                lambda db: handling.add_note(db, current_user, complaint_id, form.get("text", "")))


@bp.route("/complaints/<complaint_id>/staff", methods=["POST"])
def name_staff(complaint_id: str):
    """Record the staff members the complaint names; naming oneself hands the complaint over."""
    wanted = [value for value in request.form.getlist("user_id") if value]
    _ = page_gettext()
    if not wanted:
        return _render(complaint_id, _("Choose the staff members the complaint names."), "named", 400)
    if _names_me(wanted):
        _result, refused = _run(complaint_id, "named",
                                lambda db: handling.name_staff(db, current_user, complaint_id, wanted))
        if refused is not None:
            return refused
        flash(_("You are named in this complaint: you no longer have access to it. Another focal point handles it."))
        return redirect(url_for("complaints.page_list"))
    return _act(complaint_id, "named", N_("The named staff are recorded. They cannot see this complaint."),
                lambda db: handling.name_staff(db, current_user, complaint_id, wanted))


@bp.route("/complaints/<complaint_id>/severity", methods=["POST"])
def severity(complaint_id: str):
    """Change the severity; the date to close by is counted again."""
    value = request.form.get("severity", "")
    return _act(complaint_id, "classify", N_("The severity is changed."),
                lambda db: handling.set_severity(db, current_user, complaint_id, value, timelines()))


@bp.route("/complaints/<complaint_id>/category", methods=["POST"])
def category(complaint_id: str):
    """File the complaint under another category (who may read it follows)."""
    value = request.form.get("category", "")
    return _act(complaint_id, "classify", N_("The category is changed."),
                lambda db: handling.set_category(db, current_user, complaint_id, value, timelines()))


@bp.route("/complaints/<complaint_id>/resolve", methods=["POST"])
def resolve(complaint_id: str):
    """Record the outcome."""
    outcome = request.form.get("outcome", "")
    return _act(complaint_id, "steps", N_("The complaint is resolved."),
                lambda db: handling.resolve(db, current_user, complaint_id, outcome))


@bp.route("/complaints/<complaint_id>/inform", methods=["POST"])
def inform(complaint_id: str):
    """Send the complainant the focal point's message through the outbox."""
    text = request.form.get("text", "")

    def send(db):
        informed = handling.inform_complainant(db, current_user, complaint_id, text,
                                               sms_backend=runtime().settings.SMS_BACKEND, respell_sms=to_gsm7)
        return [informed.outbox_id]

    return _act(complaint_id, "steps", N_("The message to the complainant is on its way."), send, sends=True)


@bp.route("/complaints/<complaint_id>/close", methods=["POST"])
def close(complaint_id: str):
    """Close a resolved complaint, once confirmed."""
    def confirmation() -> Confirmation:
        _ = page_gettext()
        return Confirmation(
            title=_("Close this complaint?"),
            question=_("A closed complaint leaves the complaints to handle; its record is kept."),
            button=_("Close the complaint"),
            back_url=url_for("complaints.detail", complaint_id=complaint_id, _anchor="steps"))

    return _act(complaint_id, "steps", N_("The complaint is closed."),
                lambda db: handling.close(db, current_user, complaint_id), confirm=confirmation)


@bp.route("/complaints/new", methods=["GET", "POST"])
def new():
    """The form for a complaint received in person or by phone, for any staff member; the reference on success."""
    if request.method == "GET":
        return _intake_page()
    form = request.form
    error = _intake_form_error(form)
    if error:
        return _intake_page(error, 400)
    anonymous = form.get("anonymous") == "yes"
    try:
        with runtime().unit_of_work() as db:
            submitted = log_complaint(
                db, current_user, channel=form.get("channel", ""), category=form.get("category", ""),
                description=form.get("description"), anonymous=anonymous, contact=form.get("contact"),
                may_contact=form.get("may_contact") == "yes", language=form.get("language", ""),
                form_key=form.get("form_key", ""), named_staff_ids=form.getlist("named_staff"),
                default_region=runtime().settings.DEFAULT_REGION, timelines=timelines(),
                phone_key=runtime().phone_key)
            sees_it = _reads(db, submitted.id)
    except (InvalidInput, NotFound) as error:
        # NotFound: a named staff id that is no id at all (the picker only offers real ones).
        log.info("complaint form refused (%s)", error.__class__.__name__)
        return _intake_page(intake_error(error), 400)
    if submitted.is_new:
        # After the commit, so the job finds the complaint; the scheduler sweeps those Redis missed.
        enqueue_complaint_alert(runtime().queue, submitted.id)
    _ = page_gettext()
    flash(_("Complaint logged: reference %(reference)s. Give it to the complainant.")
          % {"reference": submitted.reference})
    if not sees_it:
        flash(_("The complaints focal points handle it from now on: you will not see it in Relais afterwards."))
    return redirect(url_for("complaints.new"))


def _run(complaint_id: str, section: str, action: Callable,
         confirm: Callable[[], Confirmation] | None = None) -> tuple[object, Response | None]:
    """Run one change in a unit of work: (its result, None), or (None, the page with the reason) if refused, or
    (None, the page asking to confirm it) when confirm is given and the form was not yet confirmed."""
    if not may_handle_complaints(current_user.role):
        # Supervisors read complaints; they never act on them. Anyone else learns nothing either way.
        abort(_not_allowed())
    try:
        with runtime().unit_of_work() as db:
            # Each form acts once (its key, casecore.form_once): a double click on a step is not refused as done
            # "already", it is the same step, done; a note sent twice is one note.
            if not first_use(db, current_user.id, request.endpoint, request.form.get("form_key")):
                return [], None
            result = action(db)
            if confirm is not None:
                unless_confirmed(request.form, confirm)
            return result, None
    except Rehearsed as rehearsal:
        return None, make_response(confirmation_page(rehearsal.confirmation, request.path, request.form))
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(_not_allowed())
    except InvalidInput as error:
        message, status = refusal(error)
        log.info("complaint %s: %s refused (%s)", complaint_id, request.endpoint, getattr(error, "code", "invalid"))
        return None, make_response(_render(complaint_id, message, section, status))


def _act(complaint_id: str, section: str, done: str, action: Callable, sends: bool = False,
         confirm: Callable[[], Confirmation] | None = None):
    """Run one change and go back to the page with done flashed; sends: action returns outbox ids to send."""
    result, refused = _run(complaint_id, section, action, confirm)
    if refused is not None:
        return refused
    for outbox_id in result if sends else ():
        # After the commit, so a send job never looks for a row not yet there; the scheduler sweeps what fails.
        enqueue_send(runtime().queue, outbox_id)
    flash(page_gettext()(done))
    return redirect(url_for("complaints.detail", complaint_id=complaint_id, _anchor=section))


def _render(complaint_id: str, error: str | None = None, section: str | None = None, status: int = 200):
    _require_reader()
    try:
        with runtime().unit_of_work() as db:
            view = queries.complaint_view(db, current_user, complaint_id)
    except NotFound:
        abort(404)
    return render_template(
        "complaints/complaint.html", view=view, c=view.complaint, error=error, error_section=section,
        form=request.form if error else {}, now=utcnow(), taxonomy=taxonomy,
        note_length=handling.NOTE_LENGTH, outcome_length=handling.OUTCOME_LENGTH, message_length=MESSAGE_LENGTH,
    ), status


def _reads(db, complaint_id) -> bool:
    """Whether the person who logged the complaint may read it (a focal point or, if not sensitive, a supervisor,
    unless it names them)."""
    try:
        require_complaint(db, current_user, complaint_id)
    except NotFound:
        return False
    return True


def _names_me(user_ids: list[str]) -> bool:
    """Whether the reader names themselves (their id in any spelling a UUID allows)."""
    return any(_same_id(user_id, current_user.id) for user_id in user_ids)


def _same_id(text: str, user_id: uuid.UUID) -> bool:
    try:
        return uuid.UUID(text) == user_id
    except ValueError:
        return False


def _intake_form_error(form) -> str | None:
    """What is wrong with the lists of the form, in the reader's words (the rest is casecore's to check)."""
    _ = page_gettext()
    if form.get("channel") not in taxonomy.STAFF_INTAKE_CHANNELS:
        return _("Say how the complaint was received: in person or by phone.")
    if form.get("category") not in taxonomy.COMPLAINT_CATEGORIES:
        return _("Choose a category from the list.")
    if form.get("language") not in taxonomy.COMMUNITY_LANGUAGES:
        return _("Choose the complainant's language from the list.")
    if len(form.get("description") or "") > DESCRIPTION_LENGTH:
        return _("The description is limited to %(length)s characters.") % {"length": DESCRIPTION_LENGTH}
    if (form.get("anonymous") != "yes" and form.get("may_contact") == "yes"
            and not without_controls(form.get("contact")).strip()):
        return _("Give the number to call back, or untick the call back.")
    return None


def _intake_page(error: str | None = None, status: int = 200):
    with runtime().unit_of_work(read_only=True) as db:
        staff = queries.nameable_staff(db, current_user.organisation_id)
    return render_template(
        "complaints/new.html", error=error, form=request.form if error else {}, form_key=uuid.uuid4(), staff=staff,
        chosen=request.form.getlist("named_staff") if error else [],
        taxonomy=taxonomy, category_help=CATEGORY_HELP, description_length=DESCRIPTION_LENGTH,
    ), status


def init_app(app: Flask) -> None:
    """Register the complaint pages and their template helpers."""
    app.register_blueprint(bp)
    app.add_template_global(complaint_label)
    app.add_template_global(may_read_complaints, "may_read_complaints")
