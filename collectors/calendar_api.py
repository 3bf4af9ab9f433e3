"""The real ``CalendarClient``: Google Calendar v3 ``events.list`` over googleapiclient.

Error handling follows ``collectors.gmail_api`` and reuses its helpers (error reasons,
which answers are worth retrying, Retry-After): 429/5xx/rate-limit 403s are retried here with
backoff, then become ``TransientSourceError`` for the graph's RetryPolicy; problems only the
user can fix (missing scope, API not enabled, unknown calendar) become ``ConfigError``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, TypeVar

from googleapiclient.errors import HttpError

from agent.errors import ConfigError, PlannerError, SourceError
from collectors.google_api import DISABLED_REASONS, SCOPE_REASONS, GoogleApiClient, error_reasons
from collectors.google_auth import REAUTH_COMMAND

log = logging.getLogger(__name__)

T = TypeVar("T")
# Combine with collectors.google_auth.SCOPES_GMAIL when signing in, so one token serves both APIs.
SCOPES_CALENDAR = ["https://www.googleapis.com/auth/calendar.readonly"]
PAGE_SIZE = 250  # events.list's default page; a day rarely needs a second one, but it is followed


def _permanent_error(exc: HttpError, calendar_id: str) -> PlannerError:
    """A non-retryable HTTP error, as something the user can act on."""
    status, reasons = exc.resp.status, error_reasons(exc.content)
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


class GoogleCalendarClient(GoogleApiClient):
    """``CalendarClient`` over a googleapiclient Calendar v3 service."""

    API = ("calendar", "v3")
    LABEL = "Google Calendar"

    calendar_id = "primary"  # the calendar being read, for error messages

    def permanent_error(self, exc: HttpError, what: str) -> PlannerError:
        return _permanent_error(exc, self.calendar_id)

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
            self.calendar_id = calendar_id
            page = self._call("events.list", resource.list(**params).execute)
            yield from page.get("items") or []
            page_token = page.get("nextPageToken")
            if not page_token:
                return
