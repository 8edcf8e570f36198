"""Reach my case worker: a short message to the case worker of the case this number (or a reference) points to.

Nothing about the case is ever shown: the person only learns that the message was passed on.
"""
from __future__ import annotations

from casecore.cases.alerts import queue_family_message_alert
from casecore.cases.opening import (
    FAMILY_MESSAGE_LENGTH,
    CaseLink,
    find_case_by_reference,
    find_case_for_phone,
    is_case_contact,
    record_family_message,
)
from casecore.errors import InvalidInput
from casecore.free_text import short_text
from casecore.handoff.modes import slug_of
from casecore.handoff.routing import handed_over_case, owner_accounts
from casecore.i18n import N_
from casecore.phones import contact_phone, sender_address
from casecore.references import clean_reference, is_valid_reference
from dialogs.common import SERVICE_UNAVAILABLE, TEXT_CHANNELS, YES_NO, can_be_called, emergency_numbers
from dialogs.engine import Answers, Context, Ending, Option, Step

ENTRY_LINKED = "message.text"
# Where a linked family's free text sent outside any dialogue starts: "send this to your case worker?"
FORWARD = "message.forward"
ENTRY_UNLINKED = "message.reference"
# Outbox rows a step wrote; the entry point enqueues their sending once the transaction is committed.
OUTBOUND_QUEUED = "outbound_queued"
# A family's message on a case handed over to Primero, to add to the Primero case as a note (its event id).
PRIMERO_NOTE = "primero_note"
NO_REFERENCE = "none"


def entry(ctx: Context) -> str:
    """A linked number writes straight away; any other number first gives the reference it was given."""
    return ENTRY_LINKED if is_linked(ctx) else ENTRY_UNLINKED


def is_linked(ctx: Context) -> bool:
    """Whether this number is a contact of an open case."""
    return _linked_case(ctx) is not None


def _linked_case(ctx: Context) -> CaseLink | None:
    key = ("case-for-phone",)
    if key not in ctx.cache:
        with ctx.services.unit_of_work() as session:
            ctx.cache[key] = find_case_for_phone(session, ctx.phone)
    return ctx.cache[key]


def _case_by_reference(ctx: Context, reference: str) -> CaseLink | None:
    key = ("case-for-reference", reference)
    if key not in ctx.cache:
        with ctx.services.unit_of_work() as session:
            ctx.cache[key] = find_case_by_reference(session, reference)
    return ctx.cache[key]


def _read_reference(ctx: Context, _answers: Answers, text: str) -> str | None:
    reference = clean_reference(text)
    if not is_valid_reference(reference) or _case_by_reference(ctx, reference) is None:
        return None
    return reference


def message_text(text: str) -> str | None:
    """A family's message as the case's timeline keeps it (trimmed, cut to length); None when empty."""
    return short_text(text, FAMILY_MESSAGE_LENGTH)


def _read_message(_ctx: Context, _answers: Answers, text: str) -> str | None:
    return message_text(text)


def _after_reference(_ctx: Context, answers: Answers) -> str:
    return "message.no_reference" if answers["message.reference"] == NO_REFERENCE else "message.text"


def _send(ctx: Context, answers: Answers) -> str:
    reference = answers.get("message.reference")
    case = _case_by_reference(ctx, reference) if reference else _linked_case(ctx)
    _ = ctx.gettext(answers)
    if case is None:
        # The case was closed between the question and the answer.
        return _call_instead(ctx, _, N_("Sorry, your message could not be passed on. Please call %(numbers)s."))
    with ctx.services.unit_of_work() as session:
        # Given a reference from a number not linked to that case, the case worker sees so and decides whether
        # to link it.
        unlinked = reference and not is_case_contact(session, case.case_id, ctx.phone)
        # A business-scoped id is kept as it came: the case worker is warned the same, though it cannot be linked
        # (a family number is called and sent SMS).
        sender = (contact_phone(ctx.phone) if can_be_called(ctx) else sender_address(ctx.phone)) if unlinked else None
        message = record_family_message(session, case.case_id, channel=ctx.channel, body=answers["message.text"],
                                        source_key=f"{ctx.channel}:{ctx.session_id}", unlinked_phone=sender)
        handoff = _handed_over(ctx, session, case.case_id)
        # A case handed over to Primero is followed by its owner there: their Relais account hears of it.
        owners = None if handoff is None else _owners(ctx, session, handoff)
        # The alert is written with the message: if the queue is down, the outbox sweep still sends it.
        alerts = queue_family_message_alert(session, message.event_id, ctx.services.alert_backend, owners)
    ctx.events.append((OUTBOUND_QUEUED, tuple(alerts)))
    if handoff is not None:
        ctx.events.append((PRIMERO_NOTE, message.event_id))
    return _("Your message was passed on. Your case worker will answer you.")


def _handed_over(ctx: Context, session, case_id):
    """The case's hand-off to Primero when there is one to follow (and hand-offs are configured)."""
    if ctx.services.primero_mapping is None:
        return None
    return handed_over_case(session, case_id)


def _owners(ctx: Context, session, handoff):
    """The Relais accounts of the case's owner in Primero; None (the case's own recipients) when the mapping file
    cannot be read: the message is kept and alerted whatever the configuration's state."""
    try:
        mapping = ctx.services.primero_mapping(slug_of(session, handoff.organisation_id))
    except InvalidInput:
        return None
    return owner_accounts(session, handoff, mapping)


def _no_reference(ctx: Context, answers: Answers) -> str:
    _ = ctx.gettext(answers)
    return _call_instead(ctx, _, N_("Without a reference we cannot find your case worker. Please call %(numbers)s."))


def _call_instead(ctx: Context, _, msgid: str) -> str:
    """msgid with the emergency numbers; without any configured, the general apology (never "call ." alone)."""
    if not ctx.services.emergency_contacts:
        return _(SERVICE_UNAVAILABLE)
    return _(msgid) % {"numbers": emergency_numbers(ctx)}


def _after_forward(_ctx: Context, answers: Answers) -> str:
    return "message.sent" if answers[FORWARD] == "yes" else "main"


STEPS = {
    # Text channels only: the message itself arrived first, before any menu.
    FORWARD: Step(FORWARD, "Send this message to your case worker?", YES_NO, _after_forward,
                  channels=TEXT_CHANNELS),
    "message.reference": Step("message.reference", "Type the reference you were given:",
                              (Option(NO_REFERENCE, "I have no reference"),), _after_reference,
                              free_text=True, accept=_read_reference,
                              invalid="Reference not found. Check it and try again."),
    "message.text": Step("message.text", "Type your message for your case worker:", (), "message.sent",
                         free_text=True, accept=_read_message, invalid="Please type a message."),
}

ENDINGS = {
    "message.sent": Ending("message.sent", _send),
    "message.no_reference": Ending("message.no_reference", _no_reference),
}
