"""Running the community conversation across messages: menu sessions (USSD) and text dialogues (SMS, WhatsApp).

State is kept in a DialogStore, never in process memory, so any web process or worker can take the next step.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Mapping

from casecore.base import utcnow
from casecore.i18n import N_, gettext_for
from casecore.messaging.contacts import language_and_change, language_for, opt_in, opt_out, remember_language
from dialogs.case_message import ENTRY_LINKED, FORWARD, is_linked, message_text
from dialogs.common import SERVICE_UNAVAILABLE
from dialogs.community import COMMUNITY, LANGUAGE, NOT_RESUMABLE, complaint_hint, main_menu_token, start_for
from dialogs.engine import Context, Limits, Screen, play
from dialogs.keywords import LANGUAGE as LANGUAGE_KEYWORD
from dialogs.keywords import MENU, START, STOP, Keyword, KeywordBook
from dialogs.state import DialogState, DialogStore, StoreUnavailable

log = logging.getLogger(__name__)

CONTINUE, START_AGAIN = "1", "2"
# The start of a record that only points at a menu session and its inputs (see answer_menu_step).
POINTER = "->"
# A text dialogue longer than this is not a person answering questions; it is ended, saying so.
MAX_TEXT_INPUTS = 60
FINISHED_KEPT_SECONDS = 600


@dataclass(frozen=True)
class SessionTimes:
    """How long states live: a menu session, an unfinished one offered again, and an idle text dialogue."""

    menu_session: float = 600.0
    resume_window: float = 1800.0
    text_expiry: float = 1800.0


def menu_session_key(session_id: str) -> str:
    """Where a menu session's record is kept."""
    return f"menu:{session_id}"


def unfinished_key(phone_key: str) -> str:
    """Where the last unfinished menu conversation of a number is kept."""
    return f"menu-unfinished:{phone_key}"


def text_key(channel: str, phone_key: str) -> str:
    """Where a number's text dialogue on a channel is kept."""
    return f"{channel}:{phone_key}"


def answer_menu_step(
    store: DialogStore, ctx: Context, inputs: list[str], limits: Limits, times: SessionTimes,
) -> Screen:
    """The screen for one step of a menu session, where the provider sends every input of the session each time.

    A session dropped in the middle of a flow stays resumable for resume_window: the next session from the same
    number offers to continue it, stepping back past any screen that would show one of its earlier answers.
    One round trip to the store per step, the first included; two on the last and menu steps, three on a first
    step that offers to resume.
    """
    session_key = menu_session_key(ctx.session_id)
    resume_key = unfinished_key(ctx.services.phone_key(ctx.phone))
    record_ttl = times.menu_session + times.resume_window  # a pointer to this session may be resolved that late
    # Where this session stands, as a pointer (this session and its inputs so far) that the session's record
    # resolves: known before anything is read, so it is written in the same round trip as the reads.
    pointer = {resume_key: (DialogState(ctx.session_id, POINTER, {}, list(inputs)), times.resume_window)}
    # A first step's record, where the number's remembered language starts it: created in the same round trip,
    # unless the record is there already (AT sent this step again).
    fresh = None if inputs else DialogState(ctx.session_id, *start_for(remembered_language(ctx)))
    try:
        if inputs:
            # The number's unfinished conversation matters only on a first step (it may be offered): later steps
            # do not read (nor open) it.
            [state], unfinished = store.exchange([session_key], pointer, stable=[session_key]), None
        else:
            state, unfinished = store.exchange([session_key, resume_key], {}, create={session_key: (fresh, record_ttl)},
                                               stable=[session_key])
    except StoreUnavailable as exc:
        # AT resends every input, so the session goes on without its record: no resume, nothing remembered.
        log.warning("dialog store unavailable (%s); USSD session %s goes on without state", exc, ctx.session_id)
        return _play_without_state(ctx, inputs, limits, times)
    save: dict[str, tuple[DialogState, float]] = {}
    delete: list[str] = []
    if state is None and fresh is not None:
        state = fresh  # stored by the exchange
        if unfinished is not None:
            state.offer = _resolve(store, ctx, unfinished, limits)
            if state.offer is not None:
                save[session_key] = (state, record_ttl)
    elif state is None:
        start, answers = start_for(remembered_language(ctx))
        # Inputs sent before the record existed (a dial string with extra digits, or a record lost mid-session)
        # are not replayed: read against another first screen they could file answers under the wrong questions.
        state = DialogState(ctx.session_id, start, answers, skip=len(inputs))
        save[session_key] = (state, record_ttl)
    if state.offer is not None:
        decided, choice_at = _resume_choice(inputs[state.skip:])
        if decided is None:
            if _write(store, save):
                return _resume_screen(ctx, state.offer, invalid=len(inputs) > state.skip)
            # The offer is not kept (the stored record has none): offered anyway, the next input would be read
            # against the first screen. No offer, then.
            state, save = replace(state, offer=None), {}
        elif decided == CONTINUE:
            offer = state.offer
            state = DialogState(offer.conversation_id, offer.start, offer.answers,
                                _neutral_inputs(ctx, offer, limits), skip=state.skip + choice_at + 1)
        else:
            state = replace(state, offer=None, skip=state.skip + choice_at + 1)
        if decided is not None:
            save[session_key] = (state, record_ttl)
    # A resumed conversation keeps its first session's id, so what it records is recorded once.
    ctx.session_id = state.conversation_id
    effective = state.inputs + list(inputs[state.skip:])
    screen = play(COMMUNITY, effective, ctx, limits, start=state.start, answers=state.answers)
    if inputs and (screen.final or screen.step in NOT_RESUMABLE):
        # Finished, at a menu, or started again: nothing to offer next time (this step's pointer included).
        delete.append(resume_key)
    if save or delete:
        _write(store, save, delete)
    _note_language(ctx, screen)
    return screen


