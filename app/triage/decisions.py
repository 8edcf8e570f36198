"""The report page and its decisions: accept into a case, duplicate, not eligible, refer out (the triage
blueprint routes here, for supervisors only)."""
from __future__ import annotations

import logging
import uuid
from typing import Callable, Mapping

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.runtime import runtime
from app.triage.labels import label
from app.web.confirm import Confirmation, Rehearsed, confirmation_page, unless_confirmed
from app.web.pages import page_gettext
from app.web.words import sentence
from casecore import taxonomy
from casecore.audit import record_event
from casecore.cases.access import may_view_report
from casecore.cases.assignment import candidates
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.handoff.modes import mode_of
from casecore.handoff.queries import report_handoff
from casecore.handoff.queue import queue_handoff
from casecore.i18n import N_
from casecore.ids import parse_id
from casecore.reports.media import report_media
from casecore.triage import queries
from casecore.triage.decisions import (
    Acceptance,
    accept_report,
    mark_duplicate,
    mark_not_eligible,
    refer_out,
    suggested_risk,
)
from workers import plans
from workers.queueing import enqueue_handoff, enqueue_send

log = logging.getLogger(__name__)


def report_page(report_id: str, values: Mapping[str, str], *, error: str | None = None, form: str | None = None,
                status: int = 200):
    """Render a report with its decision (or the forms while it is new); values pre-fill the forms."""
    rt = runtime()
    organisation_id = current_user.organisation_id
    with rt.unit_of_work() as db:
        try:
            key = parse_id(report_id, "report")
            if not may_view_report(db, current_user, key):
                raise NotFound(f"no report {key}")  # another team's case, or one transferred away
            detail = queries.report_detail(db, organisation_id, key)
        except NotFound:
            abort(404)
        attachments = report_media(db, detail.id)
        facts = queries.triage_facts(db, detail.id)
        decision = queries.decision_of(db, organisation_id, detail.id)
        handoff = report_handoff(db, organisation_id, detail.id)
        # An on_report organisation triages in CPIMS+: a new report waits there, not for a decision here.
        triaged_in_cpims = decision is None and mode_of(db, rt.handoff_modes, organisation_id) == "on_report"
        needs = _matching_needs(values, facts.language)
        workers = services = []
        if decision is None and not triaged_in_cpims:
            workers = candidates(db, organisation_id, caseload_limit=rt.timelines.caseload_limit, **needs)
            services = queries.active_services(db, organisation_id)
        next_report = queries.next_in_queue(db, organisation_id, detail.id)
        record_event(db, current_user.id, "report.viewed", "report", detail.id)
    return render_template(
        "triage/report.html", report=detail, attachments=attachments, facts=facts, decision=decision, handoff=handoff,
        triaged_in_cpims=triaged_in_cpims, workers=workers,
        services=services, needs=needs, values=values, error=error, error_form=form,
        caseload_limit=rt.timelines.caseload_limit, risk_levels=taxonomy.CASE_RISK_LEVELS,
        suggested_risk=suggested_risk(detail.urgent), next_report=next_report,
        form_page=url_for("triage.report", report_id=detail.id),
        languages=taxonomy.COMMUNITY_LANGUAGES, reasons=taxonomy.NOT_ELIGIBLE_REASONS,
    ), status


def best_matches(report_id: str):
    """Only the case-worker table of the acceptance form, ordered for the family's requests: the report page's
    script swaps it in place of the old one, so choosing a request does not reload the page."""
    rt = runtime()
    organisation_id = current_user.organisation_id
    with rt.unit_of_work(read_only=True) as db:
        try:
            key = parse_id(report_id, "report")
            if not may_view_report(db, current_user, key):
                raise NotFound(f"no report {key}")
            facts = queries.triage_facts(db, key)
        except NotFound:
            abort(404)
        needs = _matching_needs(request.args, facts.language)
        workers = candidates(db, organisation_id, caseload_limit=rt.timelines.caseload_limit, **needs)
    return render_template("triage/workers.html", workers=workers, needs=needs, values=request.args,
                           caseload_limit=rt.timelines.caseload_limit)


def accept(report_id: str):
    """Accept a new report: a case opened with a risk level and a case worker."""
    form = request.form
    acceptance = Acceptance(
        risk_level=form.get("risk_level", ""), assigned_to_id=form.get("assigned_to_id", ""),
        wants_female_worker=form.get("wants_female_worker") == "1", family_language=form.get("family_language"),
    )
    rt = runtime()
    settings = rt.settings
    handoffs: list = []

    def decide(db) -> list:
        accepted = accept_report(
            db, report_id, acceptance, organisation_id=current_user.organisation_id, decided_by_id=current_user.id,
            timelines=rt.timelines, default_region=settings.DEFAULT_REGION, sms_backend=settings.SMS_BACKEND,
            committee_thanks=plans.committee_thanks)
        # In the decision's transaction: an accepted report of an on_accept organisation reaches Primero, whatever
        # fails after the commit.
        if mode_of(db, rt.handoff_modes, current_user.organisation_id) == "on_accept":
            handoffs.append(queue_handoff(db, accepted.report_id, current_user.organisation_id, "on_accept",
                                          case_id=accepted.case_id, actor_id=current_user.id))
        return accepted.outbox_ids

    def hand_over() -> None:
        for handoff_id in handoffs:
            # A False (Redis down) is caught up by the scheduler's sweep of waiting hand-offs.
            enqueue_handoff(rt.queue, handoff_id)

    return _decide(report_id, "accept", decide, after=hand_over)


