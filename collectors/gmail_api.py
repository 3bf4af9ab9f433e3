"""The real ``GmailClient``: users.messages.list and batched users.messages.get over googleapiclient.

This is the only module that imports googleapiclient. Failures leave it as ``PlannerError``s:
rate limits and 5xx are retried here with backoff, then become ``TransientSourceError`` so the
graph's RetryPolicy gets its turn; problems only the user can fix become ``ConfigError``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import build
from googleapiclient.errors import BatchError, HttpError

from agent.errors import ConfigError, PlannerError, SourceError, TransientSourceError
from collectors.google_auth import REAUTH_COMMAND, SCOPES_GMAIL, signin_error

log = logging.getLogger(__name__)

T = TypeVar("T")
BATCH_LIMIT = 100  # Gmail's documented maximum of calls per batch request
PAGE_SIZE = 500  # users.messages.list's maximum page size
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
SCOPE_REASONS = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}
DISABLED_REASONS = {"accessNotConfigured", "SERVICE_DISABLED"}


def _error_reasons(content: bytes) -> set[str]:
    """Every machine-readable reason in a Google error body (errors[].reason, details[].reason, status)."""
    try:
        error = json.loads(content.decode("utf-8")).get("error") or {}
    except (ValueError, AttributeError, UnicodeDecodeError):
        return set()
    if not isinstance(error, dict):
        return set()
    reasons = {str(error["status"])} if error.get("status") else set()
    for item in [*(error.get("errors") or []), *(error.get("details") or [])]:
        if isinstance(item, dict) and item.get("reason"):
            reasons.add(str(item["reason"]))
    return reasons


def _retryable(exc: HttpError) -> bool:
    status = exc.resp.status
    return status == 429 or status >= 500 or (status == 403 and bool(_error_reasons(exc.content) & RATE_LIMIT_REASONS))


def _retry_after(exc: HttpError) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    value = exc.resp.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _permanent_error(exc: HttpError, what: str) -> PlannerError:
    """A non-retryable HTTP error, as something the user can act on."""
    status, reasons = exc.resp.status, _error_reasons(exc.content)
    if status == 403 and reasons & SCOPE_REASONS:
        return SourceError(
            f"Gmail refused {what}: the sign-in lacks the {SCOPES_GMAIL[0]} scope. "
            f"Run '{REAUTH_COMMAND}' and allow reading your mail."
        )
    if status == 403 and reasons & DISABLED_REASONS:
        return ConfigError(
            "The Gmail API is not enabled for the Google Cloud project of credentials.json. Enable it under "
            f"APIs & Services > Library > Gmail API, wait a minute, and run again. ({exc.reason})"
        )
    if status == 401:
        return ConfigError(f"Gmail did not accept the sign-in ({exc.reason}). Run '{REAUTH_COMMAND}' to sign in again.")
    return SourceError(f"Gmail {what} failed with HTTP {status}: {exc.reason or 'no reason given'}")


class GmailApiClient:
    """``GmailClient`` over a googleapiclient Gmail v1 service."""

    def __init__(
        self,
        service: Any,
        *,
        max_retries: int = 4,
        base_delay: float = 1.0,
        max_delay: float = 32.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep  # injectable so tests check the waits without waiting

    @classmethod
    def from_credentials(cls, credentials: Any, **options: Any) -> GmailApiClient:
        """The production path: google.oauth2 credentials, refreshed by the library on 401."""
        service = build("gmail", "v1", credentials=credentials, cache_discovery=False, static_discovery=True)
        return cls(service, **options)

    @classmethod
    def from_http(cls, http: Any, **options: Any) -> GmailApiClient:
        """Over any httplib2.Http-compatible object (HttpMockSequence, AuthorizedHttp, ...)."""
        # static_discovery: the Gmail discovery document ships in the package, so no request for it.
        service = build("gmail", "v1", http=http, cache_discovery=False, static_discovery=True)
        return cls(service, **options)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        # Exponential backoff with full jitter, so parallel runs do not retry in lockstep.
        return min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + random.random() / 2)

    def _call(self, what: str, send: Callable[[], T]) -> T:
        """``send()`` with retries for whole-request 429/5xx and network errors, errors mapped."""
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                return send()
            except BatchError as exc:  # a garbled multipart answer (a proxy, a cut connection): try again
                if last:
                    raise TransientSourceError(f"Gmail {what} returned an unreadable batch answer: {exc}") from exc
                delay = self._delay(attempt, None)
                log.warning("Gmail %s: %s, retrying in %.1fs", what, exc, delay)
            except HttpError as exc:
                if not _retryable(exc):
                    raise _permanent_error(exc, what) from exc
                if last:
                    raise TransientSourceError(
                        f"Gmail {what} kept failing (HTTP {exc.resp.status}) after {self.max_retries} retries; "
                        "it will be tried again."
                    ) from exc
                delay = self._delay(attempt, _retry_after(exc))
                log.warning("Gmail %s: HTTP %s, retrying in %.1fs", what, exc.resp.status, delay)
            except RefreshError as exc:
                raise signin_error(exc) from exc
            except (TransportError, httplib2.HttpLib2Error, OSError) as exc:  # DNS, refused, reset, timeout
                if last:
                    raise TransientSourceError(f"Could not reach Gmail for {what}: {exc}") from exc
                delay = self._delay(attempt, None)
                log.warning("Gmail %s: %s, retrying in %.1fs", what, exc, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def list_message_ids(self, query: str) -> Iterator[str]:
        """Ids from users.messages.list for ``query``, newest first, following nextPageToken."""
        messages = self.service.users().messages()
        page_token: str | None = None
        while True:
            params: dict[str, Any] = {"userId": "me", "q": query, "maxResults": PAGE_SIZE}
            if page_token:
                params["pageToken"] = page_token
            request = messages.list(**params)
            page = self._call("message list", request.execute)
            for item in page.get("messages") or []:
                yield str(item["id"])
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    def get_messages(self, ids: list[str]) -> Iterator[dict]:
        """Full resources for ``ids`` in the order asked, in batches; ids Gmail no longer has are skipped."""
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), BATCH_LIMIT):
            chunk = unique[start : start + BATCH_LIMIT]
            found = self._get_chunk(chunk)
            for gmail_id in chunk:
                if gmail_id in found:
                    yield found[gmail_id]

    def _send_batch(self, ids: list[str]) -> tuple[dict[str, dict], list[str], float | None]:
        """One batch of users.messages.get: (resources by id, ids worth retrying, longest Retry-After)."""
        found: dict[str, dict] = {}
        retry: list[str] = []
        waits: list[float] = []
        fatal: list[HttpError] = []

        def answer(request_id: str, response: dict | None, exc: HttpError | None) -> None:
            if exc is None:
                found[request_id] = response or {}
            elif _retryable(exc):
                retry.append(request_id)
                wait = _retry_after(exc)
                if wait is not None:
                    waits.append(wait)
            elif exc.resp.status in (401, 403):  # the same for every item: the whole source is unusable
                fatal.append(exc)
            else:  # 404 (deleted since the list) or 400 (bad id): this one item only
                log.info("Gmail message %s skipped: HTTP %s %s", request_id, exc.resp.status, exc.reason)

        batch = self.service.new_batch_http_request(callback=answer)
        messages = self.service.users().messages()
        for gmail_id in ids:
            batch.add(messages.get(userId="me", id=gmail_id, format="full"), request_id=gmail_id)
        self._call("message fetch", batch.execute)
        if fatal:
            raise _permanent_error(fatal[0], "message fetch") from fatal[0]
        return found, retry, max(waits) if waits else None

    def _get_chunk(self, chunk: list[str]) -> dict[str, dict]:
        """All fetchable resources of ``chunk``; items that failed with 429/5xx are sent again on their own."""
        found: dict[str, dict] = {}
        pending = chunk
        for attempt in range(self.max_retries + 1):
            got, retry, retry_after = self._send_batch(pending)
            found.update(got)
            if not retry:
                break
            if attempt == self.max_retries:
                raise TransientSourceError(
                    f"Gmail kept rate-limiting or failing {len(retry)} message fetches after {self.max_retries} "
                    "retries; they will be tried again."
                )
            delay = self._delay(attempt, retry_after)
            log.warning("Gmail: %d of %d batched fetches failed, retrying in %.1fs", len(retry), len(pending), delay)
            self._sleep(delay)
            pending = retry
        return found
