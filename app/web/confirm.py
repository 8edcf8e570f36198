"""The second step of a decision that closes or moves something: a page that says what will happen and asks again."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import render_template
from werkzeug.datastructures import MultiDict

CONFIRM_FIELD = "confirmed"
# Posted back by the confirmation form from the page's own; never re-posted as a field of the decision.
_NOT_CARRIED = {"csrf_token", CONFIRM_FIELD}


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page shows: a title, what will happen, the facts chosen, and its two ways out."""

    title: str
    question: str
    button: str
    back_url: str
    facts: Iterable[tuple[str, str]] = field(default_factory=tuple)


def is_confirmed(form: MultiDict) -> bool:
    """Whether the form was sent from the confirmation page (the decision may be carried out)."""
    return form.get(CONFIRM_FIELD) == "1"


def confirmation_page(confirmation: Confirmation, action: str, form: MultiDict):
    """The confirmation page: the same form posted again to action, with confirmed=1."""
    carried = [(name, value) for name, value in form.items(multi=True) if name not in _NOT_CARRIED]
    return render_template("confirm.html", confirmation=confirmation, action=action, carried=carried,
                           confirm_field=CONFIRM_FIELD)


class Rehearsed(Exception):
    """Raised inside a change's unit of work to undo it: the change holds, and waits for its confirmation."""

    def __init__(self, confirmation: Confirmation):
        super().__init__("not confirmed yet")
        self.confirmation = confirmation


def unless_confirmed(form: MultiDict, confirmation: Callable[[], Confirmation]) -> None:
    """Called after a change, inside its unit of work: undo it (Rehearsed, with what to ask) unless the form was
    sent from the confirmation page. So the confirmation only ever asks about a change that would be accepted."""
    if not is_confirmed(form):
        raise Rehearsed(confirmation())
