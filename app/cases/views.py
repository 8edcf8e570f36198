"""The case page (/cases/<id>): steps, approvals, consent, follow-ups, messages to the family, closure, reopening.

Views parse the form, call casecore and redirect (POST-redirect-GET); a refusal re-renders the page with the reason
(4xx). Access is casecore's (casecore.cases.access through casecore.cases.casework): a case not visible is a 404; an
administrator, who never sees case content, gets a 403.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, time, timezone

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.cases.labels import case_label, refusal
from app.runtime import runtime, timelines
from app.web.confirm import Confirmation, Rehearsed, confirmation_page, unless_confirmed
from app.web.pages import page_gettext, requested_page
from casecore import taxonomy
from casecore.audit import record_event
from casecore.base import utcnow
from casecore.cases import (
    approvals,
    best_interests,
    casework,
    closure,
    conferences,
    documents,
    outreach,
    plan,
    reassignment,
    surveys,
    tracing,
)
from casecore.cases.assessment import assessment_of
from casecore.cases.assignment import OPEN_STATUSES, candidates
from casecore.cases.consent_rules import consent_rule
from casecore.cases.registration import WG_FIELDS, registration_of
from casecore.cases.risk import risk_history
from casecore.cases.view import case_page, pending_approvals
from casecore.directory.services import list_services
from casecore.errors import InvalidInput, NotAllowed, NotFound, Refused
from casecore.form_once import first_use
from casecore.free_text import TEXT_LENGTH
from casecore.messaging.routes import MESSAGE_LENGTH
from casecore.people.roles import ADMIN, SUPERVISOR
from casecore.periods import local_today, parse_day
from channels.sms.encoding import to_gsm7
from workers import plans
from workers.queueing import enqueue_send

log = logging.getLogger(__name__)

bp = Blueprint("casework", __name__)

# Dated follow-ups (a day, not a time) are recorded at midday UTC; one dated today is recorded as now.
MIDDAY = time(12, 0, tzinfo=timezone.utc)


def survey_plan() -> surveys.SurveyPlan:
    """The closure surveys: the invitations in the family's language, respelt for SMS, sent by the SMS backend."""
    return plans.survey_plan(runtime())


@bp.route("/cases/<case_id>")
def page(case_id: str):
    """One case, for its case worker or its team's supervisor; viewing it is recorded in the audit trail, and so is
    asking to see the child's names (?show=names, which also opens the registration form)."""
    return _render(case_id, show_names=request.args.get("show") == "names")


@bp.route("/approvals")
def approvals_list():
    """Requests waiting for the supervisor's decision on the cases of their teams, oldest first."""
    if current_user.role != SUPERVISOR:
        abort(403)
    page = requested_page()
    with runtime().unit_of_work() as db:
        result = pending_approvals(db, current_user, page)
        record_event(db, current_user.id, "approvals.viewed", "approvals", None)
    return render_template("cases/approvals.html", result=result,
                           page_url=lambda number: url_for("casework.approvals_list", page=number))


@bp.route("/cases/<case_id>/step", methods=["POST"])
def advance(case_id: str):
    """Start the next step that needs no approval (the assessment, the follow-up)."""
    step = request.form.get("to_step", "")

    def confirmation() -> Confirmation:
        _ = page_gettext()
        return Confirmation(
            title=_("Start the next step: %(step)s?") % {"step": case_label("step", step)},
            question=_("The case moves on to this step, and its deadlines with it. It does not come back to the "
                       "step before."),
            button=_("Start: %(step)s") % {"step": case_label("step", step)},
            back_url=url_for("casework.page", case_id=case_id, _anchor="steps"))

    return act(case_id, "steps", lambda db: casework.advance_step(db, current_user, case_id, step),
               confirm=confirmation)


@bp.route("/cases/<case_id>/notes", methods=["POST"])
def note(case_id: str):
    """Add a note on the current step."""
    text, child_views = request.form.get("text", ""), request.form.get("child_views") == "yes"
    return act(case_id, "timeline", lambda db: casework.add_note(db, current_user, case_id, text,
                                                                  child_views=child_views), once=True)


