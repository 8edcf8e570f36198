"""A fake Twilio Messages API (providers §3e) and Content API on 127.0.0.1, for tests and local end-to-end runs.

In a test:
    with FakeTwilio(account_sid="AC...", auth_token="t") as fake:
        options = {"TWILIO_API_URL": fake.url, "TWILIO_ACCOUNT_SID": "AC...", "TWILIO_AUTH_TOKEN": "t", ...}
        fake.answer_next(Answer.opted_out())          # the next request gets Twilio's 21610, then the default
        ...
        [message] = fake.wait_for(1)                  # message["form"]["To"], message["account_sid"], ...
        message["text"], message["buttons"]           # what the phone shows: the Body, or a content filled in

The Content API (`POST /v1/Content`, JSON) answers at the same base URL (TWILIO_CONTENT_API_URL=fake.url); its
requests are kept apart in `fake.content_requests`, scripted with `fake.answer_next_content(Answer...)`. A message
may name a ContentSid this fake created, with ContentVariables, instead of a Body.

Media (providers §3f): `url = fake.add_media(MediaAnswer.jpeg(), ...)` gives a MediaUrl under
/2010-04-01/Accounts/{sid}/Messages/{MM...}/Media/{ME...}. It needs the account's Basic auth (else 401, as Twilio),
then answers with the first answer given (the last one repeats): an error status at once, or a 302 to another path
of this fake (or of `media_host`, a FakeMediaHost on another port, to show the Authorization header does not follow
a redirect) that serves the body with its type, delay and Content-Length (or none). GETs are kept in
`fake.media_requests` (and the host's `requests`): {"path", "headers", "authorization", "http_status"}.

Standalone (another process sends to it): `python -m tests.fakes.twilio --port 8026 [--log FILE]` prints one JSON
line per received request (stdout, or FILE). Control endpoints for scripts, as in tests/fakes/africastalking.py:
GET /_fake/requests, GET /_fake/content-requests, POST /_fake/answers {"next": [Answer fields...], "always": {...},
"content_next": [...]}, POST /_fake/reset.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from tests.fakes.server import FakeHandler, FakeProvider, ScriptedAnswer, run_standalone

API_VERSION = "2010-04-01"
DEFAULT_SID = "AC" + "0" * 32
DEFAULT_TOKEN = "fake-auth-token"
_MESSAGES_PATH = re.compile(rf"/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Messages\.json")
CONTENT_PATH = "/v1/Content"
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@dataclass(frozen=True)
class Answer(ScriptedAnswer):
    """How the fake answers one request: an HTTP status, a Twilio error code and message, an optional delay.

    Answer.success(), the default, is HTTP 201 with the new message resource, status "queued".
    """

    http_status: int = 201
    code: int | None = None
    message: str = ""
    delay: float = 0.0
    raw_body: str | None = None

    @classmethod
    def error(cls, http_status: int, code: int, message: str) -> "Answer":
        """Twilio's JSON error body: {"code", "message", "more_info", "status"}."""
        return cls(http_status=http_status, code=code, message=message)

    @classmethod
    def throttled(cls) -> "Answer":
        """HTTP 429, Twilio error 20429."""
        return cls.error(429, 20429, "Too Many Requests")

    @classmethod
    def server_error(cls) -> "Answer":
        """HTTP 500 with no useful body."""
        return cls(http_status=500, raw_body="Internal Server Error")

    @classmethod
    def opted_out(cls) -> "Answer":
        """HTTP 400, error 21610: the recipient replied STOP."""
        return cls.error(400, 21610, "Attempt to send to unsubscribed recipient")

    @classmethod
    def outside_window(cls) -> "Answer":
        """HTTP 400, error 63016: a free-form WhatsApp message more than 24 h after the user's last message."""
        return cls.error(400, 63016, "Failed to send freeform message because you are outside the allowed window. "
                                     "If you are using WhatsApp, please use a Message Template.")


def _error_body(http_status: int, code: int, message: str) -> str:
    return json.dumps({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                       "status": http_status})


