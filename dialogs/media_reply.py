"""The answer to a message that carries only photos or files: thanks, then the question still waiting, if any.

Such a message is not an answer: it must neither count as an invalid choice nor start a conversation.
"""
from __future__ import annotations

import time
from typing import Sequence

from casecore.i18n import N_
from dialogs.community import COMMUNITY, LANGUAGE
from dialogs.engine import Context, Limits, play
from dialogs.sessions import SessionTimes, TextReply, keep_open, remembered_language, text_key
from dialogs.state import DialogStore

PHOTO, PHOTOS = N_("Thank you, your photo was received."), N_("Thank you, your photos were received.")
FILE, FILES = N_("Thank you, your file was received."), N_("Thank you, your files were received.")
NO_DIALOGUE = N_("Send MENU to see what Relais can do.")


def thanks_for(content_types: Sequence[str]) -> str:
    """The msgid that thanks for these items: photos when they are all images, else files."""
    photos = all(kind.lower().startswith("image/") for kind in content_types)
    if len(content_types) > 1:
        return PHOTOS if photos else FILES
    return PHOTO if photos else FILE


def answer_media_only(
    store: DialogStore, ctx: Context, message_id: str, content_types: Sequence[str], limits: Limits,
    times: SessionTimes, now: float | None = None,
) -> TextReply:
    """Thank the sender and repeat the question their dialogue waits on (the caller holds the dialogue's lock)."""
    now = time.time() if now is None else now
    key = text_key(ctx.channel, ctx.services.phone_key(ctx.phone))
    state = store.load(key)
    if state is None or state.final or state.updated_at + times.text_expiry <= now:
        _ = ctx.gettext({LANGUAGE: remembered_language(ctx) or ctx.default_language})
        return TextReply(f"{_(thanks_for(content_types))}\n{_(NO_DIALOGUE)}", final=True)
    ctx.session_id = state.conversation_id
    screen = play(COMMUNITY, state.inputs, ctx, limits, start=state.start, answers=state.answers)
    _ = ctx.gettext(screen.answers)
    lines = list(screen.lines)
    step = COMMUNITY.steps.get(screen.step)
    if step is not None and lines and lines[0] == _(step.invalid):
        lines = lines[1:]  # the hint belonged to an earlier message, not to this one
    # Sending a photo is taking part: the dialogue's idle clock starts again.
    state.last_message_id, state.updated_at = message_id, now
    keep_open(store, key, state, times, now)
    return TextReply("\n".join([_(thanks_for(content_types)), *lines]), final=False, choices=screen.choices)
