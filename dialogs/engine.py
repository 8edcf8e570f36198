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
NextStep = Union[str, Callable[[Answers], str]]


@dataclass(frozen=True)
class Step:
    """A question: its prompt, its choices, and the step or ending that follows an answer."""

    name: str
    prompt: str
    options: OptionSource
    next: NextStep
    literal_prompt: bool = False


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


@dataclass(frozen=True)
class Limits:
    """How much fits on one screen of the channel, and what a text costs there (a channel may respell it)."""

    max_options: int = 7
    max_chars: int = 156
    measure: Callable[[str], int] = len


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

    @property
    def text(self) -> str:
        """The lines joined as a phone shows them."""
        return "\n".join(self.lines)


@dataclass
class _Position:
    step: str
    page: int
    answers: dict[str, str]


def play(conversation: Conversation, inputs: Sequence[str], ctx: Context, limits: Limits) -> Screen:
    """Replay inputs from the start and return the screen that answers the last one."""
    position = _Position(conversation.start, 0, {})
    history: list[_Position] = []
    invalid = False
    for raw in inputs:
        token = raw.strip()
        step = conversation.steps[position.step]
        pages = _pages(step, ctx, position.answers, limits)
        invalid = False
        if token == HOME:
            kept = {k: v for k, v in position.answers.items() if k in conversation.keep_on_home}
            history = [_Position(conversation.start, 0, {})] if conversation.home != conversation.start else []
            position = _Position(conversation.home, 0, kept)
        elif token == BACK:
            if position.page > 0:
                position.page -= 1
            elif history:
                position = history.pop()
            else:
                invalid = True
        elif token == MORE and position.page + 1 < len(pages):
            position.page += 1
        else:
            choice = _choose(pages[position.page], token)
            if choice is None:
                invalid = True
                continue
            history.append(_Position(position.step, position.page, dict(position.answers)))
            answers = {**position.answers, step.name: choice.value}
            target = step.next(answers) if callable(step.next) else step.next
            if target in conversation.endings:
                return Screen(tuple(conversation.endings[target].finish(ctx, answers).split("\n")), final=True)
            position = _Position(target, 0, answers)
    step = conversation.steps[position.step]
    pages = _pages(step, ctx, position.answers, limits)
    page = min(position.page, len(pages) - 1)
    return _render(step, pages, page, ctx, position.answers, invalid, bool(history) or page > 0)


def _choose(page: Sequence[Option], token: str) -> Option | None:
    if not token.isdigit() or token.startswith("0"):
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
    _ = ctx.gettext(answers)
    options = _options(step, ctx, answers)
    labels = tuple(_label(option, _) for option in options)
    sizes = _page_sizes(_prompt(step, _), labels, _hint(_), _("More"), _("Back"), limits)
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


def _prompt(step: Step, _) -> str:
    return step.prompt if step.literal_prompt else _(step.prompt)


def _hint(_) -> str:
    return _("Invalid choice.")


def _render(
    step: Step, pages: list[Sequence[Option]], page: int, ctx: Context, answers: Answers, invalid: bool, back: bool
) -> Screen:
    _ = ctx.gettext(answers)
    lines = [_hint(_)] if invalid else []
    lines.append(_prompt(step, _))
    lines += [f"{n} {_label(option, _)}" for n, option in enumerate(pages[page], start=1)]
    if page + 1 < len(pages):
        lines.append(f"{MORE} {_('More')}")
    if back:
        lines.append(f"{BACK} {_('Back')}")
    return Screen(tuple(lines), final=False)
