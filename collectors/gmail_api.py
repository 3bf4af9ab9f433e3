"""The real ``GmailClient``: users.messages.list and batched users.messages.get over googleapiclient.

Retries and error mapping are shared with the Calendar client (collectors/google_api.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from googleapiclient.errors import HttpError

from agent.errors import ConfigError, PlannerError, SourceError, TransientSourceError
from collectors.google_api import (
    DISABLED_REASONS,
    SCOPE_REASONS,
    GoogleApiClient,
    error_reasons,
    retry_after,
    retryable,
)
from collectors.google_auth import REAUTH_COMMAND, SCOPES_GMAIL

log = logging.getLogger(__name__)

BATCH_LIMIT = 100  # Gmail's documented maximum of calls per batch request
PAGE_SIZE = 500  # users.messages.list's maximum page size


def _permanent_error(exc: HttpError, what: str) -> PlannerError:
    """A non-retryable HTTP error, as something the user can act on."""
    status, reasons = exc.resp.status, error_reasons(exc.content)
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


class GmailApiClient(GoogleApiClient):
    """``GmailClient`` over a googleapiclient Gmail v1 service."""

    API = ("gmail", "v1")
    LABEL = "Gmail"

    def permanent_error(self, exc: HttpError, what: str) -> PlannerError:
        return _permanent_error(exc, what)

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
            elif retryable(exc):
                retry.append(request_id)
                wait = retry_after(exc)
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
            raise self.permanent_error(fatal[0], "message fetch") from fatal[0]
        return found, retry, max(waits) if waits else None

    def _get_chunk(self, chunk: list[str]) -> dict[str, dict]:
        """All fetchable resources of ``chunk``; items that failed with 429/5xx are sent again on their own."""
        found: dict[str, dict] = {}
        pending = chunk
        for attempt in range(self.max_retries + 1):
            got, retry, wait = self._send_batch(pending)
            found.update(got)
            if not retry:
                break
            if attempt == self.max_retries:
                raise TransientSourceError(
                    f"Gmail kept rate-limiting or failing {len(retry)} message fetches after {self.max_retries} "
                    "retries; they will be tried again."
                )
            delay = self._delay(attempt, wait)
            log.warning("Gmail: %d of %d batched fetches failed, retrying in %.1fs", len(retry), len(pending), delay)
            self._sleep(delay)
            pending = retry
        return found
