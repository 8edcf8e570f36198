"""gunicorn's own lines (its master's, its access log) in the format of the app's (LOG_FORMAT): the Procfile's `web`
line names this class (`--logger-class gunicorn_logging.RelaisGunicornLogger`). A module of its own: the worker
and the scheduler never import gunicorn."""
from __future__ import annotations

from gunicorn.glogging import Logger

import logs
from settings import Settings


class RelaisGunicornLogger(Logger):
    """gunicorn's logger; with LOG_FORMAT=json its error and access lines are JSON objects (logs.JsonFormatter). In
    either format an access line's path names no record (logs.loggable_path) and no atom holds the query string."""

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        # The query string carries the AT webhook's token, an API path a case's reference: neither in a log line,
        # whatever --access-logformat says.
        atoms["U"] = logs.loggable_path(atoms["U"] or "")
        atoms["r"] = f"{atoms['m']} {atoms['U']} {atoms['H']}"
        atoms["q"] = "-"
        # Nor the client's address (behind ProxyFix, the person's own: someone writing a complaint, for one), in
        # either format: %(h)s and any forwarding header say "-".
        atoms["h"] = "-"
        for header in ("{x-forwarded-for}i", "{x-real-ip}i", "{forwarded}i"):
            if header in atoms:
                atoms[header] = "-"
        return atoms

    def setup(self, cfg) -> None:
        super().setup(cfg)
        # A wrong LOG_FORMAT stops gunicorn at start-up, naming the setting.
        formatter = logs.formatter_for(Settings.from_env().LOG_FORMAT)
        if not isinstance(formatter, logs.JsonFormatter):
            return  # gunicorn's own formats, the Procfile's --access-logformat
        logs.set_role("web")
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
                if not any(isinstance(f, logs.ContextFilter) for f in handler.filters):  # setup runs on each reload
                    handler.addFilter(logs.ContextFilter())
