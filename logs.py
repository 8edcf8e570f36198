"""Log lines of every process: plain text, or one JSON object per line (LOG_FORMAT=json), each saying which process
wrote it and, when known, the request and the job it belongs to.

A request id is taken from the request's X-Request-Id (when sane) or made, bound for the request (app.web.dispatch),
written into the meta of every job the request enqueues (workers.queueing), and bound again by the worker around
each of those jobs (workers.worker), whose own jobs carry it on: one report can be followed from the USSD step to
the SMS alert. Nothing here knows Flask, RQ or gunicorn.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import TextIO

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ROLES = ("web", "worker", "scheduler")

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"
# The request id's key in an RQ job's meta.
REQUEST_ID_META = "request_id"

# Letters, digits and ._:- only, at most 64: what proxies make (nginx's $request_id, a UUID, AWS's Root=1-...).
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_LETTER = re.compile(r"[A-Za-z]")
# A path segment a log line may show under /api/: a word (cases, reports), not a record's reference.
_PATH_WORD = re.compile(r"[a-z_-]*")

request_id: ContextVar[str | None] = ContextVar("relais_request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("relais_job_id", default=None)

# The process's role (configure); "-" until one is given.
_role = "-"


def new_request_id() -> str:
    """A short random id: 16 hex digits, nothing taken from the request."""
    return os.urandom(8).hex()


def accepted_request_id(raw: str | None) -> str:
    """The caller's id when it is sane, else a new one. A sane id has a letter: a run of digits alone could be a
    phone number, which must never reach a log line."""
    if raw and _SANE_ID.fullmatch(raw) and _LETTER.search(raw):
        return raw
    return new_request_id()


def sane_request_id(value: object) -> str | None:
    """value when it is a request id this code could have bound (a job's meta is read back from Redis), else None."""
    if isinstance(value, str) and _SANE_ID.fullmatch(value) and _LETTER.search(value):
        return value
    return None


class ContextFilter(logging.Filter):
    """Puts the process role, the request id and the job id on each record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.role = _role
        # A caller's own extra (RQ gives job_id to its failure lines) is left as it is.
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        if not hasattr(record, "job_id"):
            record.job_id = job_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, role, request_id and job_id when
    known, exception when any; gunicorn's access lines add an `http` object of chosen fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": getattr(record, "role", _role),
        }
        for field in ("request_id", "job_id"):
            value = getattr(record, field, None)
            if value:
                entry[field] = value
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            # Not --access-logformat's line: its address would be the one field this leaves out.
            http = access_fields(record.args)
            entry["message"] = " ".join(str(http.get(key, "-")) for key in ("method", "path", "status"))
            entry["http"] = http
            if http.get("request_id"):
                entry["request_id"] = http.pop("request_id")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def loggable_path(path: str) -> str:
    """path as a log line may show it: under /api/, a segment naming a record (GET /api/v1/cases/ABC2345, a case's
    reference) is {ref}; the web view's paths carry random ids only."""
    if not path.startswith("/api/"):
        return path
    parts = path.split("/")
    return "/".join(part if n < 3 or _PATH_WORD.fullmatch(part) else "{ref}" for n, part in enumerate(parts))


def access_fields(atoms: Mapping) -> dict[str, object]:
    """What a JSON access line keeps of gunicorn's atoms: never the query string, the headers or the environ."""
    def atom(key: str) -> object:
        value = atoms.get(key)
        return None if value in (None, "-") else value

    # No address either: behind ProxyFix it is the client's, and the complaint form is open to anyone.
    fields = {"method": atom("m"), "path": atom("U"), "status": atom("s"), "bytes": atom("B"),
              "duration_ms": atom("M"), "request_id": sane_request_id(atom("{x-request-id}o"))}
    if isinstance(fields["status"], str) and fields["status"].isdigit():
        fields["status"] = int(fields["status"])
    return {key: value for key, value in fields.items() if value is not None}


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter of LOG_FORMAT (either case); ValueError naming the setting for another value."""
    log_format = log_format.strip().lower()
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}; got {log_format!r}")


def make_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (stderr unless told) in that format, with the context on each record."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(ContextFilter())
    handler.relais = True  # type: ignore[attr-defined]  (configure finds its own handler by this)
    return handler


def set_role(role: str) -> None:
    """Name the process on every line it logs from now on (web, worker, scheduler)."""
    global _role
    if role not in ROLES:
        raise ValueError(f"unknown process role {role!r}")
    _role = role


def configure(log_format: str, role: str) -> None:
    """Set the process's role and its root handler's format. Like logging.basicConfig, adds a handler only when the
    root logger has none (a test's capture keeps its own); a handler added by an earlier call is given the format."""
    formatter = formatter_for(log_format)
    set_role(role)
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "relais", False)]
    for handler in ours:
        handler.setFormatter(formatter)
    if not root.handlers:
        root.addHandler(make_handler(log_format))
        root.setLevel(logging.INFO)
