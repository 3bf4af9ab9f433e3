"""Slack collector: history of every conversation in the window, plus active threads.

slack_sdk is not imported here: the collector talks to anything with the ``SlackClient``
methods (the real client, or ``mocks.clients.MockSlackClient``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from agent.errors import PlannerError
from collectors.base import Message, SlackClient, SourceResult, Window
from collectors.parsing import SkipItem
from collectors.parsing.slack import parse_slack_message, split_ts


def display_name(user: dict) -> str:
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if name and str(name).strip():
            return str(name).strip()
    return str(user.get("id") or "")


def _seconds(ts: object) -> float:
    try:
        return float(str(ts))
    except ValueError:
        return 0.0


def _edit_rank(raw: dict) -> float:
    """How recent the text of ``raw`` is, so the latest edit wins when one message appears twice."""
    inner = raw.get("message") if raw.get("subtype") == "message_changed" else None
    if isinstance(inner, dict):
        return max(_seconds(raw.get("ts")), _seconds((inner.get("edited") or {}).get("ts")))
    return _seconds((raw.get("edited") or {}).get("ts"))


class _UserNames:
    """Per-collect cache over users.info: one call per person, not one per message."""

    def __init__(self, client: SlackClient) -> None:
        self.client = client
        self.cache: dict[str, str] = {}

    def __call__(self, user_id: str) -> str:
        if user_id not in self.cache:
            try:
                self.cache[user_id] = display_name(self.client.user_info(user_id)) or user_id
            except (PlannerError, ConnectionError, TimeoutError):
                raise  # source failures (injected or real) belong to the node: retry or fail, never a bad name
            except Exception:  # unknown or deleted user (user_not_found, ...): an id is still a usable name
                self.cache[user_id] = user_id
        return self.cache[user_id]


class SlackCollector:
    source = "slack"

    def __init__(
        self, client: SlackClient, *, max_chars: int, max_threads: int = 200, thread_lookback_days: float = 4
    ) -> None:
        self.client = client
        self.max_chars = max_chars
        self.max_threads = max_threads
        # New replies often land in threads started before the window; their parents are read
        # from this far back only to find those threads, never planned again themselves.
        self.thread_lookback = thread_lookback_days * 86400

    def collect(self, window: Window) -> SourceResult:
        """Messages with since < ts <= until from all conversations and their threads."""
        since, until = window.since.timestamp(), window.until.timestamp()
        workspace_url = self.client.workspace_url()
        users = _UserNames(self.client)
        fetched = 0
        threads = 0
        skipped: Counter[str] = Counter()
        kept: dict[str, tuple[float, Message]] = {}

        def take(raw_messages: Iterable[dict], channel: dict, parent_ts: str | None = None) -> list[dict]:
            nonlocal fetched
            seen: list[dict] = []
            for raw in raw_messages:
                if parent_ts is not None and raw.get("ts") == parent_ts:
                    continue  # conversations.replies repeats the parent, already read from history
                fetched += 1
                seen.append(raw)
                try:
                    message = parse_slack_message(
                        raw, channel=channel, users=users, workspace_url=workspace_url, max_chars=self.max_chars
                    )
                except SkipItem as skip:
                    skipped[skip.reason] += 1
                    continue
                seconds, micros = split_ts(message["source_id"].rsplit(":", 1)[1])
                if not since < seconds + micros / 1e6 <= until:
                    skipped["outside window"] += 1
                    continue
                rank = _edit_rank(raw)
                previous = kept.get(message["id"])
                if previous is not None:
                    skipped["duplicate"] += 1
                    if previous[0] >= rank:
                        continue
                kept[message["id"]] = (rank, message)
            return seen

        for channel in self.client.conversations():
            channel_id = str(channel.get("id") or "")
            history = list(self.client.history(channel_id, since - self.thread_lookback, until))
            take((raw for raw in history if not raw.get("ts") or _seconds(raw.get("ts")) > since), channel)
            for raw in history:
                if not raw.get("reply_count") or _seconds(raw.get("latest_reply")) <= since:
                    continue
                if threads >= self.max_threads:
                    skipped["thread over max_threads"] += 1
                    continue
                threads += 1
                thread_ts = str(raw.get("thread_ts") or raw.get("ts"))
                take(self.client.replies(channel_id, thread_ts, since), channel, parent_ts=thread_ts)

        messages = sorted(
            (message for _, message in kept.values()),
            key=lambda m: (datetime.fromisoformat(m["timestamp"]), m["id"]),
        )
        return SourceResult(source="slack", messages=messages, fetched=fetched, skipped=dict(sorted(skipped.items())))
