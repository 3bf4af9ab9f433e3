"""The free time of one workday: working hours minus meetings (plus a buffer after each), minus lunch.

Times are minutes after local midnight on the planned day; intervals are [start, end).
"""

from __future__ import annotations

import copy
import heapq
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from agent.state import Meeting
from config.settings import PlannerSettings

Interval = tuple[int, int]
NOON = 12 * 60
LUNCH_SEARCH_MINUTES = 90  # how far lunch may move from lunch_start when a meeting takes its slot
LUNCH_STEP_MINUTES = 5


def minutes_of(t: time) -> int:
    return t.hour * 60 + t.minute


def local_minute(iso: str, plan_date: date, tz: ZoneInfo) -> int:
    """Minutes after midnight of ``plan_date`` in ``tz``, clipped to the day (0..1440)."""
    moment = datetime.fromisoformat(iso).astimezone(tz)
    if moment.date() < plan_date:
        return 0
    if moment.date() > plan_date:
        return 24 * 60
    return moment.hour * 60 + moment.minute


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of ``intervals`` (empty ones dropped)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(base: list[Interval], holes: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for start, end in base:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            pieces = [p for s, e in pieces for p in ((s, min(e, h_start)), (max(s, h_end), e)) if p[1] > p[0]]
        result.extend(pieces)
    return result


def meeting_intervals(meetings: list[Meeting], plan_date: date, tz: ZoneInfo) -> list[Interval]:
    """The timed meetings as intervals of ``plan_date``; all-day events never block time."""
    return merge(
        [
            (local_minute(m["start"], plan_date, tz), local_minute(m["end"], plan_date, tz))
            for m in meetings
            if not m["all_day"]
        ]
    )


class Day:
    """Free minutes of the day as sorted [start, end) intervals, in minutes after midnight.

    ``left``, ``longest`` and ``usable`` are kept up to date by ``take``, so asking them costs nothing:
    the planner asks for every task, also on a heavy day with a thousand tasks and a full calendar.
    """

    def __init__(self, settings: PlannerSettings, meetings: list[Interval] | None = None) -> None:
        start, end = minutes_of(settings.workday_start), minutes_of(settings.workday_end)
        self.min_block = settings.min_block_minutes
        meetings = merge(meetings or [])
        # The buffer after a meeting is for notes and a breather, not for the next task.
        buffer = settings.buffer_after_meetings_minutes
        busy = merge([(s, e + buffer) for s, e in meetings])
        self.lunch = _place_lunch(settings, meetings, start, end)
        holes = busy + ([self.lunch] if self.lunch else [])
        self.free: list[Interval] = subtract([(start, end)], merge(holes))
        self.version = 0  # counts the takes, so wording computed for one state of the day can be reused
        self._count()
        self.available = self.left
        self.meeting_minutes = sum(e - s for s, e in subtract(meetings, [(0, start), (end, 24 * 60)]))
        # "Morning" for focus blocks: until lunch, or noon on a day without one.
        self.morning_end = self.lunch[0] if self.lunch else NOON

    def _count(self) -> None:
        lengths = [e - s for s, e in self.free]
        self.left = sum(lengths)  # every free minute
        self.longest = max(lengths, default=0)
        # Free minutes in slots of at least min_block: the most any task can still get, split or not.
        self.usable = sum(n for n in lengths if n >= self.min_block)
        self.version += 1

    @property
    def full(self) -> bool:
        """No slot holds even a minimum block: nothing more can be placed today."""
        return self.usable == 0

    def clone(self) -> Day:
        """A copy whose free list can be taken from without touching this one (for what-if checks)."""
        twin = copy.copy(self)
        twin.free = list(self.free)
        return twin

    def take(self, start: int, length: int) -> None:
        for i, (s, e) in enumerate(self.free):
            if s <= start and start + length <= e:
                pieces = [(s, start), (start + length, e)]
                self.free[i : i + 1] = [(a, b) for a, b in pieces if b > a]
                self._count()
                return
        raise ValueError("slot is not free")  # pragma: no cover - callers only take slots they found

    def first_fit(self, length: int, *, until: int | None = None) -> int | None:
        """Earliest start of a free slot holding ``length`` minutes (ending by ``until`` when given)."""
        for s, e in self.free:
            if until is not None:
                e = min(e, until)
            if e - s >= length:
                return s
        return None

    def slot_starts(self, length: int) -> list[int]:
        """Start of every free slot that holds ``length`` minutes, in time order."""
        return [s for s, e in self.free if e - s >= length]

    def split(self, length: int) -> list[Interval] | None:
        """Parts ``(start, minutes)``, in time order, that together give ``length`` minutes; None when the
        slots of at least ``min_block`` do not add up to it.

        As few parts as possible (a person would rather work in two pieces than in four), then the earliest
        slots; earlier parts are as long as possible while every later part keeps ``min_block``. Only when
        the fewest parts cannot all reach ``min_block`` is the last one padded up to it (like any short block).
        """
        slots = [(s, e - s) for s, e in self.free if e - s >= self.min_block]
        if sum(n for _, n in slots) < length:
            return None
        count, total = 0, 0
        for n in sorted((n for _, n in slots), reverse=True):
            if total >= length:
                break
            count, total = count + 1, total + n
        chosen: list[Interval] = []
        got, i = 0, 0
        for still in range(count - 1, -1, -1):  # ``still`` parts to choose after this one
            # The earliest slot after which the ``still`` longest later slots still make up the rest.
            while got + slots[i][1] + sum(heapq.nlargest(still, (n for _, n in slots[i + 1 :]))) < length:
                i += 1
            chosen.append(slots[i])
            got += slots[i][1]
            i += 1
        rest = max(length, count * self.min_block)
        parts: list[Interval] = []
        for still, (start, n) in zip(range(count - 1, -1, -1), chosen, strict=True):
            part = min(n, rest - still * self.min_block)
            parts.append((start, part))
            rest -= part
        return parts


def _place_lunch(settings: PlannerSettings, meetings: list[Interval], start: int, end: int) -> Interval | None:
    """Lunch at lunch_start; when a meeting takes that time, the nearest free time within 90 minutes
    (earlier first on a tie); none at all when meetings fill the whole lunch window."""
    lunch_start, length = minutes_of(settings.lunch_start), settings.lunch_minutes
    if length <= 0 or not start <= lunch_start < end:
        return None

    def clear(at: int) -> Interval | None:
        slot = (at, min(at + length, end))
        if at < start or slot[1] <= at or any(s < slot[1] and slot[0] < e for s, e in meetings):
            return None
        return slot

    for shift in range(0, LUNCH_SEARCH_MINUTES + 1, LUNCH_STEP_MINUTES):
        for at in (lunch_start - shift, lunch_start + shift) if shift else (lunch_start,):
            slot = clear(at)
            if slot is not None:
                return slot
    return None
