"""What the real Google clients (Gmail, Calendar) share: building the service, retries, errors.

googleapiclient is imported only by this module and its two users. Rate limits, 5xx and
network errors are retried here with backoff (honouring Retry-After), then become
``TransientSourceError`` so the graph's RetryPolicy gets its turn; errors only the user can
fix become ``ConfigError``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import build
from googleapiclient.errors import BatchError, HttpError

from agent.errors import PlannerError, TransientSourceError
from collectors.google_auth import signin_error

log = logging.getLogger(__name__)

T = TypeVar("T")
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
SCOPE_REASONS = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}
DISABLED_REASONS = {"accessNotConfigured", "SERVICE_DISABLED"}


def error_reasons(content: bytes) -> set[str]:
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


def retryable(exc: HttpError) -> bool:
    status = exc.resp.status
    return status == 429 or status >= 500 or (status == 403 and bool(error_reasons(exc.content) & RATE_LIMIT_REASONS))


def retry_after(exc: HttpError) -> float | None:
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


class GoogleApiClient:
    """A googleapiclient service with retries; subclasses name the API and explain its errors."""

    API: tuple[str, str]  # ("gmail", "v1")
    LABEL: str  # what the user calls it, for messages

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
    def from_credentials(cls, credentials: Any, **options: Any) -> Any:
        """The production path: google.oauth2 credentials, refreshed by the library on 401."""
        name, version = cls.API
        return cls(
            build(name, version, credentials=credentials, cache_discovery=False, static_discovery=True), **options
        )

    @classmethod
    def from_http(cls, http: Any, **options: Any) -> Any:
        """Over any httplib2.Http-compatible object (HttpMockSequence, AuthorizedHttp, ...)."""
        # static_discovery: the discovery document ships in the package, so no request for it.
        name, version = cls.API
        return cls(build(name, version, http=http, cache_discovery=False, static_discovery=True), **options)

    def permanent_error(self, exc: HttpError, what: str) -> PlannerError:
        raise NotImplementedError

    def _delay(self, attempt: int, retry_after_seconds: float | None) -> float:
        if retry_after_seconds is not None:
            return min(retry_after_seconds, self.max_delay)
        # Exponential backoff with full jitter, so parallel runs do not retry in lockstep.
        return min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + random.random() / 2)

    def _call(self, what: str, send: Callable[[], T]) -> T:
        """``send()`` with retries for whole-request 429/5xx and network errors, errors mapped."""
        label = self.LABEL
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                return send()
            except BatchError as exc:  # a garbled multipart answer (a proxy, a cut connection): try again
                if last:
                    raise TransientSourceError(f"{label} {what} returned an unreadable batch answer: {exc}") from exc
                delay = self._delay(attempt, None)
                log.warning("%s %s: %s, retrying in %.1fs", label, what, exc, delay)
            except HttpError as exc:
                if not retryable(exc):
                    raise self.permanent_error(exc, what) from exc
                if last:
                    raise TransientSourceError(
                        f"{label} {what} kept failing (HTTP {exc.resp.status}) after {self.max_retries} retries; "
                        "it will be tried again."
                    ) from exc
                delay = self._delay(attempt, retry_after(exc))
                log.warning("%s %s: HTTP %s, retrying in %.1fs", label, what, exc.resp.status, delay)
            except RefreshError as exc:
                raise signin_error(exc) from exc
            except (TransportError, httplib2.HttpLib2Error, OSError) as exc:  # DNS, refused, reset, timeout
                if last:
                    raise TransientSourceError(f"Could not reach {label} for {what}: {exc}") from exc
                delay = self._delay(attempt, None)
                log.warning("%s %s: %s, retrying in %.1fs", label, what, exc, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt
