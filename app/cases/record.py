"""The case record's forms on the case page (issue 16: the CPIMS+ standard forms): registration, risk level,
assessment, plan, reviews, conferences, best interests, tracing, services given, documents and the closure's
feedback. Same blueprint and same way of acting as the case page (app.cases.views): parse, call casecore inside
_act's unit of work, redirect to the section, or show the page again with the reason."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from app.auth.views import allow_larger_form
from app.cases.registration_form import form_date, registration_entry
from app.cases.views import act, bp, form_day, refuse_admin
from app.runtime import runtime, timelines
from app.web.file_download import attachment_response
from casecore import taxonomy
from casecore.cases import best_interests, closure, conferences, documents, plan, tracing
from casecore.cases.assessment import PARTS as ASSESSMENT_PARTS
from casecore.cases.assessment import DomainEntry, record_assessment
from casecore.cases.registration import record_registration
from casecore.cases.risk import revise_risk
from casecore.errors import NotFound, Refused
from casecore.messaging.media_types import EXTENSIONS
from casecore.periods import local_today
from workers import plans


@bp.route("/cases/<case_id>/risk", methods=["POST"])
def risk(case_id: str):
    """Revise the case's overall risk level, saying why; its open deadlines follow the new level."""
    form = request.form
    return act(case_id, "risk", lambda db: revise_risk(db, current_user, case_id, form.get("risk_level", ""),
                                                        form.get("reason"), timelines()))


@bp.route("/cases/<case_id>/assessment", methods=["POST"])
def assessment(case_id: str):
    """Write the child's assessment by domain (form 2.A)."""
    form = request.form
    domains = {domain: DomainEntry(*(form.get(f"{domain}__{part}") for part in ASSESSMENT_PARTS))
               for domain in taxonomy.ASSESSMENT_DOMAINS}
    return act(case_id, "assessment", lambda db: record_assessment(db, current_user, case_id, domains))


@bp.route("/cases/<case_id>/plan/goals", methods=["POST"])
def goal(case_id: str):
    """Add a goal to the case plan."""
    form = request.form
    return act(case_id, "plan", lambda db: plan.add_goal(db, current_user, case_id, form.get("goal"),
                                                          form.get("domain") or None), once=True)


@bp.route("/cases/<case_id>/plan/goals/<goal_id>/actions", methods=["POST"])
def action(case_id: str, goal_id: str):
    """Add an action towards a goal: what, who, by when."""
    form = request.form
    return act(case_id, "plan", lambda db: plan.add_action(
        db, current_user, case_id, goal_id, what=form.get("what"), by=form.get("by", ""),
        service_id=form.get("service_id") or None, due_on=form_date(form.get("due_on")),
        today=local_today(runtime().zone)), once=True)


@bp.route("/cases/<case_id>/plan/goals/<goal_id>/status", methods=["POST"])
def goal_status(case_id: str, goal_id: str):
    """Say where a goal stands."""
    status = request.form.get("status", "")
    return act(case_id, "plan", lambda db: plan.set_goal_status(db, current_user, case_id, goal_id, status))


@bp.route("/cases/<case_id>/plan/actions/<action_id>/status", methods=["POST"])
def action_status(case_id: str, action_id: str):
    """Say how an action went."""
    status = request.form.get("status", "")
    return act(case_id, "plan", lambda db: plan.set_action_status(db, current_user, case_id, action_id, status))


@bp.route("/cases/<case_id>/reviews", methods=["POST"])
def review(case_id: str):
    """Record a plan review: each goal's progress, what was shared, the risk level, whether the plan changes."""
    form = request.form

    def record(db):
        goals = {key.removeprefix("status_"): plan.GoalReview(form.get(f"progress_{key.removeprefix('status_')}"),
                                                              form.get(key, ""))
                 for key in form if key.startswith("status_")}
        return plan.record_review(
            db, current_user, case_id, happened_at=form_day(form.get("happened_on"), default_now=True),
            notes=form.get("notes"), shared_with_family=form.get("shared_with_family"),
            plan_changes=form.get("plan_changes") == "yes", goals=goals, risk_level=form.get("risk_level") or None,
            next_due_at=form_day(form.get("next_due_on")), timelines=timelines())

    return act(case_id, "review", record, once=True)


