"""Move calendar fixture events to the plan date by whole days, keeping their wall-clock time.

An event stored as 09:30 Europe/Berlin on 19 November stays 09:30 Europe/Berlin on the plan
date, even across a DST change (the offset is recomputed from the event's ``timeZone``). The
shift depends only on the fixture and the target date, never on the clock, so it is deterministic.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _start_day(event: dict) -> date | None:
    """The calendar day an event starts on, as written (its own offset), or None when unreadable."""
    start = event.get("start")
    if not isinstance(start, dict):
        return None
    try:
        if start.get("dateTime"):
            return datetime.fromisoformat(str(start["dateTime"])).date()
        if start.get("date"):
            return date.fromisoformat(str(start["date"]))
    except ValueError:
        return None
    return None


def fixture_day(events: list[dict]) -> date | None:
    """The fixture's day: the earliest start day among events with a readable start."""
    days = [d for d in map(_start_day, events) if d is not None]
    return min(days) if days else None


def _shift_when(when: object, days: int) -> None:
    if not isinstance(when, dict):
        return
    if when.get("dateTime"):
        try:
            moment = datetime.fromisoformat(str(when["dateTime"]))
        except ValueError:
            return  # leave a broken time broken: the parser must see it and skip the event
        zone = when.get("timeZone")
        if zone and moment.tzinfo is not None:
            try:
                local = moment.astimezone(ZoneInfo(str(zone)))
            except (ZoneInfoNotFoundError, ValueError):
                local = moment
            # Same-zone arithmetic on an aware datetime is wall-clock arithmetic: 09:30 stays 09:30.
            when["dateTime"] = (local + timedelta(days=days)).isoformat()
        else:
            when["dateTime"] = (moment + timedelta(days=days)).isoformat()
    elif when.get("date"):
        try:
            when["date"] = (date.fromisoformat(str(when["date"])) + timedelta(days=days)).isoformat()
        except ValueError:
            return


def shift_calendar(events: list[dict], plan_date: date) -> int:
    """Shift ``events`` in place so the fixture's day becomes ``plan_date``; return the days added."""
    day = fixture_day(events)
    if day is None:
        return 0
    days = (plan_date - day).days
    if days:
        for event in events:
            _shift_when(event.get("start"), days)
            _shift_when(event.get("end"), days)
            if isinstance(event.get("originalStartTime"), dict):
                _shift_when(event["originalStartTime"], days)
    return days
