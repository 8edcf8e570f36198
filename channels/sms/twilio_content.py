"""WhatsApp quick replies through Twilio's Content API (providers §3e): which screens qualify, and the cached contents.

A screen with one to three short options goes to WhatsApp as a `twilio/quick-reply` content whose button ids are
the option numbers, so a tap comes back as `ButtonPayload=1` exactly as if the number had been typed (providers §3a);
a tap reported by its `ButtonText` alone is matched against the titles sent (channels.twilio_messages.button_answer).
One content is created per distinct tuple of button titles and its ContentSid kept in a ContentCache.
"""
from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import redis
import requests

from channels.sms.base import OutboundSms

DEFAULT_CONTENT_API_URL = "https://content.twilio.com"
# The key under which the backend's options mapping carries a ContentCache (settings cannot hold one).
CONTENT_CACHE_OPTION = "TWILIO_CONTENT_CACHE"
KEY_PREFIX = "relais:twilio-content:"
# WhatsApp in session, without template approval: at most 3 buttons, a title at most 20 characters.
MAX_BUTTONS = 3
MAX_TITLE = 20
# A quick reply's body is at most 1,024 characters, and a variable's value is held to the field's maximum.
MAX_BODY = 1024
# Only templates submitted for WhatsApp approval need their real language; these contents are sent in session,
# so one fixed value keeps a single content per set of buttons whatever the conversation's language.
CONTENT_LANGUAGE = "en"
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


class ContentCacheError(Exception):
    """The cache could not be read or written (its store is down); the message then goes as plain text."""


class ContentCache(ABC):
    """Where the ContentSid of each set of buttons is kept, so a content is created once and reused."""

    @abstractmethod
    def get(self, key: str) -> str | None:
        """The ContentSid stored under key, or None."""

    @abstractmethod
    def remember(self, key: str, sid: str) -> str:
        """Store sid under key unless another is already there; return the one to use."""

    @abstractmethod
    def forget(self, key: str) -> None:
        """Drop key, so that the next send creates a content again."""


class RedisContentCache(ContentCache):
    """ContentSids in Redis under `relais:twilio-content:`, without expiry: a content lives until deleted at Twilio."""

    def __init__(self, client: Any) -> None:
        self._redis = client

    def get(self, key: str) -> str | None:
        """The ContentSid stored under key, or None."""
        try:
            value = self._redis.get(key)
        except redis.RedisError as exc:
            raise ContentCacheError(exc.__class__.__name__) from exc
        return value.decode() if isinstance(value, bytes) else value

    def remember(self, key: str, sid: str) -> str:
        """Store sid unless a concurrent send stored one first; every later send then uses the same content."""
        try:
            if self._redis.set(key, sid, nx=True):
                return sid
            existing = self._redis.get(key)
        except redis.RedisError as exc:
            raise ContentCacheError(exc.__class__.__name__) from exc
        if isinstance(existing, bytes):
            existing = existing.decode()
        return existing or sid

    def forget(self, key: str) -> None:
        """Drop key."""
        try:
            self._redis.delete(key)
        except redis.RedisError as exc:
            raise ContentCacheError(exc.__class__.__name__) from exc


def content_cache_for(redis_client: Any) -> ContentCache:
    """The ContentCache kept in this Redis connection (the worker's runtime.redis)."""
    return RedisContentCache(redis_client)


@dataclass(frozen=True)
class QuickReply:
    """A message as quick replies: the text above the buttons, and the buttons' titles in option order."""

    body: str
    titles: tuple[str, ...]

    @property
    def variables(self) -> str:
        """ContentVariables for the Messages API: a JSON string filling {{1}} with the body."""
        return json.dumps({"1": self.body}, ensure_ascii=False)


def quick_reply_for(sms: OutboundSms) -> QuickReply | None:
    """The quick reply sms can be sent as on WhatsApp, or None when it must go as plain numbered text."""
    titles = tuple(sms.options)
    if sms.channel != "whatsapp" or not 1 <= len(titles) <= MAX_BUTTONS:
        return None
    if any(not title.strip() or len(title) > MAX_TITLE for title in titles) or len(set(titles)) != len(titles):
        return None  # WhatsApp refuses empty, long or repeated titles
    body = text_above_buttons(sms.body, titles)
    if body is None or len(body) > MAX_BODY:
        return None
    return QuickReply(body, titles)


def text_above_buttons(body: str, titles: tuple[str, ...]) -> str | None:
    """body without its numbered option lines ("1 Oui", "2 Non"); None when they are not found as one block.

    What else the screen says stays: an invalid-choice hint above the question, and below it the typed-only
    commands ("0 Retour", "00 Menu"), set off by a blank line so the question reads first and the commands
    sit just above the buttons, which cannot carry them (three buttons at most, all taken by the options).
    """
    lines = body.split("\n")
    block = [f"{number} {title}" for number, title in enumerate(titles, start=1)]
    # The last match: the option lines follow the question, which might itself quote a numbered line.
    for start in range(len(lines) - len(block), -1, -1):
        if [line.strip() for line in lines[start:start + len(block)]] == block:
            above = "\n".join(lines[:start]).strip()
            below = "\n".join(lines[start + len(block):]).strip()
            if not above:
                return None  # nothing to ask above the buttons: the plain text reads better
            return f"{above}\n\n{below}" if below else above
    return None


def cache_key(account_sid: str, titles: tuple[str, ...]) -> str:
    """The cache key of a set of buttons: per account (ContentSids belong to one), per titles in order."""
    return f"{KEY_PREFIX}{account_sid}:{_digest(titles)[:32]}"


def content_definition(titles: tuple[str, ...]) -> dict[str, Any]:
    """The JSON body of POST /v1/Content for a quick reply with these buttons and the text as variable {{1}}."""
    return {
        "friendly_name": f"relais_quick_reply_{_digest(titles)[:12]}",
        "language": CONTENT_LANGUAGE,
        "variables": {"1": "Choose an answer"},
        "types": {"twilio/quick-reply": {
            "body": "{{1}}",
            "actions": [{"title": title, "id": str(number)} for number, title in enumerate(titles, start=1)],
        }},
    }


def _digest(titles: tuple[str, ...]) -> str:
    return hashlib.sha256(json.dumps(titles, ensure_ascii=False).encode()).hexdigest()


class ContentCreationError(Exception):
    """Twilio did not create the content (HTTP error, no answer, an answer without a ContentSid)."""


def create_content(api_url: str, auth: tuple[str, str], titles: tuple[str, ...], timeout: float,
                   session: requests.Session | None = None) -> str:
    """Create the quick-reply content for titles at Twilio and return its ContentSid (HX...)."""
    post = session.post if session is not None else requests.post
    try:
        response = post(f"{api_url.rstrip('/')}/v1/Content", json=content_definition(titles), auth=auth,
                        headers={"Accept": "application/json"}, timeout=timeout)
    except requests.RequestException as exc:
        raise ContentCreationError(f"request failed ({exc.__class__.__name__})") from exc
    if not 200 <= response.status_code < 300:
        raise ContentCreationError(f"HTTP {response.status_code}")
    try:
        sid = response.json().get("sid")
    except (ValueError, AttributeError):
        sid = None
    if not isinstance(sid, str) or not _CONTENT_SID.fullmatch(sid):
        raise ContentCreationError("answer without a ContentSid")
    return sid
