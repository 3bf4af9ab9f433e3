"""Google Calendar ``events.list`` item -> ``Meeting``.

Only events that really take the user's time become meetings. Cancelled events, events the
user declined and events marked "free" (``transparency: transparent``) are skipped with a
reason the collector counts, like a malformed event without a start. All-day events are kept
(the plan shows them) but flagged ``all_day`` so the planner does not block the day with them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from agent.state import Meeting
from collectors.parsing import SkipItem, clean_text

UNTITLED = "(no title)"  # Google omits ``summary`` for untitled events and for others' private ones

# Skip reasons, shown in the plan header next to their counts.
CANCELLED = "cancelled"
DECLINED = "declined by you"
FREE = "marked as free"
NO_START = "missing start"
BAD_TIME = "unreadable start or end time"
ENDS_BEFORE_START = "ends before it starts"


def _declined(event: dict, user_email: str) -> bool:
    """The user's own attendee entry says "declined" (``self`` is set by Google; the address is a fallback)."""
    me = user_email.strip().lower()
    for attendee in event.get("attendees") or []:
        if not isinstance(attendee, dict):
            continue
        mine = attendee.get("self") is True or (me and str(attendee.get("email", "")).strip().lower() == me)
        if mine and attendee.get("responseStatus") == "declined":
            return True
    return False


def _moment(when: dict, tz: ZoneInfo) -> tuple[datetime, bool]:
    """(start of ``when`` in ``tz``, all-day?) from an event's start/end object; ValueError if unreadable."""
    if when.get("dateTime"):
        moment = datetime.fromisoformat(str(when["dateTime"]))
        if moment.tzinfo is None:
            # RFC 3339 requires an offset; without one the event's own timeZone is the best guess.
            zone = when.get("timeZone")
            moment = moment.replace(tzinfo=ZoneInfo(str(zone)) if zone else tz)
        return moment.astimezone(tz), False
    if when.get("date"):
        # An all-day date has no zone: it is that calendar day wherever the user is.
        return datetime.combine(date.fromisoformat(str(when["date"])), time(0), tzinfo=tz), True
    raise ValueError("neither dateTime nor date")


def parse_calendar_event(event: dict, *, tz: ZoneInfo, user_email: str) -> Meeting:
    """The ``Meeting`` for one event, times in ``tz``; raises ``SkipItem`` for events that take no time."""
    if event.get("status") == "cancelled":
        return _skip(CANCELLED)
    if _declined(event, user_email):
        return _skip(DECLINED)
    if event.get("transparency") == "transparent":
        return _skip(FREE)
    start_obj, end_obj = event.get("start"), event.get("end")
    if not isinstance(start_obj, dict) or not (start_obj.get("dateTime") or start_obj.get("date")):
        return _skip(NO_START)
    try:
        start, all_day = _moment(start_obj, tz)
        # Google always sends an end; an event "without end time" has end == start.
        end = _moment(end_obj, tz)[0] if isinstance(end_obj, dict) and end_obj else start
    except (ValueError, TypeError, KeyError):  # KeyError: ZoneInfo of an unknown zone name
        return _skip(BAD_TIME)
    if end < start:
        return _skip(ENDS_BEFORE_START)
    title = clean_text(str(event.get("summary") or "")).replace("\n", " ") or UNTITLED
    return {
        "id": str(event.get("id") or f"{start.isoformat()}:{title}"),
        "title": title,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "all_day": all_day,
        "link": str(event.get("htmlLink") or ""),
    }


def _skip(reason: str) -> Meeting:
    raise SkipItem(reason)
