"""Referrals from a case: the case's referrals and transfer panel, sending a referral, recording the answer."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.views import safe_next
from app.cases.labels import REFERRAL_STATUS
from app.cases.views import survey_plan
from app.runtime import runtime
from app.web.pages import page_gettext
from casecore.audit import record_event
from casecore.cases import referrals, transfers
from casecore.cases.access import require_case
from casecore.directory import services
from casecore.errors import Conflict, InvalidInput, NotAllowed, NotFound
from casecore.form_once import first_use
from casecore.i18n import N_
from workers.queueing import enqueue_send

log = logging.getLogger(__name__)

bp = Blueprint("referrals", __name__)

# What casecore says when a referral is refused; the web catalogue translates it (the English shows otherwise).
REFUSALS = (
    N_("no consent to share with service providers is recorded on this case"),
    N_("a closed case cannot be referred"),
    N_("choose an active service of the directory"),
    N_("give the provider's answer: a new status or notes"),
    N_("notes are limited to 2000 characters"),
    N_("the referral cannot take this status now"),
    N_("the referral was changed meanwhile; reload the page"),
)


def referral_status_label(code: str) -> str:
    """The translated name of a referral status; the code itself when it has none."""
    msgid = REFERRAL_STATUS.get(code)
    return page_gettext()(msgid) if msgid else code


@dataclass(frozen=True)
class ReferralPanel:
    """What the case page shows about referrals and transfers, for the person reading it."""

    case_id: uuid.UUID
    case_status: str
    referrals: list[referrals.ReferralRow]
    services: list[services.ServiceRow]
    has_consent: bool
    may_transfer: bool
    pending_transfer: transfers.OutgoingTransfer | None
    organisations: list[tuple[uuid.UUID, str]]


def case_referrals(case_id) -> ReferralPanel | None:
    """The panel for a case the current user may see; None otherwise (the template then shows nothing)."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    with runtime().unit_of_work(read_only=True) as db:
        try:
            case = require_case(db, current_user, case_id)
        except NotFound:
            return None
        pending = transfers.pending_transfer(db, case.id)
        supervisor = transfers.may_decide_transfers(current_user.role)
        return ReferralPanel(
            case_id=case.id, case_status=case.status,
            referrals=referrals.case_referrals(db, case.id),
            services=services.list_services(db, case.organisation_id,
                                            stale_days=runtime().settings.SERVICE_STALE_DAYS),
            has_consent=referrals.referral_consent(db, case.id) is not None,
            may_transfer=supervisor and case.status == "open" and pending is None,
            pending_transfer=pending,
            organisations=transfers.transfer_targets(db, case.organisation_id) if supervisor else [],
        )


def render_case_page(case_id: str, error: str | None = None, status: int = 200):
    """The referrals page of a case (also where a refused form comes back, with the reason)."""
    with runtime().unit_of_work() as db:
        try:
            case = require_case(db, current_user, case_id)
        except NotFound:
            abort(404)
        record_event(db, current_user.id, "case.referrals_viewed", "case", case.id)
    return render_template("cases/referrals.html", case=case, referral_error=error), status


def back_to(case_id) -> str:
    """Where a form goes after it is saved: the page it was sent from (this site only), else the referrals page.

    No flashed message: the page the form came from may show flashes of its own; the new state shows instead.
    """
    path = safe_next(request.form.get("next")) or url_for("referrals.page", case_id=case_id)
    return f"{path}#referrals-heading"


def refusal_status(error: Exception) -> int:
    """409 when the case's state is in the way, 400 when what was typed is not acceptable."""
    return 409 if isinstance(error, Conflict) else 400


@bp.route("/cases/<case_id>/referrals")
def page(case_id: str):
    """A case's referrals, with the forms to refer it and record the providers' answers."""
    return render_case_page(case_id)


@bp.route("/cases/<case_id>/referrals", methods=["POST"])
def create(case_id: str):
    """Refer the case to a service of the directory, on the consent recorded for it."""
    _ = page_gettext()
    try:
        with runtime().unit_of_work() as db:
            # A double click refers the case once (the form's key; casecore.form_once).
            if first_use(db, current_user.id, "referrals.create", request.form.get("form_key")):
                referrals.make_referral(db, current_user, case_id, request.form.get("service_id", ""),
                                        request.form.get("notes", ""))
    except NotFound:
        abort(404)
    except (InvalidInput, Conflict) as refusal:
        return render_case_page(case_id, _(str(refusal)), refusal_status(refusal))
    return redirect(back_to(case_id))


@bp.route("/cases/<case_id>/referrals/<referral_id>", methods=["POST"])
def answer(case_id: str, referral_id: str):
    """Record the provider's answer: accepted, declined or done, and their counter-referral notes."""
    _ = page_gettext()
    try:
        with runtime().unit_of_work() as db:
            referral = referrals.update_referral(
                db, current_user, case_id, referral_id, status=request.form.get("status", ""),
                counter_referral_notes=request.form.get("counter_referral_notes", ""), surveys=survey_plan())
            to_send = referrals.service_survey_ids(db, referral.id) if referral.status == "done" else []
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except (InvalidInput, Conflict) as refusal:
        return render_case_page(case_id, _(str(refusal)), refusal_status(refusal))
    # After the commit, so a send job never looks for a row not yet there; the scheduler sweeps what fails.
    for outbox_id in to_send:
        enqueue_send(runtime().queue, outbox_id)
    return redirect(back_to(case_id))


def init_app(app: Flask) -> None:
    """Register the referral routes and the case page's panel."""
    app.register_blueprint(bp)
    app.add_template_global(case_referrals)
    app.add_template_global(referral_status_label)
