"""Calendar collector: the plan date's events from Google Calendar, parsed to ``Meeting``.

No client library is imported here: the collector talks to anything with the
``CalendarClient`` method (``collectors.calendar_api.GoogleCalendarClient`` or
``mocks.clients.MockCalendarClient``). Unlike mail and Slack there is no collection window:
a calendar is read for the planned day itself, so a resumed run reads the same day again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from agent.state import Meeting, SourceCoverage
from collectors.parsing import SkipItem
from collectors.parsing.calendar import parse_calendar_event


class CalendarClient(Protocol):
    """What the calendar collector needs from the API; the real client wraps googleapiclient."""

    def events(self, calendar_id: str, time_min: str, time_max: str) -> Iterator[dict]:
        """events.list ``items`` overlapping [time_min, time_max) (RFC 3339), recurring events expanded,
        ordered by start time, following nextPageToken."""
        ...


def day_bounds(plan_date: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight (23 or 25 hours long on DST change days)."""
    return (
        datetime.combine(plan_date, time(0), tzinfo=tz),
        datetime.combine(plan_date + timedelta(days=1), time(0), tzinfo=tz),
    )


class CalendarCollector:
    source = "calendar"

    def __init__(self, client: CalendarClient, *, calendar_id: str, tz: ZoneInfo, user_email: str) -> None:
        self.client = client
        self.calendar_id = calendar_id
        self.tz = tz
        self.user_email = user_email

    def collect(self, plan_date: date) -> tuple[list[Meeting], SourceCoverage]:
        """Meetings of ``plan_date`` sorted by start, and what was fetched and skipped."""
        day_start, day_end = day_bounds(plan_date, self.tz)
        items = self.client.events(self.calendar_id, day_start.isoformat(), day_end.isoformat())
        fetched = 0
        skipped: Counter[str] = Counter()
        by_id: dict[str, Meeting] = {}
        for event in items:
            fetched += 1
            try:
                meeting = parse_calendar_event(event, tz=self.tz, user_email=self.user_email)
            except SkipItem as skip:
                skipped[skip.reason] += 1
                continue
            if not _overlaps(meeting, day_start, day_end):
                skipped["not on the plan date"] += 1  # the API filters this already; a mock or a proxy may not
            elif meeting["id"] in by_id:
                skipped["duplicate"] += 1
            else:
                by_id[meeting["id"]] = meeting
        meetings = sorted(by_id.values(), key=_order)
        coverage: SourceCoverage = {
            "status": "collected",
            "fetched": fetched,
            "messages": len(meetings),
            "skipped": dict(sorted(skipped.items())),
        }
        return meetings, coverage


def _order(meeting: Meeting) -> tuple[bool, datetime, datetime, str]:
    # All-day events first, then by real time (not by string: offsets differ on DST change days).
    return (
        not meeting["all_day"],
        datetime.fromisoformat(meeting["start"]),
        datetime.fromisoformat(meeting["end"]),
        meeting["id"],
    )


def _overlaps(meeting: Meeting, day_start: datetime, day_end: datetime) -> bool:
    start, end = datetime.fromisoformat(meeting["start"]), datetime.fromisoformat(meeting["end"])
    if start == end:  # a zero-length event at a moment of the day
        return day_start <= start < day_end
    return start < day_end and end > day_start
