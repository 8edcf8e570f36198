"""The log lines' formats (logs.py, gunicorn_logging.py): JSON objects with their context, request ids kept sane."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

import logs
from gunicorn_logging import RelaisGunicornLogger


@pytest.fixture
def json_lines():
    """A JSON handler on a logger of its own; returns the parsed lines written so far."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.logs")
    handler = logs.make_handler("json", stream)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield logger, lines
    logger.removeHandler(handler)
    logger.propagate = True


def test_a_json_line_says_when_what_and_where_in_utc(json_lines):
    logger, lines = json_lines
    logger.warning("report %s: %d alert(s)", "r-1", 2)
    [line] = lines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line.pop("time"))
    assert line == {"level": "WARNING", "logger": "tests.logs", "message": "report r-1: 2 alert(s)",
                    "role": logs._role}


def test_a_json_line_carries_the_request_and_job_bound_and_its_exception(json_lines):
    logger, lines = json_lines
    request, job = logs.request_id.set("req-1"), logs.job_id.set("send-2")
    try:
        try:
            raise RuntimeError("provider down")
        except RuntimeError:
            logger.exception("send failed")
    finally:
        logs.job_id.reset(job)
        logs.request_id.reset(request)
    logger.info("after")
    first, after = lines()
    assert (first["request_id"], first["job_id"]) == ("req-1", "send-2")
    assert "RuntimeError: provider down" in first["exception"] and "Traceback" in first["exception"]
    assert "request_id" not in after and "job_id" not in after and "exception" not in after


def test_a_callers_own_job_id_is_kept(json_lines):
    # RQ gives its failure lines extra={"job_id": ...}: the filter must neither overwrite it nor fail.
    logger, lines = json_lines
    logger.error("job failed", extra={"job_id": "inbound-9"})
    assert lines()[0]["job_id"] == "inbound-9"


@pytest.mark.parametrize("raw", ["abc-123", "3f1c0d6e-8a55-4b7e-9f11-2c2a1b0e9d11", "Root=1-67891233-abcdef",
                                 "a" * 64])
def test_a_sane_request_id_is_kept(raw):
    assert logs.accepted_request_id(raw.replace("=", ":")) == raw.replace("=", ":")


@pytest.mark.parametrize("raw", [None, "", "22376000100", "+22376000100", "223-76-00-01-00", "a b", "a" * 65,
                                 "abc\n123", "<script>", "é-1", "id;drop"])
def test_anything_else_gets_a_new_random_id(raw):
    made = logs.accepted_request_id(raw)
    assert re.fullmatch(r"[0-9a-f]{16}", made) and made != logs.accepted_request_id(raw)


def test_an_unknown_log_format_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of text, json; got 'xml'"):
        logs.configure("xml", "web")
    assert isinstance(logs.formatter_for(" JSON "), logs.JsonFormatter)


def test_configure_adds_no_handler_beside_one_already_there_but_formats_its_own():
    root = logging.getLogger()
    ours = logs.make_handler("text", io.StringIO())
    root.addHandler(ours)
    try:
        before = list(root.handlers)
        logs.configure("json", "worker")
        assert root.handlers == before and isinstance(ours.formatter, logs.JsonFormatter)
        assert logs._role == "worker"
    finally:
        root.removeHandler(ours)
        logs.set_role("web")


def _gunicorn_access_line(monkeypatch, log_format: str, query: str, path: str = "/webhooks/africastalking/sms") -> str:
    """What the Procfile's gunicorn writes for one request, through RelaisGunicornLogger."""
    monkeypatch.setenv("LOG_FORMAT", log_format)
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %(r)s %(q)s')
    logger = RelaisGunicornLogger(cfg)
    stream = io.StringIO()
    [handler] = [h for h in logger.access_log.handlers if getattr(h, "_gunicorn", False)]
    handler.setStream(stream)
    response = SimpleNamespace(status="200 OK", sent=12, headers=[("Content-Type", "text/plain"),
                                                                  ("X-Request-Id", "req-77")])
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": f"{path}?{query}", "PATH_INFO": path, "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "10.1.2.3", "HTTP_USER_AGENT": "AT"}
    request = SimpleNamespace(headers=[("USER-AGENT", "AT"), ("X-PHONE", "+22376000100")])
    logger.access(response, request, environ, timedelta(milliseconds=8))
    return stream.getvalue()


def test_gunicorns_access_line_is_json_with_chosen_fields_only(monkeypatch):
    written = _gunicorn_access_line(monkeypatch, "json", "token=secret&from=%2B22376000100")
    line = json.loads(written)
    assert line["message"] == "POST /webhooks/africastalking/sms 200" and line["role"] == "web"
    assert line["http"] == {"method": "POST", "path": "/webhooks/africastalking/sms", "status": 200, "bytes": 12,
                            "duration_ms": 8}
    assert line["request_id"] == "req-77" and line["logger"] == "gunicorn.access"
    for secret in ("secret", "22376000100", "10.1.2.3", "USER-AGENT"):
        assert secret not in written


def test_gunicorns_access_line_stays_the_procfiles_in_text_without_the_address(monkeypatch):
    written = _gunicorn_access_line(monkeypatch, "text", "token=secret")
    # The request line and the query string too are shown without the query string; the address as "-" (behind
    # the proxy it is the person's own).
    assert written == '- "POST /webhooks/africastalking/sms" 200 12 8ms POST /webhooks/africastalking/sms ' \
        'HTTP/1.1 -\n'


def test_gunicorn_stops_at_start_up_on_an_unknown_log_format(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        RelaisGunicornLogger(Config())


@pytest.mark.parametrize("path, shown", [
    ("/api/v1/cases/ABC2345", "/api/v1/cases/{ref}"), ("/api/v1/reports/XYZ7890/", "/api/v1/reports/{ref}/"),
    ("/api/v1/reports", "/api/v1/reports"), ("/webhooks/africastalking/ussd", "/webhooks/africastalking/ussd"),
    ("/cases/3f1c0d6e-8a55-4b7e-9f11-2c2a1b0e9d11", "/cases/3f1c0d6e-8a55-4b7e-9f11-2c2a1b0e9d11"),
])
def test_a_logged_path_names_no_record_by_its_reference(path, shown):
    assert logs.loggable_path(path) == shown


def test_an_api_path_is_logged_without_its_reference_in_either_format(monkeypatch):
    for log_format in ("text", "json"):
        written = _gunicorn_access_line(monkeypatch, log_format, "", path="/api/v1/cases/ABC2345")
        assert "ABC2345" not in written and "/api/v1/cases/{ref}" in written
