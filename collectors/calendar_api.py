"""The real ``CalendarClient``: Google Calendar v3 ``events.list`` over googleapiclient.

Error handling follows ``collectors.gmail_api`` and reuses its helpers (error reasons,
which answers are worth retrying, Retry-After): 429/5xx/rate-limit 403s are retried here with
backoff, then become ``TransientSourceError`` for the graph's RetryPolicy; problems only the
user can fix (missing scope, API not enabled, unknown calendar) become ``ConfigError``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from agent.errors import ConfigError, PlannerError, SourceError, TransientSourceError
from collectors.gmail_api import DISABLED_REASONS, SCOPE_REASONS, _error_reasons, _retry_after, _retryable
from collectors.google_auth import REAUTH_COMMAND, signin_error

log = logging.getLogger(__name__)

T = TypeVar("T")
# Combine with collectors.google_auth.SCOPES_GMAIL when signing in, so one token serves both APIs.
SCOPES_CALENDAR = ["https://www.googleapis.com/auth/calendar.readonly"]
PAGE_SIZE = 250  # events.list's default page; a day rarely needs a second one, but it is followed


def _permanent_error(exc: HttpError, calendar_id: str) -> PlannerError:
    """A non-retryable HTTP error, as something the user can act on."""
    status, reasons = exc.resp.status, _error_reasons(exc.content)
    if status == 403 and reasons & SCOPE_REASONS:
        return ConfigError(
            f"Google Calendar refused to list events: the sign-in lacks the {SCOPES_CALENDAR[0]} scope. "
            f"Run '{REAUTH_COMMAND}' again to grant calendar.readonly (read-only access to your calendar), "
            "or turn the calendar off with sources.calendar.enabled: false."
        )
    if status == 403 and reasons & DISABLED_REASONS:
        return ConfigError(
            "The Google Calendar API is not enabled for the Google Cloud project of credentials.json. Enable it "
            f"under APIs & Services > Library > Google Calendar API, wait a minute, and run again. ({exc.reason})"
        )
    if status == 401:
        return ConfigError(
            f"Google Calendar did not accept the sign-in ({exc.reason}). Run '{REAUTH_COMMAND}' to sign in again."
        )
    if status == 404:
        return ConfigError(
            f"Google Calendar has no calendar {calendar_id!r} that you can read. Check sources.calendar.calendar_id "
            "in config/sources_config.yaml ('primary' is your own calendar)."
        )
    return SourceError(f"Google Calendar events.list failed with HTTP {status}: {exc.reason or 'no reason given'}")


class GoogleCalendarClient:
    """``CalendarClient`` over a googleapiclient Calendar v3 service."""

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
    def from_credentials(cls, credentials: Any, **options: Any) -> GoogleCalendarClient:
        """The production path: google.oauth2 credentials (granted SCOPES_CALENDAR), refreshed on 401."""
        service = build("calendar", "v3", credentials=credentials, cache_discovery=False, static_discovery=True)
        return cls(service, **options)

    @classmethod
    def from_http(cls, http: Any, **options: Any) -> GoogleCalendarClient:
        """Over any httplib2.Http-compatible object (HttpMockSequence, AuthorizedHttp, ...)."""
        # static_discovery: the Calendar discovery document ships in the package, so no request for it.
        service = build("calendar", "v3", http=http, cache_discovery=False, static_discovery=True)
        return cls(service, **options)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        # Exponential backoff with full jitter, so parallel runs do not retry in lockstep.
        return min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + random.random() / 2)

    def _call(self, calendar_id: str, send: Callable[[], T]) -> T:
        """``send()`` with retries for 429/5xx and network errors, errors mapped to ``PlannerError``s."""
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                return send()
            except HttpError as exc:
                if not _retryable(exc):
                    raise _permanent_error(exc, calendar_id) from exc
                if last:
                    raise TransientSourceError(
                        f"Google Calendar kept failing (HTTP {exc.resp.status}) after {self.max_retries} retries; "
                        "it will be tried again."
                    ) from exc
                delay = self._delay(attempt, _retry_after(exc))
                log.warning("Google Calendar: HTTP %s, retrying in %.1fs", exc.resp.status, delay)
            except RefreshError as exc:
                raise signin_error(exc) from exc
            except (TransportError, httplib2.HttpLib2Error, OSError) as exc:  # DNS, refused, reset, timeout
                if last:
                    raise TransientSourceError(f"Could not reach Google Calendar: {exc}") from exc
                delay = self._delay(attempt, None)
                log.warning("Google Calendar: %s, retrying in %.1fs", exc, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def events(self, calendar_id: str, time_min: str, time_max: str) -> Iterator[dict]:
        """events.list items overlapping [time_min, time_max), recurring events expanded, by start time."""
        resource = self.service.events()
        page_token: str | None = None
        while True:
            params: dict[str, Any] = {
                "calendarId": calendar_id,
                "timeMin": time_min,
                "timeMax": time_max,
                "singleEvents": True,  # instances of recurring events, not their rule
                "orderBy": "startTime",  # only allowed with singleEvents
                "maxResults": PAGE_SIZE,
            }
            if page_token:
                params["pageToken"] = page_token
            page = self._call(calendar_id, resource.list(**params).execute)
            yield from page.get("items") or []
            page_token = page.get("nextPageToken")
            if not page_token:
                return
