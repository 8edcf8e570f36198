"""What every page shares: its language and gettext, the HTML 403 and 404 pages, and the date filters (times on the
deployment's clocks)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, abort, make_response, render_template, request
from flask_login import current_user
from markupsafe import Markup

from app.runtime import runtime
from app.web.paths import BLUEPRINT as WEBHOOKS_BLUEPRINT
from casecore import taxonomy
from casecore.base import utcnow
from casecore.errors import InvalidInput
from casecore.free_text import visible
from casecore.i18n import N_, gettext_for
from casecore.paging import parse_page
from casecore.periods import format_day


def page_language() -> str:
    """The logged-in user's language, else the configured default."""
    language = getattr(current_user, "language", None)
    return language if language in taxonomy.LANGUAGES else runtime().settings.DEFAULT_LANGUAGE


def page_gettext():
    """The web-domain gettext for the current page's language."""
    return gettext_for(page_language(), "web")


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as the deployment's clocks show it (TIME_ZONE): '2026-11-22 14:05'. Each page names the zone
    once (base.html), so no line repeats it."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # stored times are UTC; a naive one would otherwise be read as the server's time
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(runtime().zone).strftime(pattern)


def time_zone_name() -> str:
    """The deployment's time zone (TIME_ZONE), as the page footer names it."""
    return runtime().settings.TIME_ZONE


def time_left(due_at: datetime | None, now: datetime | None = None) -> str:
    """How long until due_at, or how long past it, in the page's language ("2 h 05 min", "late by 3 d 2 h")."""
    if due_at is None:
        return ""
    _ = page_gettext()
    seconds = int((due_at - (now or utcnow())).total_seconds())
    minutes = abs(seconds) // 60
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        span = _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    elif hours:
        span = _("%(h)s h %(m)02d min") % {"h": hours, "m": mins}
    else:
        span = _("%(m)s min") % {"m": mins}
    return span if seconds > 0 else _("late by %(span)s") % {"span": span}


def requested_page(name: str = "page") -> int:
    """The page of a list asked for (?page=, 1 when absent); a 400 page saying why when it is not a page number."""
    try:
        return parse_page(request.args.get(name))
    except InvalidInput as refusal:
        _ = page_gettext()
        abort(make_response(render_template("error.html", title=_("This filter cannot be used"),
                                            message=_("Reason: %(reason)s") % {"reason": refusal}), 400))


def is_past(moment: datetime | None) -> bool:
    """Whether a date has passed (for showing a deadline as overdue)."""
    return moment is not None and moment <= utcnow()


def _error_page(status: int, title: str, message: str):
    _ = page_gettext()
    return render_template("error.html", title=_(title), message=_(message)), status


def _forbidden(error):
    if WEBHOOKS_BLUEPRINT in request.blueprints:
        return error
    return _error_page(
        403, N_("Not allowed"), N_("This page is for supervisors. Ask your supervisor if you need to see it.")
    )


def _not_found(error):
    if WEBHOOKS_BLUEPRINT in request.blueprints:
        return error
    return _error_page(
        404, N_("Page not found"), N_("This page does not exist, or it belongs to another organisation.")
    )


def shown_on_page(value):
    """Jinja's finalize, for every value a template prints: text with its control and invisible characters shown
    as codes (casecore.free_text.visible), so that nothing anyone typed is reordered or hidden on a page."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))  # no <, > or & added: still the same safe markup
    if isinstance(value, str):
        return visible(value)
    return value


def init_app(app: Flask) -> None:
    """Register the date helpers of the templates and the HTML error pages."""
    app.add_template_global(is_past)
    app.add_template_global(time_zone_name)
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(time_left, "time_left")
    app.add_template_filter(format_day, "day")
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(404, _not_found)