@bp.route("/cases/<case_id>/consents", methods=["POST"])
def consent(case_id: str):
    """Record consent (or its refusal) for one purpose."""
    form = request.form
    return act(case_id, "consent", lambda db: casework.record_consent(
        db, current_user, case_id, purpose=form.get("purpose", ""), given=form.get("given") == "yes",
        given_by=form.get("given_by", ""), note=form.get("note"), child_assent=form.get("child_assent") or None,
        today=local_today(runtime().zone)), once=True)


@bp.route("/cases/<case_id>/consents/<consent_id>/withdraw", methods=["POST"])
def withdraw(case_id: str, consent_id: str):
    """Withdraw a consent; referrals not yet taken up are revoked with it."""
    return act(case_id, "consent", lambda db: casework.withdraw_consent(db, current_user, case_id, consent_id))


@bp.route("/cases/<case_id>/legal-hold", methods=["POST"])
def legal_hold(case_id: str):
    """A supervisor puts the case under a legal hold or lifts it."""
    form = request.form
    return act(case_id, "legal-hold", lambda db: casework.set_legal_hold(
        db, current_user, case_id, form.get("hold") == "yes", form.get("reason")))


@bp.route("/cases/<case_id>/messages/<event_id>/link", methods=["POST"])
def link_sender(case_id: str, event_id: str):
    """Link the number a message with the case's reference came from: it is the family's, the case worker says."""
    return act(case_id, "timeline", lambda db: outreach.link_sender(db, current_user, case_id, event_id))


@bp.route("/cases/<case_id>/approvals", methods=["POST"])
def request_approval(case_id: str):
    """Ask the supervisor to approve the assessment, the case plan or the closure."""
    form = request.form
    return act(case_id, "approvals", lambda db: approvals.request_approval(
        db, current_user, case_id, form.get("step", ""), form.get("content"), form.get("closure_reason") or None,
        criteria=form.getlist("criteria")))


@bp.route("/cases/<case_id>/approvals/<approval_id>/decision", methods=["POST"])
def decide(case_id: str, approval_id: str):
    """The supervisor approves or returns a request."""
    form = request.form

    def confirmation() -> Confirmation:
        _ = page_gettext()
        comment = (form.get("comment") or "").strip()
        return Confirmation(
            title=_("Approve, and move the case on?"),
            question=_("An approved step cannot be taken back: the case moves to the next step, or closes for a "
                       "closure."),
            button=_("Approve"), facts=[(_("Comment"), comment)] if comment else [],
            back_url=url_for("casework.page", case_id=case_id, _anchor="approvals"))

    # Returning a request leaves the case where it is: only an approval moves it, and asks first.
    return act(case_id, "approvals", lambda db: approvals.decide_approval(
        db, current_user, case_id, approval_id, form.get("decision", ""), form.get("comment"),
        timelines=timelines(), surveys=survey_plan()),
        confirm=confirmation if form.get("decision") == "approved" else None)


@bp.route("/cases/<case_id>/follow-ups", methods=["POST"])
def follow_up(case_id: str):
    """Log a visit or a case plan review, with when the next one is due."""
    form = request.form

    def log_it(db):
        happened = form_day(form.get("happened_on"), default_now=True)
        return casework.log_follow_up(db, current_user, case_id, kind=form.get("kind", ""), happened_at=happened,
                                      notes=form.get("notes"), next_due_at=form_day(form.get("next_due_on")),
                                      timelines=timelines())

    return act(case_id, "follow-ups", log_it, once=True)


@bp.route("/cases/<case_id>/messages", methods=["POST"])
def message(case_id: str):
    """Send the case worker's text to the family's number, through the outbox."""
    form = request.form

    def send(db):
        sent = outreach.message_family(
            db, current_user, case_id, contact_id=form.get("contact_id") or None, text=form.get("text", ""),
            form_key=form.get("form_key", ""), sms_backend=runtime().settings.SMS_BACKEND, respell_sms=to_gsm7)
        return [sent.outbox_id] if sent.is_new else []

    return act(case_id, "messages", send)


