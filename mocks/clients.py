"""In-memory Gmail, Slack and Google Calendar clients over a ``FixtureSet``, with exactly the real clients' methods.

They return the same API-shaped payloads the real APIs do, so the production parsers and
collectors run unchanged. Fault injection wraps these methods generically, which is why
they expose nothing beyond the protocol.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time

from mocks.fixtures import FixtureSet

_AFTER = re.compile(r"\bafter:(\d+)\b")
_BEFORE = re.compile(r"\bbefore:(\d+)\b")


def _ts(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _in_range(value: float | None, low: float | None, high: float | None) -> bool:
    # An item without a usable time matches every range: it must reach the parser, which
    # is where malformed items are counted and skipped (the real APIs never filter them).
    if value is None:
        return True
    return (low is None or value > low) and (high is None or value <= high)


class MockGmailClient:
    """``GmailClient`` over fixture resources. Only the after:/before: epoch terms are honoured."""

    def __init__(self, fixtures: FixtureSet) -> None:
        self._by_id = {str(r.get("id")): r for r in fixtures.gmail}
        self._resources = fixtures.gmail

    def list_message_ids(self, query: str) -> Iterator[str]:
        after = _AFTER.search(query)
        before = _BEFORE.search(query)
        low = int(after.group(1)) * 1000 if after else None
        high = int(before.group(1)) * 1000 if before else None

        def internal(resource: dict) -> int | None:
            raw = str(resource.get("internalDate") or "")
            return int(raw) if raw.isdigit() else None

        # after: inclusive, before: exclusive (the same second-granular terms Gmail takes).
        low_excl = None if low is None else low - 1
        high_incl = None if high is None else high - 1
        matching = [r for r in self._resources if _in_range(internal(r), low_excl, high_incl)]
        # Newest first, like users.messages.list.
        matching.sort(key=lambda r: (internal(r) or 0, str(r.get("id"))), reverse=True)
        for resource in matching:
            yield str(resource.get("id"))

    def get_messages(self, ids: list[str]) -> Iterator[dict]:
        for gmail_id in ids:
            resource = self._by_id.get(gmail_id)
            if resource is not None:  # the batch API answers 404 per item; the collector never sees those
                yield resource


class MockSlackClient:
    """``SlackClient`` over fixture conversations, history, replies and users."""

    def __init__(self, fixtures: FixtureSet) -> None:
        self._fixtures = fixtures

    def workspace_url(self) -> str:
        return str(self._fixtures.slack_auth.get("url") or "https://example.slack.com/")

    def conversations(self) -> list[dict]:
        return list(self._fixtures.slack_conversations)

    def history(self, channel: str, oldest: float, latest: float) -> Iterator[dict]:
        messages = [
            m for m in self._fixtures.slack_history.get(channel, []) if _in_range(_ts(m.get("ts")), oldest, latest)
        ]
        yield from sorted(messages, key=_ts_of, reverse=True)  # newest first, as Slack does

    def replies(self, channel: str, thread_ts: str, oldest: float) -> Iterator[dict]:
        thread = self._fixtures.slack_replies.get(f"{channel}:{thread_ts}", [])
        parent = [m for m in thread if m.get("ts") == thread_ts]
        if not parent:
            parent = [m for m in self._fixtures.slack_history.get(channel, []) if m.get("ts") == thread_ts]
        rest = sorted(
            (m for m in thread if m.get("ts") != thread_ts and _in_range(_ts(m.get("ts")), oldest, None)), key=_ts_of
        )
        # The real API always puts the parent first, whatever ``oldest`` says, then replies oldest first.
        yield from parent[:1]
        yield from rest

    def user_info(self, user_id: str) -> dict:
        try:
            return self._fixtures.slack_users[user_id]
        except KeyError:
            raise LookupError(f"user_not_found: {user_id}") from None


def _ts_of(message: dict) -> float:
    value = _ts(message.get("ts"))
    return 0.0 if value is None else value


class MockCalendarClient:
    """``CalendarClient`` over fixture events: the events.list filter (an event's end after ``time_min``,
    its start before ``time_max``) and order (by start time). Every calendar id reads the same events."""

    def __init__(self, fixtures: FixtureSet) -> None:
        self._events = fixtures.calendar

    def events(self, calendar_id: str, time_min: str, time_max: str) -> Iterator[dict]:
        low, high = datetime.fromisoformat(time_min), datetime.fromisoformat(time_max)

        def bounds(event: dict) -> tuple[datetime, datetime] | None:
            start, end = _event_time(event.get("start"), low), _event_time(event.get("end"), low)
            if start is None:
                return None
            return start, end or start

        matching: list[tuple[datetime, str, dict]] = []
        for index, event in enumerate(self._events):
            span = bounds(event)
            # As in the other mocks, an event without a usable time is passed on for the parser to skip.
            if span is None:
                matching.append((low, f"{index:06d}", event))
            elif span[0] < high and (span[1] > low or span[0] == span[1] >= low):
                matching.append((span[0], f"{index:06d}", event))
        for _, _, event in sorted(matching, key=lambda item: (item[0], item[1])):
            yield event


def _event_time(when: object, reference: datetime) -> datetime | None:
    """An event's start/end as an aware datetime; an all-day date is midnight in ``reference``'s zone."""
    if not isinstance(when, dict):
        return None
    try:
        if when.get("dateTime"):
            moment = datetime.fromisoformat(str(when["dateTime"]))
            return moment if moment.tzinfo else moment.replace(tzinfo=reference.tzinfo)
        if when.get("date"):
            return datetime.combine(date.fromisoformat(str(when["date"])), time(0), tzinfo=reference.tzinfo)
    except ValueError:
        return None
    return None