@bp.route("/cases/<case_id>/conferences", methods=["POST"])
def conference(case_id: str):
    """Record a case conference: when, who took part, what it decided, and the actions it agreed for the plan."""
    form = request.form

    def record(db):
        agreed = [conferences.AgreedAction(form.get(f"action_goal_{row}", ""), form.get(f"action_what_{row}"),
                                           form.get(f"action_by_{row}", ""), form.get(f"action_service_{row}") or None,
                                           form_date(form.get(f"action_due_{row}")))
                  for row in range(conferences.MAX_FOLLOW_UP_ACTIONS)
                  if (form.get(f"action_what_{row}") or "").strip()]
        return conferences.record_conference(
            db, current_user, case_id, held_on=form_date(form.get("held_on")),
            staff_present=form.get("staff_present"), services_present=form.get("services_present"),
            family_present=form.get("family_present") == "yes", child_present=form.get("child_present") == "yes",
            decisions=form.get("decisions"), actions=agreed, today=local_today(runtime().zone))

    return act(case_id, "conferences", record, once=True)


@bp.route("/cases/<case_id>/best-interests/assessments", methods=["POST"])
def bia(case_id: str):
    """Record a best-interest assessment."""
    form = request.form
    return act(case_id, "best-interests", lambda db: best_interests.record_assessment(
        db, current_user, case_id, done_on=form_date(form.get("done_on")), reason=form.get("reason", ""),
        findings=form.get("findings"), child_views=form.get("child_views"),
        recommendation=form.get("recommendation"), today=local_today(runtime().zone)), once=True)


@bp.route("/cases/<case_id>/best-interests/determinations", methods=["POST"])
def bid(case_id: str):
    """Record a panel's best-interest determination (a supervisor signs it off)."""
    form = request.form
    return act(case_id, "best-interests", lambda db: best_interests.record_determination(
        db, current_user, case_id, held_on=form_date(form.get("held_on")), panel=form.getlist("panel"),
        evidence=form.get("evidence"), child_views=form.get("child_views"), decision=form.get("decision"),
        reasons=form.get("reasons"), dissent=form.get("dissent"), follow_up=form.get("follow_up"),
        today=local_today(runtime().zone)), once=True)


@bp.route("/cases/<case_id>/best-interests/determinations/<determination_id>/sign-off", methods=["POST"])
def bid_sign_off(case_id: str, determination_id: str):
    """A supervisor signs a determination off."""
    return act(case_id, "best-interests", lambda db: best_interests.sign_off(db, current_user, case_id,
                                                                              determination_id))


@bp.route("/cases/<case_id>/tracing/actions", methods=["POST"])
def tracing_action(case_id: str):
    """Record a tracing action."""
    form = request.form
    return act(case_id, "tracing", lambda db: tracing.record_tracing_action(
        db, current_user, case_id, done_on=form_date(form.get("done_on")), location_code=form.get("location") or None,
        address=form.get("address"), contacted=form.get("contacted"), action=form.get("action"),
        outcome=form.get("outcome", ""), today=local_today(runtime().zone)), once=True)


@bp.route("/cases/<case_id>/tracing/matches", methods=["POST"])
def match_search(case_id: str):
    """Look for the organisation's tracing requests that may be about this child."""
    return act(case_id, "tracing", lambda db: tracing.propose_matches(db, current_user, case_id,
                                                                       local_today(runtime().zone)))


@bp.route("/cases/<case_id>/tracing/matches/<match_id>/decision", methods=["POST"])
def match_decision(case_id: str, match_id: str):
    """Confirm or reject a proposed match."""
    confirm = request.form.get("decision") == "confirm"
    return act(case_id, "tracing", lambda db: tracing.decide_match(db, current_user, case_id, match_id, confirm))