@bp.route("/cases/<case_id>/assignment", methods=["POST"])
def assign(case_id: str):
    """A supervisor gives the case to a case worker (a case come in by transfer, or one changing hands)."""
    worker_id = request.form.get("assigned_to_id", "")
    return act(case_id, "assignment", lambda db: reassignment.assign_case(
        db, current_user, case_id, worker_id, sms_backend=runtime().settings.SMS_BACKEND))


@bp.route("/cases/<case_id>/reopen", methods=["POST"])
def reopen(case_id: str):
    """A supervisor reopens a closed case, saying why."""
    reason = request.form.get("reason", "")
    return act(case_id, "status", lambda db: casework.reopen_case(db, current_user, case_id, reason, timelines()))


def act(case_id: str, section: str, action: Callable, once: bool = False,
        confirm: Callable[[], Confirmation] | None = None):
    """Run one change in a unit of work; redirect to the page on success, re-render it with the reason if refused.

    once: the form adds something, so the same form sent twice acts once (its key, casecore.form_once).
    confirm: the change moves the case on: it is tried and undone, and a page asks to confirm it first.
    """
    refuse_admin()
    try:
        with runtime().unit_of_work() as db:
            if once and not first_use(db, current_user.id, request.endpoint, request.form.get("form_key")):
                return redirect(url_for("casework.page", case_id=case_id, _anchor=section))
            result = action(db)
            if confirm is not None:
                unless_confirmed(request.form, confirm)
    except Rehearsed as rehearsal:
        return confirmation_page(rehearsal.confirmation, request.path, request.form)
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except InvalidInput as error:
        message, status = refusal(getattr(error, "code", None))
        log.info("case %s: %s refused (%s)", case_id, request.endpoint, getattr(error, "code", "invalid"))
        return _render(case_id, error=message, error_section=section, status=status)
    if isinstance(result, list):
        # After the commit, so a send job never looks for a row not yet there; the scheduler sweeps what fails.
        for outbox_id in result:
            enqueue_send(runtime().queue, outbox_id)
    return redirect(url_for("casework.page", case_id=case_id, _anchor=section))


def _render(case_id: str, error: str | None = None, error_section: str | None = None, status: int = 200,
            show_names: bool = False):
    refuse_admin()
    # A refused registration comes back with its form, names and all, as it was sent.
    show_names = show_names or error_section == "registration"
    # Read without the write lock (SQLite), then a short unit of work for the audit record.
    with runtime().unit_of_work(read_only=True) as db:
        try:
            view = case_page(db, current_user, case_id, runtime().settings.SMS_BACKEND)
        except NotFound:
            abort(404)
        workers = _assignable(db, view.case)
    with runtime().unit_of_work() as db:
        record_event(db, current_user.id, "case.viewed", "case", view.case.id)
        child = registration_of(db, current_user, view.case, view.report, show_names=show_names,
                                today=local_today(runtime().zone))
        history = risk_history(db, view.case.id)
        assessed = assessment_of(db, view.case.id)
        case_plan = plan.plan_of(db, view.case.id)
        given = plan.services_given_of(db, view.case.id)
        reviews = plan.reviews_of(db, view.case.id)
        meetings = conferences.conferences_of(db, view.case.id)
        interests = best_interests.best_interests_of(db, view.case.id)
        traced = tracing.tracing_of(db, view.case.id)
        pending_closure = next((a for a in view.approvals if a.step == "closure" and a.decision == "pending"), None)
        feedback = closure.feedback_for(db, pending_closure.id) if pending_closure else {}
        files = documents.documents_of(db, view.case.id)
        unlinked = outreach.unlinked_senders(db, view.case.id)
        services = list_services(db, view.case.organisation_id, stale_days=runtime().settings.SERVICE_STALE_DAYS)
    return render_template(
        "cases/case.html", view=view, case=view.case, error=error, error_section=error_section,
        form=request.form if error else {}, form_key=uuid.uuid4(), now=utcnow(), today=local_today(runtime().zone),
        is_supervisor=current_user.role == SUPERVISOR, manual_moves=casework.MANUAL_MOVES,
        request_from=approvals.REQUEST_FROM, taxonomy=taxonomy,
        message_length=MESSAGE_LENGTH, text_length=TEXT_LENGTH,
        workers=workers, caseload_limit=timelines().caseload_limit,
        child=child, show_names=show_names, consent_rule=consent_rule(child.age), risk_history=history,
        assessment=assessed,
        places=runtime().places.get(), wg_fields=WG_FIELDS, plan=case_plan, services=services,
        services_given=given, reviews=reviews, conferences=meetings,
        best_interests=interests, tracing=traced, closure_feedback=feedback,
        documents=files, media_max_bytes=runtime().settings.MEDIA_MAX_BYTES, unlinked=unlinked,
        now_sections=SECTIONS_OF_STEP.get(view.case.current_step, ()),
        open_sections=_open_sections(view, child, error_section),
    ), status