_NOT_FOUND = _error_body(404, 20404, "The requested resource was not found")
_MEDIA_PATH = re.compile(rf"/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Messages/(?P<message>[^/]+)/Media/(?P<media>[^/?]+)")
MEDIA_CONTENT_PATH = "/media-content/"


@dataclass(frozen=True)
class MediaAnswer:
    """How the fake answers a GET of one media item: Twilio's status, then (when 200) the file after a redirect."""

    http_status: int = 200
    body: bytes = b""
    content_type: str = "image/jpeg"
    content_length: bool = True  # False: no Content-Length header, the body ends when the connection closes
    delay: float = 0.0  # before the file's bytes are sent (after the redirect)
    redirect: bool = True

    @classmethod
    def success(cls) -> "MediaAnswer":
        """A small JPEG, served after the redirect."""
        return cls.jpeg()

    @classmethod
    def jpeg(cls, size: int = 2048, **fields: Any) -> "MediaAnswer":
        """A JPEG of size bytes (its magic bytes, then padding)."""
        return cls(body=(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * size)[:size], content_type="image/jpeg",
                   **fields)

    @classmethod
    def file(cls, body: bytes, content_type: str, **fields: Any) -> "MediaAnswer":
        """Any body, served with this Content-Type."""
        return cls(body=body, content_type=content_type, **fields)

    @classmethod
    def status(cls, http_status: int) -> "MediaAnswer":
        """Twilio answering the media URL itself with this error status."""
        return cls(http_status=http_status)


