"""Fixture sets: API-shaped Gmail, Slack and Google Calendar payloads loaded from disk or generated.

Fixtures are stored with fixed timestamps. On load every message timestamp is shifted by the
same whole number of seconds so the newest message lands 20 minutes before ``now``: the
default lookback window then always contains the fixture day, whatever the clock says.

Calendar events move differently: by whole days, from the day of the fixture's earliest event
to ``now``'s date (in ``now``'s timezone), so meetings keep their time of day and land on the
plan date. A seconds shift would put a 09:30 standup at whatever hour the run happens to start.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from agent.errors import ConfigError
from mocks.calendar_shift import shift_calendar

GENERATED_PREFIX = "generated:"
NEWEST_BEFORE_NOW = timedelta(minutes=20)
# Keys holding a Slack timestamp anywhere in a message (including nested edited/message/root).
_TS_KEYS = {"ts", "thread_ts", "latest_reply", "event_ts"}
_TS_VALUE = re.compile(r"^(\d+)(\.\d+)?$")


@dataclass
class FixtureSet:
    gmail: list[dict] = field(default_factory=list)  # users.messages.get resources (format=full)
    slack_auth: dict = field(default_factory=dict)  # auth.test response
    slack_users: dict[str, dict] = field(default_factory=dict)  # user id -> users.info ``user``
    slack_conversations: list[dict] = field(default_factory=list)
    slack_history: dict[str, list[dict]] = field(default_factory=dict)  # channel id -> messages
    slack_replies: dict[str, list[dict]] = field(default_factory=dict)  # "<channel>:<thread_ts>" -> messages
    calendar: list[dict] = field(default_factory=list)  # Google Calendar events.list ``items``
    shift_seconds: int = 0  # what the loader added to every stored timestamp (Slack ids change with it)
    calendar_shift_days: int = 0  # what the loader added to every calendar date (keeps the time of day)


def load_fixture_set(spec: str, *, base_dir: Path, now: datetime, shift: bool = True) -> FixtureSet:
    """Load a fixture directory (name under ``base_dir`` or a path) or ``generated:<name>``.

    ``shift`` False keeps the stored timestamps, for scenarios replaying fixed dates.
    """
    if spec.startswith(GENERATED_PREFIX):
        from mocks import generate  # generated sets are only needed by load tests

        name = spec[len(GENERATED_PREFIX) :]
        generator = {"heavy_day": generate.heavy_day}.get(name)
        if generator is None:
            raise ConfigError(f"Unknown generated fixture set {name!r}; the available one is 'generated:heavy_day'.")
        return generator(now)

    directory = _resolve(spec, base_dir)
    fixtures = FixtureSet(gmail=_read_json(directory / "gmail_messages.json", default=[]))
    slack = _read_json(directory / "slack.json", default={})
    fixtures.slack_auth = slack.get("auth") or {}
    fixtures.slack_users = {str(u["id"]): u for u in slack.get("users") or [] if isinstance(u, dict) and "id" in u}
    fixtures.slack_conversations = slack.get("conversations") or []
    fixtures.slack_history = slack.get("history") or {}
    fixtures.slack_replies = slack.get("replies") or {}
    fixtures.calendar = _read_json(directory / "calendar.json", default=[])
    fixtures.shift_seconds = shift_to(fixtures, now) if shift else 0
    fixtures.calendar_shift_days = shift_calendar(fixtures.calendar, now.date()) if shift else 0
    return fixtures


def load_expected_tasks(spec: str, *, base_dir: Path, shift_seconds: int) -> list[dict]:
    """``expected_tasks.json`` of a fixture directory, with Slack ids moved by the load's shift.

    The file names messages as stored; a Slack id embeds its ts, so it must move with the
    same shift as the fixtures it is compared with (``FixtureSet.shift_seconds``).
    """
    tasks = _read_json(_resolve(spec, base_dir) / "expected_tasks.json", default=[])
    for task in tasks:
        task["message_ids"] = [shift_message_id(mid, shift_seconds) for mid in task.get("message_ids", [])]
    return tasks


def shift_message_id(message_id: str, seconds: int) -> str:
    """Shift the ts inside a "slack:<channel>:<ts>" id; e-mail ids do not contain a time."""
    source, _, rest = message_id.partition(":")
    if source != "slack":
        return message_id
    channel, _, ts = rest.rpartition(":")
    return f"slack:{channel}:{_shift_ts(ts, seconds)}"


def _resolve(spec: str, base_dir: Path) -> Path:
    for candidate in (base_dir / spec, Path(spec).expanduser()):
        if candidate.is_dir():
            return candidate
    available = sorted(p.name for p in base_dir.iterdir() if p.is_dir()) if base_dir.is_dir() else []
    raise ConfigError(
        f"Fixture set {spec!r} not found: it is neither a directory under {base_dir} nor a path to one. "
        f"Available: {', '.join(available) or 'none'} (or 'generated:heavy_day')."
    )


def _read_json(path: Path, *, default: Any) -> Any:
    if not path.exists():
        return default  # a missing file is an empty source, e.g. a Slack-only fixture set
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"Fixture file {path} is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    if not isinstance(data, type(default)):
        raise ConfigError(f"Fixture file {path} must hold a JSON {type(default).__name__}.")
    return data


# --- time shift ---------------------------------------------------------------------------


def newest_epoch(fixtures: FixtureSet) -> int | None:
    """Whole epoch seconds of the newest email or Slack message (history and replies)."""
    newest: int | None = None
    for resource in fixtures.gmail:
        raw = str(resource.get("internalDate") or "")
        if raw.isdigit():
            newest = max(newest or 0, int(raw) // 1000)
    for messages in (*fixtures.slack_history.values(), *fixtures.slack_replies.values()):
        for message in messages:
            match = _TS_VALUE.match(str(message.get("ts") or ""))
            if match:
                newest = max(newest or 0, int(match.group(1)))
    return newest


def shift_to(fixtures: FixtureSet, now: datetime) -> int:
    """Shift all timestamps in place so the newest lands 20 minutes before ``now``; return the delta."""
    newest = newest_epoch(fixtures)
    if newest is None:
        return 0
    delta = int((now - NEWEST_BEFORE_NOW).timestamp()) - newest
    for resource in fixtures.gmail:
        _shift_email(resource, delta)
    for messages in fixtures.slack_history.values():
        for message in messages:
            _shift_slack(message, delta)
    shifted: dict[str, list[dict]] = {}
    for key, messages in fixtures.slack_replies.items():
        for message in messages:
            _shift_slack(message, delta)
        channel, _, thread_ts = key.rpartition(":")
        shifted[f"{channel}:{_shift_ts(thread_ts, delta)}"] = messages
    fixtures.slack_replies = shifted
    return delta


def _shift_ts(value: str, delta: int) -> str:
    # Only the integer part moves: the 6-digit fraction is part of the message's identity.
    match = _TS_VALUE.match(value)
    if not match:
        return value
    return f"{int(match.group(1)) + delta}{match.group(2) or ''}"


def _shift_slack(node: Any, delta: int) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _TS_KEYS and isinstance(value, str):
                node[key] = _shift_ts(value, delta)
            elif isinstance(value, dict | list):
                _shift_slack(value, delta)
    elif isinstance(node, list):
        for item in node:
            _shift_slack(item, delta)


def _shift_email(resource: dict, delta: int) -> None:
    raw = str(resource.get("internalDate") or "")
    if raw.isdigit():
        resource["internalDate"] = str(int(raw) + delta * 1000)
    for header in (resource.get("payload") or {}).get("headers") or []:
        if str(header.get("name", "")).lower() != "date":
            continue
        try:
            moment = parsedate_to_datetime(header["value"])
        except (TypeError, ValueError, IndexError, KeyError):
            moment = None
        if moment is None or moment.tzinfo is None:
            if not raw.isdigit():
                continue  # nothing trustworthy to rebuild it from; leave the broken header broken
            moment = datetime.fromtimestamp(int(raw) // 1000, tz=UTC)
        # Keep the sender's UTC offset: a Berlin sender's Date header stays "+0100".
        header["value"] = format_datetime(moment + timedelta(seconds=delta))