def duplicate(report_id: str):
    """Close a new report as a duplicate of another report of the organisation."""
    form = request.form

    def decide(db) -> list:
        return mark_duplicate(db, report_id, organisation_id=current_user.organisation_id,
                              decided_by_id=current_user.id, original_reference=form.get("original_reference", ""),
                              note=form.get("note"))

    def confirm(db, original_id) -> Confirmation:
        _ = page_gettext()
        return _closing(report_id, "duplicate", _("Close this report as a duplicate?"), _("Mark as a duplicate"), [
            (_("Duplicate of"), queries.reference_of(db, original_id)), *_note_fact(form)])

    return _decide(report_id, "duplicate", decide, confirm=confirm)


def not_eligible(report_id: str):
    """Close a new report as not eligible, with a reason."""
    form = request.form

    def decide(db) -> None:
        mark_not_eligible(db, report_id, organisation_id=current_user.organisation_id,
                          decided_by_id=current_user.id, reason=form.get("reason", ""), note=form.get("note"))

    def confirm(db, _decided) -> Confirmation:
        _ = page_gettext()
        return _closing(report_id, "not_eligible", _("Close this report as not eligible?"),
                        _("Close as not eligible"),
                        [(_("Reason"), label("not_eligible", form["reason"])), *_note_fact(form)])

    return _decide(report_id, "not_eligible", decide, confirm=confirm)


def refer(report_id: str):
    """Close a new report as referred to a service of the directory."""
    form = request.form

    def decide(db) -> uuid.UUID:
        return refer_out(db, report_id, organisation_id=current_user.organisation_id, decided_by_id=current_user.id,
                         service_id=form.get("service_id", ""), note=form.get("note"))

    def confirm(db, service_id) -> Confirmation:
        _ = page_gettext()
        return _closing(report_id, "refer", _("Close this report by referring it to another organisation?"),
                        _("Refer out"), [(_("Service"), queries.service_name(db, service_id)), *_note_fact(form)])

    return _decide(report_id, "refer", decide, confirm=confirm)


def _closing(report_id: str, form_name: str, question: str, button: str, facts: list) -> Confirmation:
    """The confirmation of a decision that closes a report: no case is opened, the report leaves the queue."""
    _ = page_gettext()
    return Confirmation(
        title=question, question=_("The report leaves the queue and no case is opened for the child."),
        button=button, facts=facts,
        back_url=url_for("triage.report", report_id=report_id, _anchor=f"decide-{form_name}"))


def _note_fact(form) -> list[tuple[str, str]]:
    _ = page_gettext()
    note = (form.get("note") or "").strip()
    return [(_("Note"), note)] if note else []


def _decide(report_id: str, form_name: str, action: Callable, after: Callable[[], None] | None = None,
            confirm: Callable[..., Confirmation] | None = None):
    """Run a decision in one transaction, then after(); a refusal re-renders the page with the reason next to the
    form, never a 500. A decision that closes the report (confirm given) is first carried out and undone, so the
    confirmation page only ever asks about a decision that holds; it is kept once confirmed."""
    rt = runtime()
    _ = page_gettext()
    try:
        with rt.unit_of_work() as db:
            if mode_of(db, rt.handoff_modes, current_user.organisation_id) == "on_report":
                raise Conflict(N_("this organisation triages its reports in CPIMS+: decide there"))
            outcome = action(db)
            if confirm is not None:
                unless_confirmed(request.form, lambda: confirm(db, outcome))
    except Rehearsed as rehearsal:
        return confirmation_page(rehearsal.confirmation, request.path, request.form)
    except NotFound:
        abort(404)
    except Conflict as refusal:
        return report_page(report_id, request.form, error=sentence(_(str(refusal))), form=form_name, status=409)
    except InvalidInput as refusal:
        return report_page(report_id, request.form, error=sentence(_(str(refusal))), form=form_name, status=400)
    # Only an acceptance writes messages (the case worker's alert, a committee's thanks).
    for message_id in outcome if form_name == "accept" else ():
        # After the commit; a False (Redis down) is caught up by the scheduler's sweep of queued messages.
        enqueue_send(rt.queue, message_id)
    if after is not None:
        after()
    flash(_(DONE[form_name]))
    # Its own anchor, or the browser would keep the form's (#error-...) for the page after the redirect.
    return redirect(url_for("triage.report", report_id=report_id, _anchor="done"))


# What the report page says once a decision is recorded.
DONE = {
    "accept": N_("The report is accepted: the case is open and its case worker alerted."),
    "duplicate": N_("The report is closed as a duplicate."),
    "not_eligible": N_("The report is closed as not eligible."),
    "refer": N_("The report is closed as referred out."),
}


def _matching_needs(values: Mapping[str, str], reporter_language: str) -> dict:
    """The family's requests as the form gives them; the reporter's language until someone says otherwise."""
    language = values.get("family_language", reporter_language)
    if language not in taxonomy.COMMUNITY_LANGUAGES:
        language = None
    return {"wants_female_worker": values.get("wants_female_worker") == "1", "family_language": language}