# The case page's sections for each step's work: shown first in its table of sections, and unfolded.
SECTIONS_OF_STEP = {
    "registration": ("registration", "consent", "messages"),
    "assessment": ("assessment", "risk", "approvals", "messages"),
    "case_plan": ("plan", "approvals"),
    "implementation": ("plan", "services-given", "conferences"),
    "follow_up": ("follow-ups", "plan", "approvals"),
    "closure": ("approvals",),
}
# Unfolded whatever the step: where the case stands, what is due, and the family's numbers and messages.
ALWAYS_OPEN = ("assignment", "steps", "deadlines", "messages")


def _open_sections(view, child, error_section: str | None) -> set[str]:
    """The sections the case page shows unfolded: the current step's, a refused form's, a pending approval's for
    the supervisor who answers it, best interests and tracing for a child separated or unaccompanied; every other
    one is a line that opens on a click (or a link to it)."""
    unfolded = {*ALWAYS_OPEN, *SECTIONS_OF_STEP.get(view.case.current_step, ())}
    if child.protection_status:
        unfolded |= {"best-interests", "tracing"}
    if view.case.status == "closed":
        unfolded |= {"status", "follow-ups"}  # reopening it, or the visit after the closure
    if error_section:
        unfolded.add(error_section)
    if current_user.role == SUPERVISOR and any(a.decision == "pending" for a in view.approvals):
        unfolded.add("approvals")
    return unfolded


def _assignable(db, case) -> list:
    """The case workers a supervisor may give this case to, best match for the family first; none for others."""
    if current_user.role != SUPERVISOR or case.status not in OPEN_STATUSES:
        return []
    return candidates(db, case.organisation_id, caseload_limit=timelines().caseload_limit,
                      wants_female_worker=bool(case.wants_female_worker), family_language=case.family_language)


def refuse_admin() -> None:
    # An administrator manages people and settings and never reads case content: say so rather than 404.
    if current_user.role == ADMIN:
        abort(403)


def form_day(value: str | None, default_now: bool = False) -> datetime | None:
    """A form's day (DD/MM/YYYY or YYYY-MM-DD) as an aware UTC time (midday; now for today where the organisation
    is, the day the form starts at); None (or now) when left empty."""
    if not value:
        return utcnow() if default_now else None
    try:
        day = parse_day(value)
    except ValueError:
        raise Refused("bad_date") from None
    now = utcnow()
    return now if default_now and day == local_today(runtime().zone) else datetime.combine(day, MIDDAY)


def init_app(app: Flask) -> None:
    """Register the case page and its forms, and their template helpers."""
    app.register_blueprint(bp)
    app.add_template_global(case_label)
    # A list of codes in words: {{ codes | map("case_word", "document") | join(", ") }}.
    app.add_template_filter(lambda code, group: case_label(group, code), "case_word")
    # A key per form shown, so the form sent twice acts once (casecore.form_once).
    app.add_template_global(lambda: uuid.uuid4(), "new_form_key")
