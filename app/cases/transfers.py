"""Transfers between organisations: a supervisor asks from the case; the receiving supervisors answer at /transfers."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app.cases.labels import RISK, TRANSFER_STATUS
from app.cases.referrals import back_to, refusal_status, render_case_page
from app.runtime import runtime, timelines
from app.web.pages import page_gettext
from casecore.audit import record_event
from casecore.cases import transfers
from casecore.cases.models import Case
from casecore.errors import Conflict, InvalidInput, NotAllowed, NotFound
from casecore.i18n import N_
from casecore.paging import parse_page
from workers.queueing import enqueue_send

log = logging.getLogger(__name__)

bp = Blueprint("transfers", __name__)

# A transfer's status and the case's risk level, the two codes the transfers page words.
LABELS: dict[str, str] = {**TRANSFER_STATUS, **RISK}
RISK_NOT_SET = N_("Risk not set")

# What casecore says when a transfer is refused; the web catalogue translates it (the English shows otherwise).
REFUSALS = (
    N_("only an open case can be transferred"),
    N_("choose the organisation to transfer the case to"),
    N_("a case is transferred to another organisation, not its own"),
    N_("give the reason for the transfer"),
    N_("the reason is limited to 2000 characters"),
    N_("a transfer of this case is already waiting for an answer"),
    N_("this transfer has already been answered"),
    N_("the case is no longer open at the organisation that asked; decline the transfer"),
)


def transfer_label(code: str | None) -> str:
    """The translated word for a transfer status or a risk level."""
    if not code:
        return page_gettext()(RISK_NOT_SET)
    msgid = LABELS.get(code)
    return page_gettext()(msgid) if msgid else code


def _not_allowed():
    _ = page_gettext()
    return make_response(render_template(
        "error.html", title=_("Not allowed"),
        message=_("Transfers are answered by supervisors. Ask your supervisor if a case must change organisation."),
    ), 403)


def _page(error: str | None = None, status: int = 200):
    # Two lists, each with its page: those waiting for an answer (page), those asked for (asked_page).
    try:
        page, asked_page = parse_page(request.args.get("page")), parse_page(request.args.get("asked_page"))
    except InvalidInput as refusal:
        _ = page_gettext()
        return render_template("error.html", title=_("This filter cannot be used"),
                               message=_("Reason: %(reason)s") % {"reason": refusal}), 400
    with runtime().unit_of_work() as db:
        incoming = transfers.incoming_transfers(db, current_user, page)
        outgoing = transfers.outgoing_transfers(db, current_user, asked_page)
        record_event(db, current_user.id, "transfers.viewed", "organisation", current_user.organisation_id)
    return render_template(
        "cases/transfers.html", incoming=incoming, outgoing=outgoing, error=error,
        incoming_url=lambda number: url_for("transfers.inbox", page=number, asked_page=asked_page),
        outgoing_url=lambda number: url_for("transfers.inbox", page=page, asked_page=number, _anchor="asked"),
    ), status


@bp.route("/transfers")
def inbox():
    """Transfers waiting for this organisation (a summary only, no case content), and those it asked for."""
    if not transfers.may_decide_transfers(current_user.role):
        abort(_not_allowed())
    return _page()


@bp.route("/transfers/<transfer_id>", methods=["POST"])
def decide(transfer_id: str):
    """Accept (the case becomes this organisation's, unassigned) or decline a transfer."""
    if not transfers.may_decide_transfers(current_user.role):
        abort(_not_allowed())
    decision = request.form.get("decision")
    _ = page_gettext()
    if decision not in ("accept", "decline"):
        return _page(_("Choose to accept or to decline the transfer."), 400)
    try:
        with runtime().unit_of_work() as db:
            answered = transfers.decide_transfer(db, current_user, transfer_id, decision == "accept",
                                                 timelines=timelines(), sms_backend=runtime().settings.SMS_BACKEND)
            reference = db.get(Case, answered.transfer.case_id).reference
    except NotFound:
        abort(404)
    except Conflict as refusal:
        return _page(_(str(refusal)), 409)
    _send(answered.outbox_ids)
    if decision == "accept":
        flash(_("Case %(reference)s is now your organisation's. Assign it to a case worker.")
              % {"reference": reference})
    else:
        flash(_("The transfer of case %(reference)s is declined.") % {"reference": reference})
    return redirect(url_for("transfers.inbox"))


@bp.route("/cases/<case_id>/transfers", methods=["POST"])
def request_transfer(case_id: str):
    """A supervisor of the case's team asks another organisation to take the case."""
    if not transfers.may_decide_transfers(current_user.role):
        abort(_not_allowed())
    _ = page_gettext()
    try:
        with runtime().unit_of_work() as db:
            asked = transfers.request_transfer(db, current_user, case_id, request.form.get("to_organisation", ""),
                                               request.form.get("reason", ""),
                                               sms_backend=runtime().settings.SMS_BACKEND)
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(_not_allowed())
    except (InvalidInput, Conflict) as refusal:
        return render_case_page(case_id, _(str(refusal)), refusal_status(refusal))
    _send(asked.outbox_ids)
    return redirect(back_to(case_id))


def _send(outbox_ids) -> None:
    # After the commit, so a send job never looks for a row not yet there; the scheduler sweeps what fails.
    for outbox_id in outbox_ids:
        enqueue_send(runtime().queue, outbox_id)


def init_app(app: Flask) -> None:
    """Register the transfer pages and their template helpers."""
    app.register_blueprint(bp)
    app.add_template_global(transfer_label)
    app.add_template_global(transfers.may_decide_transfers, "may_decide_transfers")