@bp.route("/cases/<case_id>/tracing/matches/<match_id>/verification", methods=["POST"])
def match_verified(case_id: str, match_id: str):
    """Record the family link's verification; the person who asked is told there is news."""
    form, settings = request.form, runtime().settings
    return act(case_id, "tracing", lambda db: tracing.verify_link(
        db, current_user, case_id, match_id, verified_on=form_date(form.get("verified_on")),
        how=form.get("verification"), today=local_today(runtime().zone), news_text=plans.tracing_news,
        backend=settings.SMS_BACKEND, default_region=settings.DEFAULT_REGION))


@bp.route("/cases/<case_id>/tracing/matches/<match_id>/reunification", methods=["POST"])
def match_reunified(case_id: str, match_id: str):
    """Date the reunification; a follow-up visit falls due two weeks later."""
    form = request.form
    return act(case_id, "tracing", lambda db: tracing.record_reunification(
        db, current_user, case_id, match_id, reunified_on=form_date(form.get("reunified_on")),
        today=local_today(runtime().zone)))


@bp.route("/cases/<case_id>/documents", methods=["POST"])
def document_upload(case_id: str):
    """Attach a document or photo to the case (checked as WhatsApp files are)."""
    rt = runtime()
    upload = request.files.get("file")
    data = upload.read(rt.settings.MEDIA_MAX_BYTES + 1) if upload else b""
    form = request.form
    return act(case_id, "documents", lambda db: documents.add_document(
        db, current_user, case_id, kind=form.get("kind", ""), title=form.get("title"), data=data,
        store=rt.media_store, max_bytes=rt.settings.MEDIA_MAX_BYTES, allowed_types=rt.settings.media_types),
        once=True)


@bp.route("/cases/<case_id>/files/<source>/<file_id>")
def document_download(case_id: str, file_id: str, source: str):
    """One file of the case (staff's or the family's), for whoever may see the case; audited; always a download."""
    refuse_admin()
    if source not in ("staff", "family"):
        abort(404)
    rt = runtime()
    with rt.unit_of_work() as db:
        try:
            found = documents.file_for_download(db, current_user, case_id, source, file_id)
            data = rt.media_store.get(found.storage_key)
        except NotFound:
            abort(404)
    return attachment_response(data, found.content_type, f"{found.name}.{EXTENSIONS.get(found.content_type, 'bin')}")


@bp.route("/cases/<case_id>/services-given", methods=["POST"])
def service_given(case_id: str):
    """Record a service the organisation gave the child itself: type, day, outcome."""
    form = request.form
    return act(case_id, "services-given", lambda db: plan.record_service_given(
        db, current_user, case_id, service_type=form.get("service_type", ""), given_on=form_date(form.get("given_on")),
        outcome=form.get("outcome"), today=local_today(runtime().zone)), once=True)


@bp.route("/cases/<case_id>/registration", methods=["POST"])
def registration(case_id: str):
    """Record or correct the child's registration (form 1.A): names, age, functioning, documents, caregivers..."""
    # Read inside the action: a date that is not one is refused like the rest, with the form shown again.
    return act(case_id, "registration", lambda db: record_registration(
        db, current_user, case_id, registration_entry(request.form), today=local_today(runtime().zone)))


@bp.route("/cases/<case_id>/closure-feedback", methods=["POST"])
def closure_feedback(case_id: str):
    """The supervisor records the child's or an adult's feedback before approving the closure (forms 6.B, 6.C)."""
    form = request.form

    def record(db):
        try:
            rating = int(form["rating"]) if form.get("rating") else None
        except ValueError:
            raise Refused("feedback_rating") from None
        listened = {"yes": True, "no": False}.get(form.get("listened_to", ""))
        return closure.record_feedback(db, current_user, case_id, audience=form.get("audience", ""),
                                       met=form.get("met") == "yes", rating=rating, listened_to=listened,
                                       helped=form.get("helped"), better=form.get("better"))

    return act(case_id, "approvals", record)


def init_app(app) -> None:
    """The upload's larger form limit (the routes themselves joined the blueprint when this module was imported)."""
    # A document upload carries the file (MEDIA_MAX_BYTES) and its form fields.
    allow_larger_form(app, "casework.document_upload", app.extensions["relais"].settings.MEDIA_MAX_BYTES + 64 * 1024)