def note_menu_session_end(store: DialogStore, phone_key: str, session_id: str, completed: bool,
                          inputs: list[str], times: SessionTimes) -> None:
    """What the provider says of a session's end, for the next session of the number (best effort).

    Completed (AT's Success: our last screen was shown): nothing is left to offer, whatever a pointer says.
    Dropped: the number's pointer is set to this session with every input AT saw, so the offer holds even when
    the last step's own write of the pointer was lost; a pointer already moved to a later session is left alone.
    """
    key = unfinished_key(phone_key)
    try:
        [pointer, record] = store.exchange([key, menu_session_key(session_id)], {})
        if pointer is not None and pointer.conversation_id != session_id:
            return
        if completed:
            store.write(delete=[key])
        elif record is not None and inputs and len(inputs) >= len(pointer.inputs if pointer else []):
            store.write({key: (DialogState(session_id, POINTER, {}, list(inputs)), times.resume_window)})
    except StoreUnavailable as exc:
        log.warning("dialog store unavailable (%s); session end not noted for resume", exc)


def _resolve(store: DialogStore, ctx: Context, pointer: DialogState, limits: Limits) -> DialogState | None:
    """The unfinished conversation a pointer designates, with its language; None when its record is gone."""
    record = store.load(menu_session_key(pointer.conversation_id))
    if record is None:
        return None
    if record.offer is not None:
        return record.offer  # that session hung up on the offer itself: the same offer stands
    inputs = record.inputs + pointer.inputs[record.skip:]
    answers = dict(record.answers)
    if LANGUAGE not in answers:
        # Chosen in that session: replayed to offer the continuation in that language.
        probe = Context(ctx.channel, record.conversation_id, ctx.phone, ctx.default_language, ctx.services)
        screen = play(COMMUNITY, inputs, probe, limits, start=record.start, answers=answers)
        if screen.final:
            return None
        answers[LANGUAGE] = screen.answers.get(LANGUAGE) or ctx.default_language
    return DialogState(record.conversation_id, record.start, answers, inputs)


def _play_without_state(ctx: Context, inputs: list[str], limits: Limits, times: SessionTimes) -> Screen:
    """Replay AT's inputs from the first screen the number's remembered language gives, when that is safe."""
    # Read-only: a first step never waits for SQLite's write lock behind other sessions' reports.
    with ctx.services.unit_of_work(read_only=True) as session:
        language, changed_at = language_and_change(session, ctx.phone)
    if inputs and changed_at and (utcnow() - changed_at).total_seconds() < times.menu_session:
        # The language may have been chosen in this very session: its inputs could start from another screen.
        _ = ctx.gettext({LANGUAGE: language} if language else {})
        return Screen((_(SERVICE_UNAVAILABLE), _hint(ctx, language or ctx.default_language)), final=True,
                      step="unavailable")
    start, answers = start_for(language)
    return play(COMMUNITY, list(inputs), ctx, limits, start=start, answers=answers)