def _serve_media_content(handler: "FakeHandler", fake: Any) -> None:
    """GET /media-content/{token}: the file a redirect pointed at (no credentials asked: it is a signed URL)."""
    answer = fake._media_blob(handler.path[len(MEDIA_CONTENT_PATH):])
    status = 404 if answer is None else 200
    fake._record({"path": handler.path, "headers": dict(handler.headers.items()),
                  "authorization": handler.headers.get("Authorization"), "http_status": status},
                 into=fake._media_log)
    if answer is None:
        return handler._send(404, "not found")
    handler.close_connection = True
    if answer.delay and fake._stopping.wait(answer.delay):
        return
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", answer.content_type)
        if answer.content_length:
            handler.send_header("Content-Length", str(len(answer.body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(answer.body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client stopped reading (a file too big): as it should


class _MediaFiles:
    """The files media redirects point at, by a random token (a fake server with `_lock` and `_media_blobs`)."""

    _lock: Any
    _media_blobs: dict[str, MediaAnswer]

    def _put_media_blob(self, answer: MediaAnswer) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self._media_blobs[token] = answer
        return token

    def _media_blob(self, token: str) -> MediaAnswer | None:
        with self._lock:
            return self._media_blobs.get(token)


class _Handler(FakeHandler):
    fake: FakeTwilio
    listings = {**FakeHandler.listings, "/_fake/content-requests": "content_requests"}
    not_found = (404, _NOT_FOUND, "application/json")

    def do_GET(self) -> None:
        """GET Messages.json lists the messages this fake created (To, From filters; newest first), as Twilio does."""
        if (media := _MEDIA_PATH.fullmatch(self.path)) is not None:
            return self._media(media)  # a MediaUrl (see the module docstring), and below the file it redirects to
        if self.path.startswith(MEDIA_CONTENT_PATH):
            return _serve_media_content(self, self.fake)
        url = urlsplit(self.path)
        match = _MESSAGES_PATH.fullmatch(url.path)
        if match is None:
            return super().do_GET()
        if not self._authorised(match):
            return self._send(401, _error_body(401, 20003, "Authenticate"), "application/json")
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        size = int(query.get("PageSize") or 50)
        listed = [m for m in reversed(self.fake.created_messages)
                  if all(m[field] == query[name] for name, field in (("To", "to"), ("From", "from"))
                         if name in query)][:size]
        self.fake._record({"path": url.path, "query": query, "method": "GET",
                           "at": datetime.now(timezone.utc).isoformat()}, into=self.fake._lookups)
        self._send(200, json.dumps({"messages": listed, "page_size": size}), "application/json")

    def _media(self, match: re.Match) -> None:
        """GET a MediaUrl: 401 without the account's Basic auth, else the item's next scripted answer."""
        answer = None
        if not self._authorised(match):
            status, body = 401, _error_body(401, 20003, "Authenticate")
        elif (answer := self.fake._take_media_answer(match["media"])) is None:
            status, body = 404, _NOT_FOUND
        elif answer.http_status != 200:
            status, body = answer.http_status, _error_body(answer.http_status, 20500, "Scripted error")
        else:
            status, body = (302, "") if answer.redirect else (200, "")
        self.fake._record({"path": self.path, "headers": dict(self.headers.items()),
                           "authorization": self.headers.get("Authorization"), "http_status": status},
                          into=self.fake._media_log)
        if status == 302:
            host = self.fake.media_host or self.fake
            self.send_response(302)
            self.send_header("Location", f"{host.base_url}{MEDIA_CONTENT_PATH}{host._put_media_blob(answer)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif status == 200:
            token = self.fake._put_media_blob(answer)
            self.path = MEDIA_CONTENT_PATH + token
            self.fake._media_log.pop()  # recorded again, as the content, by the line below
            _serve_media_content(self, self.fake)
        else:
            self._send(status, body, "application/json")

    def received(self, raw: str) -> None:
        if self.path == CONTENT_PATH:
            return self._create_content(raw)
        form = self._form(raw)
        answer = self.fake._take_answer()
        status, body = self._answer(form, answer)
        credentials = self._credentials()
        text, buttons = self.fake.rendered(form) if status < 300 else (form.get("Body", ""), [])
        self.fake._record({
            "path": self.path, "headers": dict(self.headers.items()),
            "account_sid": credentials[0] if credentials else None, "form": form, "http_status": status,
            "at": datetime.now(timezone.utc).isoformat(), "text": text, "buttons": buttons,
        })
        self._reply(answer, status, body, "text/html" if answer.raw_body is not None else "application/json")

    def _answer(self, form: dict[str, str], answer: Answer) -> tuple[int, str]:
        match = _MESSAGES_PATH.fullmatch(self.path)
        if match is None:
            return 404, _NOT_FOUND
        if not self._authorised(match):
            return 401, _error_body(401, 20003, "Authenticate")
        problem = _form_problem(form) or self._content_problem(form)
        if problem is not None:
            return 400, _error_body(400, *problem)
        if answer.raw_body is not None:
            return answer.http_status, answer.raw_body
        if answer.code is not None:
            return answer.http_status, _error_body(answer.http_status, answer.code, answer.message)
        return answer.http_status, json.dumps(self.fake._message_resource(form))

    def _content_problem(self, form: dict[str, str]) -> tuple[int, str] | None:
        """The error Twilio gives for a ContentSid it does not know or ContentVariables it cannot read, or None."""
        if "ContentVariables" in form and not form.get("ContentSid"):
            return 21654, "A ContentSid must be specified if ContentVariables are provided in the request."
        if "ContentSid" not in form:
            return None
        # Only contents this fake created exist: another account's, or a deleted one, is refused as Twilio does.
        if not _CONTENT_SID.fullmatch(form["ContentSid"]) or self.fake._content(form["ContentSid"]) is None:
            return 21655, "The Content SID is invalid."
        if "ContentVariables" in form:
            try:
                variables = json.loads(form["ContentVariables"])
            except ValueError:
                variables = None
            if not isinstance(variables, dict) or not all(
                    isinstance(value, str) and value for value in variables.values()):
                return 21656, "The Content Variables parameter is invalid."
        return None

    def _create_content(self, raw: str) -> None:
        """POST /v1/Content: validate as Twilio does, answer 201 with the new content resource."""
        answer = self.fake._take_content_answer()
        credentials = self._credentials()
        try:
            definition = json.loads(raw)
        except ValueError:
            definition = None
        status, body, sid = 201, "", None
        if credentials != (self.fake.account_sid, self.fake.auth_token):
            status, body = 401, _error_body(401, 20003, "Authenticate")
        elif not (self.headers.get("Content-Type") or "").startswith("application/json"):
            status, body = 415, _error_body(415, 20415, "Unsupported Media Type: use application/json")
        elif (problem := _content_definition_problem(definition)) is not None:
            status, body = 400, _error_body(400, 20001, problem)
        elif answer.raw_body is not None:
            status, body = answer.http_status, answer.raw_body
        elif answer.code is not None:
            status, body = answer.http_status, _error_body(answer.http_status, answer.code, answer.message)
        else:
            resource = self.fake._content_resource(definition)
            status, body, sid = 201, json.dumps(resource), resource["sid"]
        self.fake._record({
            "path": self.path, "headers": dict(self.headers.items()),
            "account_sid": credentials[0] if credentials else None, "json": definition, "http_status": status,
            "sid": sid, "at": datetime.now(timezone.utc).isoformat(),
        }, into=self.fake._content_requests)
        self._reply(answer, status, body, "text/html" if answer.raw_body is not None else "application/json")

    def _authorised(self, match: re.Match) -> bool:
        """Whether the request carries the account's Basic auth and names that account in its path."""
        return self._credentials() == (self.fake.account_sid, self.fake.auth_token) and \
            match["sid"] == self.fake.account_sid

    def _credentials(self) -> tuple[str, str] | None:
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password

    def _script(self, spec: dict[str, Any]) -> None:
        """Also {"content_next": [Answer fields...]}, for the Content API."""
        super()._script(spec)
        self.fake.answer_next_content(*(Answer(**item) for item in spec.get("content_next", [])))


class FakeTwilio(_MediaFiles, FakeProvider):
    """The fake server: records every request, answers from a queue of one-shot answers, then the default.

    Each of `requests` (the Messages requests) is {"path", "headers", "account_sid", "form", "http_status", "at",
    "text", "buttons"}, where text is what the phone shows (the Body, or the content with its variables filled in);
    `url` is the API base URL, for TWILIO_API_URL.
    """

    answer_class = Answer
    handler_class = _Handler
    name = short_name = "Twilio"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, account_sid: str = DEFAULT_SID,
                 auth_token: str = DEFAULT_TOKEN, log: TextIO | None = None,
                 media_host: "FakeMediaHost | None" = None) -> None:
        super().__init__(host, port, log)
        self.account_sid = account_sid  # Basic auth must be exactly these, as on the real API (else HTTP 401)
        self.auth_token = auth_token
        self.media_host = media_host  # where media redirects lead; None: another path of this fake
        self._media_answers: dict[str, list[MediaAnswer]] = {}
        self._media_blobs: dict[str, MediaAnswer] = {}
        self._media_log: list[dict[str, Any]] = []
        self._content_requests: list[dict[str, Any]] = []
        self._content_next: list[Answer] = []
        self._contents: dict[str, dict[str, Any]] = {}  # ContentSid -> the content resource created
        self._created: list[dict[str, Any]] = []  # the message resources created, oldest first
        self._lookups: list[dict[str, Any]] = []  # GET Messages.json requests

    # -- behaviour -------------------------------------------------------------------------------------------
    def answer_next_content(self, *answers: Answer) -> None:
        """Use these answers, in order, for the next Content API requests; then success again."""
        with self._lock:
            self._content_next.extend(answers)

    def reset(self) -> None:
        """Forget recorded requests, created contents and scripted answers; answer success by default."""
        with self._lock:
            super().reset()
            self._content_requests.clear()
            self._content_next.clear()
            self._contents.clear()
            self._media_answers.clear()
            self._media_blobs.clear()
            self._media_log.clear()
            self._created.clear()
            self._lookups.clear()

    def add_media(self, *answers: MediaAnswer, message_sid: str | None = None) -> str:
        """A new media item answered with these answers in turn (the last repeats); returns its MediaUrl."""
        media_sid = "ME" + secrets.token_hex(16)
        message_sid = message_sid or "MM" + secrets.token_hex(16)
        with self._lock:
            self._media_answers[media_sid] = list(answers) or [MediaAnswer.jpeg()]
        return f"{self.url}/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message_sid}/Media/{media_sid}"

    @property
    def media_requests(self) -> list[dict[str, Any]]:
        """Every GET of a MediaUrl or of its content here: {"path", "headers", "authorization", "http_status"}."""
        with self._lock:
            return list(self._media_log)

    @property
    def base_url(self) -> str:
        """The server's address, without url_path."""
        return f"http://{self._host}:{self.port}"

    # -- what was received -----------------------------------------------------------------------------------
    @property
    def content_requests(self) -> list[dict[str, Any]]:
        """Every Content API request so far: {"path", "headers", "account_sid", "json", "http_status", "sid", "at"}."""
        with self._lock:
            return list(self._content_requests)

    @property
    def contents(self) -> dict[str, dict[str, Any]]:
        """The contents created so far, by ContentSid."""
        with self._lock:
            return dict(self._contents)

    @property
    def created_messages(self) -> list[dict[str, Any]]:
        """The message resources created so far (what Twilio would list), oldest first."""
        with self._lock:
            return list(self._created)

    @property
    def lookups(self) -> list[dict[str, Any]]:
        """Every GET Messages.json so far: {"path", "query", "method", "at"}."""
        with self._lock:
            return list(self._lookups)

    def fail_message(self, sid: str, error_code: int) -> None:
        """Mark a created message failed with this error code, as Twilio lists it once it gave up on it."""
        with self._lock:
            for resource in self._created:
                if resource["sid"] == sid:
                    resource.update(status="failed", error_code=error_code, error_message="Scripted failure")
                    return
        raise KeyError(sid)

    def add_template(self, body: str) -> str:
        """Register an approved WhatsApp template (a content with a body and no variables); returns its ContentSid."""
        return self._content_resource({"friendly_name": "approved template", "language": "fr",
                                       "types": {"twilio/text": {"body": body}}})["sid"]

    # -- used by the handler ---------------------------------------------------------------------------------
    def _take_media_answer(self, media_sid: str) -> MediaAnswer | None:
        with self._lock:
            answers = self._media_answers.get(media_sid)
            if not answers:
                return None
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def _take_content_answer(self) -> Answer:
        with self._lock:
            return self._content_next.pop(0) if self._content_next else Answer.success()

    def _content_resource(self, definition: dict[str, Any]) -> dict[str, Any]:
        sid = "HX" + secrets.token_hex(16)
        now = format_datetime(datetime.now(timezone.utc))
        resource = {
            "sid": sid, "account_sid": self.account_sid, "friendly_name": definition.get("friendly_name"),
            "language": definition["language"], "variables": definition.get("variables") or {},
            "types": definition["types"], "date_created": now, "date_updated": now,
            "url": f"https://content.twilio.com/v1/Content/{sid}",
            "links": {"approval_fetch": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests",
                      "approval_create": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests/whatsapp"},
        }
        with self._lock:
            self._contents[sid] = resource
        return resource

    def _content(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            return self._contents.get(sid)

    def rendered(self, form: dict[str, str]) -> tuple[str, list[str]]:
        """What the phone shows for a send: its text, and its quick-reply button titles."""
        content = self._content(form.get("ContentSid", ""))
        if content is None:
            return form.get("Body", ""), []
        variables = {**content["variables"], **json.loads(form.get("ContentVariables") or "{}")}
        kind = next(iter(content["types"].values()))
        text = _VARIABLE.sub(lambda m: str(variables.get(m.group(1), m.group(0))), kind.get("body", ""))
        return text, [action["title"] for action in kind.get("actions", [])]

    def _message_resource(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(timezone.utc))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource = {
            "account_sid": self.account_sid, "api_version": API_VERSION, "body": self.rendered(form)[0],
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"), "messaging_service_sid": None,
            "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid,
            "status": "queued", "subresource_uris": {"media": f"{uri}/Media.json"}, "to": form.get("To"),
            "uri": f"{uri}.json",
        }
        with self._lock:
            self._created.append(resource)
        return resource


class _MediaHostHandler(FakeHandler):
    fake: "FakeMediaHost"

    def do_GET(self) -> None:
        if self.path.startswith(MEDIA_CONTENT_PATH):
            return _serve_media_content(self, self.fake)
        super().do_GET()


class FakeMediaHost(_MediaFiles, FakeProvider):
    """Twilio's storage host, elsewhere than its API: serves the files FakeTwilio redirects to, asking no credentials.

    Its `requests` are the GETs it received: {"path", "headers", "authorization", "http_status"}.
    """

    answer_class = MediaAnswer
    handler_class = _MediaHostHandler
    name = short_name = "media host"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log: TextIO | None = None) -> None:
        super().__init__(host, port, log)
        self._media_blobs: dict[str, MediaAnswer] = {}
        self._media_log = self._requests

    @property
    def base_url(self) -> str:
        """The server's address."""
        return self.url


def _form_problem(form: dict[str, str]) -> tuple[int, str] | None:
    """The error Twilio gives for a malformed send, or None."""
    if not form.get("To"):
        return 21604, "A 'To' phone number is required."
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return 21603, "A 'From' phone number is required."
    if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
        return 21602, "Message body is required."
    if len(form.get("Body", "")) > 1600:
        return 21617, "The concatenated message body exceeds the 1600 character limit."
    if form.get("From") and form["To"].startswith("whatsapp:") != form["From"].startswith("whatsapp:"):
        return 21910, "Invalid From and To pair. From and To should be of the same channel."
    return None


def _content_definition_problem(definition: Any) -> str | None:
    """What Twilio's Content API objects to in a create request's JSON body, or None."""
    if not isinstance(definition, dict):
        return "The request body must be a JSON object."
    if not isinstance(definition.get("language"), str) or not definition["language"]:
        return "Missing required parameter language in the post body"
    if "friendly_name" in definition and not isinstance(definition["friendly_name"], str):
        return "friendly_name must be a string"
    variables = definition.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        return "variables must be an object of strings"
    types = definition.get("types")
    if not isinstance(types, dict) or not types:
        return "'types' Parameter Required"
    quick_reply = types.get("twilio/quick-reply")
    if quick_reply is None:
        return None
    body, actions = quick_reply.get("body"), quick_reply.get("actions")
    if not isinstance(body, str) or not body or len(body) > 1024:
        return "twilio/quick-reply body is required, at most 1024 characters"
    if not isinstance(actions, list) or not 1 <= len(actions) <= 10:
        return "twilio/quick-reply needs 1 to 10 actions"
    titles, ids = [], []
    for action in actions:
        if not isinstance(action, dict):
            return "each action must be an object"
        title, action_id = action.get("title"), action.get("id")
        if not isinstance(title, str) or not 1 <= len(title) <= 20:
            return "a quick-reply title is 1 to 20 characters"
        if not isinstance(action_id, str) or not 1 <= len(action_id) <= 200:
            return "a quick-reply id is 1 to 200 characters"
        titles.append(title)
        ids.append(action_id)
    if len(set(titles)) != len(titles) or len(set(ids)) != len(ids):
        return "quick-reply titles and ids must be unique"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the fake until interrupted, printing each received request as a JSON line."""
    return run_standalone(argv, "python -m tests.fakes.twilio", __doc__, {
        "--account-sid": {"default": DEFAULT_SID, "help": "the only account accepted"},
        "--auth-token": {"default": DEFAULT_TOKEN, "help": "the only Auth Token accepted"},
    }, lambda args, log: FakeTwilio(args.host, args.port, args.account_sid, args.auth_token, log=log))


if __name__ == "__main__":
    raise SystemExit(main())
