"""The normalized message and the collector interfaces: the only things nodes see.

Nodes never touch raw API payloads. Parsers in ``collectors/parsing`` turn Gmail and
Slack resources into ``Message`` dicts; the state and the checkpoints hold only those.
Plain dicts (TypedDicts) keep checkpoints small and serializer-agnostic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, TypedDict

Source = Literal["email", "slack"]


class Message(TypedDict):
    id: str  # "<source>:<source_id>", unique across sources
    source: Source
    source_id: str  # Gmail message id, or "<channel id>:<ts>" for Slack
    sender: str  # display name, e.g. "Dana Kim"
    sender_address: str  # e-mail address or Slack user id
    recipients: list[str]  # To: addresses (email) / mentioned user ids (slack)
    cc: list[str]  # Cc: addresses (email only)
    subject: str  # e-mail subject, or "#channel" / "DM" for Slack
    text: str  # cleaned body, capped at collect.max_text_chars
    timestamp: str  # ISO 8601, UTC
    thread: str  # Gmail threadId, or "<channel id>:<thread_ts>" for Slack
    channel: str  # Slack channel id; "" for email
    channel_type: str  # "im", "mpim", "channel", "group", or "" for email
    automated: bool  # newsletters, notifications, bots (List-Unsubscribe, noreply, ...)
    link: str  # opens the message in Gmail / Slack


class SourceResult(TypedDict):
    source: Source
    messages: list[Message]
    fetched: int  # items the API returned
    skipped: dict[str, int]  # reason -> count of items not turned into messages


@dataclass(frozen=True)
class Window:
    """The time range a collector reads: since < message time <= until."""

    since: datetime
    until: datetime


class Collector(Protocol):
    source: Source

    def collect(self, window: Window) -> SourceResult: ...


class GmailClient(Protocol):
    """What the Gmail collector needs from the API; the real client wraps googleapiclient."""

    def list_message_ids(self, query: str) -> Iterator[str]:
        """Ids from users.messages.list for ``query``, following nextPageToken."""
        ...

    def get_messages(self, ids: list[str]) -> Iterator[dict]:
        """users.messages.get resources (format=full) for ``ids``."""
        ...


class SlackClient(Protocol):
    """What the Slack collector needs from the Web API; the real client wraps slack_sdk."""

    def workspace_url(self) -> str:
        """The workspace URL from auth.test, e.g. "https://northwind.slack.com/" (for permalinks)."""
        ...

    def conversations(self) -> list[dict]:
        """Conversation objects (channels, DMs, group DMs) the user is a member of."""
        ...

    def history(self, channel: str, oldest: float, latest: float) -> Iterator[dict]:
        """conversations.history message objects in (oldest, latest], following cursors."""
        ...

    def replies(self, channel: str, thread_ts: str, oldest: float) -> Iterator[dict]:
        """conversations.replies message objects of one thread newer than ``oldest``."""
        ...

    def user_info(self, user_id: str) -> dict:
        """users.info ``user`` object."""
        ...