def _write(store: DialogStore, save, delete=()) -> bool:
    """Write; False (and a warning) when the store is unavailable."""
    try:
        store.write(save, delete)
    except StoreUnavailable as exc:
        log.warning("dialog store unavailable (%s); this step's state is not kept", exc)
        return False
    return True


def _neutral_inputs(ctx: Context, offer: DialogState, limits: Limits) -> list[str]:
    """The unfinished inputs, stepped back past any screen that would show an earlier answer (the communes of the
    region chosen, the emergency numbers of a danger-now answer): a shared phone's next user must not see them."""
    inputs = list(offer.inputs)
    while inputs:
        screen = play(COMMUNITY, inputs, ctx, limits, start=offer.start, answers=offer.answers)
        step = COMMUNITY.steps.get(screen.step)
        if step is None or not step.reveals_answers:
            break
        inputs.pop()
    return inputs


def _resume_choice(inputs: list[str]) -> tuple[str | None, int]:
    for at, token in enumerate(inputs):
        if token.strip() in (CONTINUE, START_AGAIN):
            return token.strip(), at
    return None, 0


def _resume_screen(ctx: Context, offer: DialogState, invalid: bool) -> Screen:
    _ = ctx.gettext(offer.answers)
    lines = [_("Invalid choice.")] if invalid else []
    lines += [_("You did not finish last time."), f"{CONTINUE} {_('Continue')}", f"{START_AGAIN} {_('Start again')}"]
    return Screen(tuple(lines), final=False, step="resume", choices=(_("Continue"), _("Start again")))


@dataclass(frozen=True)
class TextReply:
    """What to send back to one text message; may_reach_opted_out only for the opt-out confirmation itself."""

    text: str
    final: bool
    choices: tuple[str, ...] = ()
    may_reach_opted_out: bool = False


def keep_open(store: DialogStore, key: str, state: DialogState, times: SessionTimes, now: float) -> None:
    """Write a text dialogue still open, to expire text_expiry from now (its last message)."""
    # Kept past its expiry so that a late reply is told the dialogue was closed, should no sweep have run.
    store.write({key: (state, times.text_expiry + 86400)}, expire_at={key: now + times.text_expiry})


def answer_text_message(
    store: DialogStore, ctx: Context, body: str, message_id: str, limits: Limits, times: SessionTimes,
    keywords: KeywordBook, reply_via: str = "", now: float | None = None,
) -> TextReply:
    """The reply to one SMS or WhatsApp message, given the number's dialogue so far (the caller holds its lock)."""
    now = time.time() if now is None else now
    key = text_key(ctx.channel, ctx.services.phone_key(ctx.phone))
    state = store.load(key)
    if state is not None and state.last_message_id == message_id:
        # The same message handled again (its reply was not committed): answer from the state it produced; an
        # ending records idempotently, so a finished dialogue gives the same reference again.
        ctx.session_id = state.conversation_id
        return _reply(play(COMMUNITY, state.inputs, ctx, limits, start=state.start, answers=state.answers))
    notice = ""
    if state is not None and state.final:
        state = None
    elif state is not None and state.updated_at + times.text_expiry <= now:
        notice = N_("Your previous conversation was closed after a long silence.")
        state = None
    keyword = keywords.match(body)
    if keyword is not None and keyword.action in (STOP, START):
        store.write(delete=[key])
        return _opt(ctx, keyword.action, keyword.language or remembered_language(ctx) or ctx.default_language)
    if keyword is None and state is None and _reads_as_a_message(body) and is_linked(ctx):
        # A family writing to its case worker straight away: offer to pass the text on rather than lose it.
        language = remembered_language(ctx) or ctx.default_language
        state = DialogState(f"{ctx.channel}-{message_id}", FORWARD,
                            {LANGUAGE: language, ENTRY_LINKED: message_text(body)})
    elif keyword is not None or state is None:
        state = _fresh(ctx, keyword, message_id)
    else:
        state.inputs.append(body)
    state.last_message_id, state.updated_at = message_id, now
    state.channel, state.phone, state.reply_via = ctx.channel, ctx.phone, reply_via
    ctx.session_id = state.conversation_id
    screen = play(COMMUNITY, state.inputs, ctx, limits, start=state.start, answers=state.answers)
    if not screen.final and len(state.inputs) >= MAX_TEXT_INPUTS:
        _ = ctx.gettext(screen.answers)
        screen = Screen((_("This conversation is too long and was closed. Send MENU to start again."),
                         _hint(ctx, screen.answers.get(LANGUAGE) or ctx.default_language)),
                        final=True, step="too_long")
    if screen.final:
        # Kept a little while, marked final, so that the same message handled again gets the same last answer.
        state.final = True
        store.write({key: (state, FINISHED_KEPT_SECONDS)}, unschedule=[key])
        final = True
    else:
        keep_open(store, key, state, times, now)
        final = False
    _note_language(ctx, screen)
    reply = _reply(screen)
    if notice:
        _ = ctx.gettext(state.answers)
        reply = replace(reply, text=f"{_(notice)}\n{reply.text}")
    return replace(reply, final=final)


