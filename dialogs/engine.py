"""A conversation declared as data, replayed from the inputs so far; knows screens, not providers.

Every channel hands the engine the list of inputs of a session and gets back the screen to show. Replaying
from the start keeps web processes stateless: any process can answer any step.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence, Union

from casecore.i18n import gettext_for

log = logging.getLogger(__name__)

BACK, HOME, MORE = "0", "00", "98"

Answers = Mapping[str, str]


@dataclass(frozen=True)
class Option:
    """One numbered choice: the value stored, and its label (a msgid, or literal text such as a place name)."""

    value: str
    label: str
    literal: bool = False


OptionSource = Union[Sequence[Option], Callable[["Context", Answers], Sequence[Option]]]
NextStep = Union[str, Callable[["Context", Answers], str]]
# A prompt that depends on configuration or answers: (context, answers, gettext) -> text.
PromptSource = Union[str, Callable[["Context", Answers, Callable[[str], str]], str]]
# Reads a typed answer: the value to store, or None when it is not acceptable.
TextReader = Callable[["Context", Answers, str], Union[str, None]]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: cheap keys for the page cache
class Step:
    """A question: its prompt, its choices, and the step or ending that follows an answer.

    A free-text step also takes any typed answer that `accept` lets through (its options, such as "Skip", still
    work by number). A step limited to some channels is passed over elsewhere, as if it were not there.
    """

    name: str
    prompt: PromptSource
    options: OptionSource
    next: NextStep
    literal_prompt: bool = False
    free_text: bool = False
    accept: TextReader | None = None
    invalid: str = "Invalid choice."
    channels: tuple[str, ...] | None = None
    # The screen itself shows what was answered before (a list that depends on an answer, a branch's message):
    # a resumed session steps back past it.
    reveals_answers: bool = False


@dataclass(frozen=True)
class Ending:
    """A last screen; finish records what the conversation produced and returns the text to show."""

    name: str
    finish: Callable[["Context", Answers], str]


@dataclass(frozen=True)
class Conversation:
    """Steps and endings by name; home is where `00` leads, keeping the answers named in keep_on_home."""

    start: str
    home: str
    steps: Mapping[str, Step]
    endings: Mapping[str, Ending]
    keep_on_home: tuple[str, ...] = ()
    # A line added under every ending's text (how to complain): no ending can leave it out.
    sign_off: Callable[["Context", Answers], str] | None = None


@dataclass(frozen=True)
class Limits:
    """How much fits on one screen of the channel, and what a text costs there (a channel may respell it)."""

    max_options: int = 7
    max_chars: int = 156
    measure: Callable[[str], int] = len
    # Text channels remind people of `00` on every screen; on USSD the menu itself is one `00` away.
    show_home: bool = False


@dataclass
class Context:
    """What a conversation may use besides its answers: who is talking, through what, and the case store."""

    channel: str
    session_id: str
    phone: str
    default_language: str
    services: Any = None
    cache: dict = field(default_factory=dict)
    # What the conversation produced (e.g. a stored report), for the entry point to act on after commit.
    events: list[tuple[str, Any]] = field(default_factory=list)

    def gettext(self, answers: Answers):
        """The translation function for the language chosen in this conversation."""
        return gettext_for(answers.get("language") or self.default_language)


@dataclass(frozen=True)
class Screen:
    """What to show: lines of text, and whether the conversation is over."""

    lines: tuple[str, ...]
    final: bool
    # The step now waiting for an answer (the ending's name once final), and the answer the last input gave.
    step: str = ""
    last_answer: tuple[str, str] | None = None
    # The labels of the numbered options shown, in order (WhatsApp can offer them as quick replies).
    choices: tuple[str, ...] = ()
    # The answers given so far (at the ending: every answer of the conversation).
    answers: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The lines joined as a phone shows them."""
        return "\n".join(self.lines)


@dataclass
class _Position:
    step: str
    page: int
    answers: dict[str, str]


