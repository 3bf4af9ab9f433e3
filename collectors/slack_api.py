"""The real ``SlackClient``: the Web API methods the Slack collector needs, over slack_sdk.WebClient.

This is the only module that imports slack_sdk. Rate limits, 5xx and dropped connections are
retried by slack_sdk's retry handlers (set explicitly: by default it only retries connection
errors); what is left afterwards becomes a ``PlannerError`` the graph and the user understand.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from agent.errors import ConfigError, PlannerError, SourceError, TransientSourceError

TOKEN_ENV_VARS = ("SLACK_USER_TOKEN", "SLACK_BOT_TOKEN")
SCOPES = (
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "users:read",
)
CONVERSATION_TYPES = "public_channel,private_channel,mpim,im"
PAGE_LIMIT = 200  # Slack's recommended page size for history and replies
LIST_LIMIT = 1000  # conversations.list accepts up to 1000 per page
AUTH_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired"}
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
UNKNOWN_USER = frozenset({"user_not_found", "user_not_visible"})
CHANNEL_NOT_FOUND = frozenset({"channel_not_found"})

TOKEN_HELP = (
    "Set SLACK_USER_TOKEN (a user token, xoxp-...) or SLACK_BOT_TOKEN (a bot token, xoxb-...) in the environment "
    "or in the project's .env file, never in a committed file. The Slack app needs these scopes: "
    + ", ".join(SCOPES)
    + "."
)


def token_from_env() -> str:
    """The Slack token from SLACK_USER_TOKEN, else SLACK_BOT_TOKEN (a user token sees the user's own DMs)."""
    for name in TOKEN_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    raise ConfigError(f"No Slack token found. {TOKEN_HELP}")


def _planner_error(exc: SlackApiError, method: str) -> PlannerError:
    """What a Slack API failure (left over after slack_sdk's retries) means for this run."""
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    error = str(data.get("error") or "")
    status = int(response.status_code or 0)
    if status == 429 or status >= 500 or error in TRANSIENT_ERRORS:
        return TransientSourceError(f"Slack {method} is rate-limited or unavailable ({error or status}); retrying.")
    if error in AUTH_ERRORS:
        return ConfigError(f"Slack rejected the token ({error}). {TOKEN_HELP}")
    if error == "missing_scope":
        needed = data.get("needed") or "(not stated)"
        return ConfigError(
            f"The Slack token lacks the scope {needed}, needed for {method}. Add it to the Slack app "
            f"(OAuth & Permissions), reinstall the app, and update the token. All scopes used: {', '.join(SCOPES)}."
        )
    if error == "not_in_channel":
        return ConfigError(
            f"Slack {method}: the token's user or bot is not a member of a configured channel. "
            "Invite the app there (/invite @app) or remove the channel from the config."
        )
    return SourceError(f"Slack {method} failed: {error or f'HTTP {status}'}")


class SlackApiClient:
    """``SlackClient`` over the Slack Web API."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        max_retries: int = 3,
        channels: list[str] | None = None,
    ) -> None:
        retry_handlers = [
            ConnectionErrorRetryHandler(max_retry_count=max_retries),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),  # sleeps for Retry-After
            ServerErrorRetryHandler(max_retry_count=max_retries),
        ]
        options: dict[str, Any] = {"token": token, "retry_handlers": retry_handlers}
        if base_url:
            options["base_url"] = base_url
        self.web = WebClient(**options)
        self.channels = list(channels or [])
        self._workspace_url: str | None = None

    def _call(self, method: str, *, not_found: frozenset[str] = frozenset(), **params: Any) -> dict:
        """One Web API call (form-encoded POST): its JSON body, or a PlannerError.

        Errors named in ``not_found`` raise LookupError instead: for those callers a missing
        object is an answer, not a failure of the source.
        """
        try:
            response = self.web.api_call(method, params={k: v for k, v in params.items() if v is not None})
        except SlackApiError as exc:
            body = exc.response.data if isinstance(exc.response.data, dict) else {}
            if body.get("error") in not_found:
                raise LookupError(f"{body.get('error')}: {params}") from None
            raise _planner_error(exc, method) from exc
        except SlackClientError as exc:  # a bad base_url or request: retrying will not help
            raise SourceError(f"Slack {method} could not be sent: {exc}") from exc
        except OSError as exc:  # URLError, timeouts, resets left after ConnectionErrorRetryHandler
            raise TransientSourceError(f"Could not reach Slack for {method}: {exc}") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    def _pages(self, method: str, key: str, **params: Any) -> Iterator[dict]:
        """Items under ``key`` from every page of a cursor-paginated method."""
        cursor: str | None = None
        while True:
            data = self._call(method, **params, cursor=cursor)
            yield from data.get(key) or []
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    def workspace_url(self) -> str:
        """The workspace URL from auth.test, e.g. "https://northwind.slack.com/" (for permalinks)."""
        if self._workspace_url is None:
            self._workspace_url = str(self._call("auth.test").get("url") or "https://slack.com/")
        return self._workspace_url

    def _all_conversations(self) -> list[dict]:
        return list(
            self._pages(
                "conversations.list", "channels", types=CONVERSATION_TYPES, exclude_archived=True, limit=LIST_LIMIT
            )
        )

    def conversations(self) -> list[dict]:
        """The configured channels, or every conversation the token's user is in (DMs always are)."""
        listed = self._all_conversations()
        if not self.channels:
            return [c for c in listed if c.get("is_member") or c.get("is_im") or c.get("is_mpim")]
        by_id = {str(c.get("id")): c for c in listed}
        by_name = {str(c.get("name")): c for c in listed if c.get("name")}
        chosen: list[dict] = []
        for wanted in self.channels:
            channel = by_id.get(wanted) or by_name.get(wanted.lstrip("#"))
            if channel is None and wanted[:1] in ("C", "G", "D"):
                channel = self._conversation_info(wanted)  # archived or otherwise unlisted, but named by id
            if channel is None:
                raise ConfigError(
                    f"The Slack channel {wanted!r} from the config is not visible to this token. "
                    "Check the name or id, and that the app (or you) is a member of it."
                )
            if channel not in chosen:
                chosen.append(channel)
        return chosen

    def _conversation_info(self, channel_id: str) -> dict | None:
        try:
            return self._call("conversations.info", not_found=CHANNEL_NOT_FOUND, channel=channel_id).get("channel")
        except LookupError:  # reported by the caller as the config problem it is
            return None

    def history(self, channel: str, oldest: float, latest: float) -> Iterator[dict]:
        """conversations.history message objects with oldest < ts <= latest, newest first."""
        # inclusive=False excludes both ends; one microsecond past ``latest`` (Slack ts resolution)
        # brings ``latest`` itself back in, matching the collector's (since, until] window.
        yield from self._pages(
            "conversations.history",
            "messages",
            channel=channel,
            oldest=f"{oldest:.6f}",
            latest=f"{latest + 0.000001:.6f}",
            inclusive=False,
            limit=PAGE_LIMIT,
        )

    def replies(self, channel: str, thread_ts: str, oldest: float) -> Iterator[dict]:
        """conversations.replies message objects of one thread (the parent first) newer than ``oldest``."""
        yield from self._pages(
            "conversations.replies",
            "messages",
            channel=channel,
            ts=thread_ts,
            oldest=f"{oldest:.6f}",
            inclusive=False,
            limit=PAGE_LIMIT,
        )

    def user_info(self, user_id: str) -> dict:
        """users.info ``user`` object; LookupError for an unknown or invisible user."""
        return dict(self._call("users.info", not_found=UNKNOWN_USER, user=user_id).get("user") or {})
