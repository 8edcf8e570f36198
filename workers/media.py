"""Fetching one received photo or file: download it from the provider, check its size and type, keep it."""
from __future__ import annotations

import hashlib
import logging
import uuid

from bootstrap import Runtime
from casecore.messaging.media import MAX_ATTEMPTS, MediaToFetch, StoredFile, claim_media, finish_media, note_media_retry
from casecore.messaging.media_types import HEAD_BYTES, normalise_type, refusal
from channels.media_download import Download
from channels.twilio_media import PROVIDER as TWILIO
from channels.twilio_media import fetch_twilio_media

log = logging.getLogger(__name__)


class RetryableMediaError(Exception):
    """The provider could not hand the file over now; raised so RQ tries the job again later."""


def fetch_media(runtime: Runtime, media_id: str | uuid.UUID) -> str:
    """Fetch, check and keep one pending item once; returns its status (RetryableMediaError to try again)."""
    with runtime.unit_of_work() as session:
        item = claim_media(session, media_id)
    if item is None:
        log.info("media %s was already fetched", media_id)
        return "skipped"
    if item.attempts > MAX_ATTEMPTS:
        return _finish(runtime, item, "failed", "gave_up")  # a job that died mid-download, again and again
    settings = runtime.settings
    declared = normalise_type(item.declared_type)
    if declared not in settings.media_types:
        # Refused before any download: a type we do not take is not fetched at all.
        return _finish(runtime, item, "refused", "type_not_allowed")
    result = _download(runtime, item)
    if result.outcome == "retry":
        if item.attempts >= MAX_ATTEMPTS:
            return _finish(runtime, item, "failed", f"gave_up:{result.reason}")
        with runtime.unit_of_work() as session:
            note_media_retry(session, item.id, result.reason)
        raise RetryableMediaError(f"media {item.id}: {result.reason} (attempt {item.attempts})")
    if result.outcome != "ok":
        return _finish(runtime, item, result.outcome, result.reason)
    reason = refusal(declared, result.data[:HEAD_BYTES], settings.media_types)
    if reason is not None:
        return _finish(runtime, item, "refused", reason)
    key = runtime.media_store.put(result.data)
    stored = StoredFile(declared, len(result.data), hashlib.sha256(result.data).hexdigest(), key)
    try:
        with runtime.unit_of_work() as session:
            kept = finish_media(session, item.id, "stored", stored=stored)
    except BaseException:
        runtime.media_store.delete(key)  # no row points at it: it would never be found again
        raise
    if not kept:
        runtime.media_store.delete(key)  # another run stored it first
    return "stored"


def _download(runtime: Runtime, item: MediaToFetch) -> Download:
    settings = runtime.settings
    if item.provider != TWILIO:
        return Download("failed", reason="unsupported_provider")
    return fetch_twilio_media(
        item.source_url, account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN,
        api_url=settings.TWILIO_API_URL, timeout=settings.PROVIDER_TIMEOUT, max_bytes=settings.MEDIA_MAX_BYTES,
        media_hosts=settings.MEDIA_HOSTS, allow_private=settings.DEVELOPMENT,
    )


def _finish(runtime: Runtime, item: MediaToFetch, status: str, reason: str) -> str:
    with runtime.unit_of_work() as session:
        finish_media(session, item.id, status, reason)
    return status