def play(
    conversation: Conversation,
    inputs: Sequence[str],
    ctx: Context,
    limits: Limits,
    start: str | None = None,
    answers: Answers | None = None,
) -> Screen:
    """Replay inputs from the start (or from `start` with `answers` already known) and return the next screen."""
    first = _enter(conversation, start or conversation.start, ctx, dict(answers or {}))
    position = _Position(first, 0, dict(answers or {}))
    history: list[_Position] = []
    invalid: str | None = None
    last_answer = None
    for raw in inputs:
        token = raw.strip()
        step = conversation.steps[position.step]
        pages = _pages(step, ctx, position.answers, limits)
        invalid, last_answer = None, None
        if token == HOME:
            kept = {k: v for k, v in position.answers.items() if k in conversation.keep_on_home}
            home = _enter(conversation, conversation.home, ctx, kept)
            history = [_Position(first, 0, dict(answers or {}))] if home != first else []
            position = _Position(home, 0, kept)
        elif token == BACK:
            if position.page > 0:
                position.page -= 1
            elif history:
                position = history.pop()
            else:
                invalid = step.invalid
        elif token == MORE and position.page + 1 < len(pages):
            position.page += 1
        else:
            value = _read(step, pages[position.page], token, ctx, position.answers)
            if value is None:
                invalid = step.invalid
                continue
            history.append(_Position(position.step, position.page, dict(position.answers)))
            chosen = {**position.answers, step.name: value}
            last_answer = (step.name, value)
            target = _enter(conversation, _next(step, ctx, chosen), ctx, chosen)
            if target in conversation.endings:
                text = conversation.endings[target].finish(ctx, chosen)
                if conversation.sign_off is not None:
                    text = f"{text}\n{conversation.sign_off(ctx, chosen)}"
                return Screen(tuple(text.split("\n")), final=True, step=target, last_answer=last_answer,
                              answers=chosen)
            position = _Position(target, 0, chosen)
    step = conversation.steps[position.step]
    pages = _pages(step, ctx, position.answers, limits)
    page = min(position.page, len(pages) - 1)
    _ = ctx.gettext(position.answers)
    choices = tuple(_label(option, _) for option in pages[page])
    at_home = position.step == conversation.home
    lines = _render(step, choices, ctx, position.answers, _, invalid, more=page + 1 < len(pages),
                    back=bool(history) or page > 0, home=limits.show_home and not at_home)
    return Screen(lines, False, step=position.step, last_answer=last_answer, choices=choices,
                  answers=position.answers)


def _next(step: Step, ctx: Context, answers: Answers) -> str:
    return step.next(ctx, answers) if callable(step.next) else step.next


def _enter(conversation: Conversation, target: str, ctx: Context, answers: Answers) -> str:
    """The step to show for target: steps not offered on this channel are passed over."""
    seen = set()
    while target in conversation.steps:
        step = conversation.steps[target]
        if step.channels is None or ctx.channel in step.channels:
            return target
        if target in seen:
            raise ValueError(f"steps loop without one offered on {ctx.channel}: {target}")
        seen.add(target)
        target = _next(step, ctx, answers)
    return target


def _read(step: Step, page: Sequence[Option], token: str, ctx: Context, answers: Answers) -> str | None:
    """The value an input gives at a step: a numbered option, else (on a free-text step) the text itself."""
    choice = _choose(page, token)
    if choice is not None:
        return choice.value
    if not step.free_text or not token or token in (BACK, HOME, MORE):
        return None
    return step.accept(ctx, answers, token) if step.accept else token


def _choose(page: Sequence[Option], token: str) -> Option | None:
    # isascii: "²" or "①" pass isdigit() but are not numbers a keypad sends.
    if not (token.isascii() and token.isdigit()) or token.startswith("0"):
        return None
    index = int(token) - 1
    return page[index] if 0 <= index < len(page) else None


