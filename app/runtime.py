"""Access to the process runtime from inside a request."""
from __future__ import annotations

from flask import current_app

from bootstrap import Runtime
from casecore.deadlines.timelines import Timelines


def runtime() -> Runtime:
    """The Runtime create_app was built with."""
    return current_app.extensions["relais"]


def timelines() -> Timelines:
    """The case-work timelines in force: the runtime's (from settings) when it has them, else the defaults."""
    return getattr(runtime(), "timelines", None) or Timelines()
