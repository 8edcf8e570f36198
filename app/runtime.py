"""Access to the process runtime from inside a request."""
from __future__ import annotations

from flask import current_app

from bootstrap import Runtime


def runtime() -> Runtime:
    """The Runtime create_app was built with."""
    return current_app.extensions["relais"]