def _options(step: Step, ctx: Context, answers: Answers) -> Sequence[Option]:
    if not callable(step.options):
        return tuple(step.options)
    key = (step.name, tuple(sorted(answers.items())))
    if key not in ctx.cache:
        ctx.cache[key] = tuple(step.options(ctx, answers))
    return ctx.cache[key]


def _label(option: Option, _) -> str:
    return option.label if option.literal else _(option.label)


def _pages(step: Step, ctx: Context, answers: Answers, limits: Limits) -> list[Sequence[Option]]:
    """Split the options into screens that respect the channel's option count and length."""
    if not callable(step.options) and not callable(step.prompt):
        # Fixed options and prompt: the pages depend on the language and the channel only, and every step
        # replays every earlier screen, so they are worked out once.
        return _fixed_pages(step, answers.get("language") or ctx.default_language, limits)
    return _split(step, ctx, answers, limits, ctx.gettext(answers))


@lru_cache(maxsize=4096)
def _fixed_pages(step: Step, language: str, limits: Limits) -> list[Sequence[Option]]:
    return _split(step, None, {}, limits, gettext_for(language))


def _split(step: Step, ctx: Context | None, answers: Answers, limits: Limits, _) -> list[Sequence[Option]]:
    options = _options(step, ctx, answers)
    labels = tuple(_label(option, _) for option in options)
    # The home reminder is counted on every page, so a page fits whichever screen it ends up on.
    back = _("Back") + (f"\n{HOME} {_('Menu')}" if limits.show_home else "")
    sizes = _page_sizes(_prompt(step, ctx, answers, _), labels, _(step.invalid), _("More"), back, limits)
    pages, start = [], 0
    for size in sizes:
        pages.append(options[start:start + size])
        start += size
    return pages


@lru_cache(maxsize=4096)
def _page_sizes(prompt: str, labels: tuple[str, ...], hint: str, more: str, back: str, limits: Limits) -> tuple[int, ...]:
    """How many options go on each page; cached because every step replays every earlier screen."""
    # Room for the hint that an invalid choice adds, the prompt and "0 Back", on every page.
    size = limits.measure
    fixed = size(hint) + 1 + size(prompt) + 1 + size(f"{BACK} {back}") + 1
    if len(labels) <= limits.max_options and fixed + _width(labels, size) <= limits.max_chars:
        return (len(labels),)
    room = limits.max_chars - fixed - size(f"{MORE} {more}") - 1
    sizes: list[int] = []
    page: list[str] = []
    for label in labels:
        if page and (len(page) >= limits.max_options or _width(page + [label], size) > room):
            sizes.append(len(page))
            page = []
        page.append(label)
    sizes.append(len(page))
    return tuple(sizes)


def _width(labels: Sequence[str], size: Callable[[str], int]) -> int:
    """Characters that numbered option lines take on the channel, newlines included."""
    return sum(size(f"{n} {label}") + 1 for n, label in enumerate(labels, start=1))


def _prompt(step: Step, ctx: Context, answers: Answers, _) -> str:
    if callable(step.prompt):
        return step.prompt(ctx, answers, _)
    return step.prompt if step.literal_prompt else _(step.prompt)


def _render(
    step: Step, labels: tuple[str, ...], ctx: Context, answers: Answers, _, invalid: str | None, *,
    more: bool, back: bool, home: bool,
) -> tuple[str, ...]:
    """The lines of a screen: the hint, the prompt, the numbered labels of the page, then the navigation."""
    lines = [_(invalid)] if invalid else []
    lines.append(_prompt(step, ctx, answers, _))
    lines += [f"{n} {label}" for n, label in enumerate(labels, start=1)]
    if more:
        lines.append(f"{MORE} {_('More')}")
    if back:
        lines.append(f"{BACK} {_('Back')}")
    if home:
        lines.append(f"{HOME} {_('Menu')}")
    return tuple(lines)