def _reads_as_a_message(body: str) -> bool:
    """Words rather than a menu choice or a greeting alone: worth offering to pass on."""
    return len(body.split()) >= 3


def _fresh(ctx: Context, keyword: Keyword | None, message_id: str) -> DialogState:
    """A new dialogue: the first screen, or straight into the action a keyword names (in the keyword's language)."""
    language = (keyword.language if keyword else None) or remembered_language(ctx)
    inputs: list[str] = []
    if keyword is None or keyword.action == MENU:
        start, answers = start_for(language)
    elif keyword.action == LANGUAGE_KEYWORD:
        start, answers = LANGUAGE, {}
    else:
        start, answers = start_for(language or ctx.default_language)
        inputs = [main_menu_token(keyword.action)]
    return DialogState(f"{ctx.channel}-{message_id}", start, answers, inputs)


def remembered_language(ctx: Context) -> str | None:
    """The language this number chose before, on any channel (read-only: no wait for SQLite's write lock)."""
    with ctx.services.read_one() as connection:
        return language_for(connection, ctx.phone)


def _opt(ctx: Context, action: str, language: str) -> TextReply:
    _ = ctx.gettext({LANGUAGE: language})
    with ctx.services.unit_of_work() as session:
        (opt_out if action == STOP else opt_in)(session, ctx.phone)
    # Stopping messages may be a sign that something went wrong: both answers say how to complain.
    if action == STOP:
        text = _("You will receive no more messages from Relais. Send START to receive them again.")
        return TextReply(f"{text}\n{_hint(ctx, language)}", final=True, may_reach_opted_out=True)
    text = _("Welcome back. Send MENU to see what Relais can do.")
    return TextReply(f"{text}\n{_hint(ctx, language)}", final=True)


def _hint(ctx: Context, language: str) -> str:
    """How to complain, for the last messages the conversation itself does not write."""
    return complaint_hint(ctx.channel, language, ctx.services.keywords, ctx.services.ussd_code)


def _reply(screen: Screen) -> TextReply:
    return TextReply(screen.text, screen.final, screen.choices)


def _note_language(ctx: Context, screen: Screen) -> None:
    """Remember a language chosen at this step for the number's next conversations, on every channel."""
    if screen.last_answer and screen.last_answer[0] == LANGUAGE and screen.last_answer[1]:
        with ctx.services.write_one() as connection:  # one INSERT ... ON CONFLICT
            remember_language(connection, ctx.phone, screen.last_answer[1])


def take_expired_dialogues(store: DialogStore, times: SessionTimes, now: float | None = None) -> list[DialogState]:
    """Remove text dialogues idle for longer than their expiry and return them, so each can be ended politely."""
    now = time.time() if now is None else now
    expired = []
    for key in store.due_to_expire(now):
        with store.lock(key):
            state = store.load(key)
            if state is not None and state.updated_at + times.text_expiry > now:
                continue  # a message arrived since; its own expiry time is already noted
            store.write(delete=[key])
            if state is not None and not state.final:
                expired.append(state)
    return expired


def expired_text(state: DialogState, default_language: str, times: SessionTimes,
                 keywords: Mapping[str, Mapping[str, str]]) -> str:
    """The polite last message of an abandoned dialogue: it says nothing of what was asked or answered."""
    language = state.answers.get(LANGUAGE) or default_language
    _ = gettext_for(language)
    closed = _("Relais: our conversation was closed after %(minutes)d minutes without a reply. "
               "Send MENU to start again.") % {"minutes": round(times.text_expiry / 60)}
    return f"{closed}\n{complaint_hint(state.channel, language, keywords)}"
