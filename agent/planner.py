"""Plan the day: order tasks, then lay them out in time blocks around meetings, lunch and working hours.

A pure function of its arguments (no clock, no I/O), so the same tasks, meetings and settings always
give the same plan. Rules:
- order: priority, then due date (none last), then id; tasks are placed in that order, so a more
  important task always gets its time before a less important one;
- meetings are fixed: tasks only go into free time inside working hours, never into a meeting or the
  ``buffer_after_meetings_minutes`` after one; all-day events are listed but block nothing;
- lunch sits at ``lunch_start``, or the nearest free time within 90 minutes when a meeting takes it;
- every task block is at least ``min_block_minutes`` long;
- tasks shorter than the minimum are batched into "Quick replies" blocks instead of each being padded;
  a batch holds tasks of one priority only, and sits at the position of its most important task;
- each block goes into the earliest free slot that holds it (first fit, in priority order);
- a task too long for any single slot is split over several slots, every part at least the minimum:
  as few parts as possible, then the earliest slots ("(part 1/2)", ...; ``scheduled`` runs from the
  start of the first part to the end of the last). A batch too long for any slot is cut between its
  tasks instead, most important first;
- focus blocks (``focus_blocks``): a task of at least ``focus_min_minutes`` takes the earliest morning
  slot (before lunch) that holds it whole, and shorter work placed before it avoids slots that would
  leave the pending focus tasks no morning room. This preference never costs a more important task
  its place: when the plain first-fit layout schedules a task (in priority order) that the focus layout
  leaves out, with no more important task gained in exchange, the plain layout is used;
- a task goes to ``unscheduled`` only when the free time left in slots of at least the minimum does not
  add up to it; the reason says what was needed and what was left (and how much the meetings take).

Placing costs O(tasks x free slots): the day keeps its totals up to date, a task longer than the usable
time left is turned away without looking at the slots, and once no slot holds a minimum block every
remaining task is listed as unscheduled with the (shared) wording of that full day.
"""

from __future__ import annotations

import copy
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.planning.day import Day, local_minute, meeting_intervals, minutes_of
from agent.planning.text import no_fit_reason
from agent.state import Block, Meeting, Plan, Task, TimeRange, Unscheduled
from config.settings import PlannerSettings

_PRIORITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}
_KIND_RANK = {"meeting": 0, "lunch": 1, "task": 2}  # at the same minute, fixed things come first
BATCH_TARGET_MINUTES = 60  # a quick-replies block grows up to this (or the minimum block, if larger)

At = Callable[[int], str]
Placed = list[tuple[int, Block]]


def task_order(task: Task) -> tuple[int, str, str]:
    # "~" sorts after every ISO date, so tasks without a deadline come last within a priority.
    return (_PRIORITY_RANK.get(task["priority"], 9), task["due"] or "~", task["id"])


@dataclass
class _Unit:
    """What is placed together: a single task, or a batch of short ones (positions in the ordered tasks)."""

    members: list[int] = field(default_factory=list)
    work: int = 0
    batch: bool = False


def _units(ordered: list[Task], min_block: int) -> list[_Unit]:
    """Ordered units; a batch holds one priority and sits at the position of its most important task."""
    target = max(min_block, BATCH_TARGET_MINUTES)
    units: list[_Unit] = []
    open_batch: _Unit | None = None
    for index, task in enumerate(ordered):
        minutes = task["estimate_minutes"]
        if minutes >= min_block:
            units.append(_Unit([index], minutes))
            continue
        if (
            open_batch is None
            or ordered[open_batch.members[0]]["priority"] != task["priority"]
            or open_batch.work + minutes > target
        ):
            open_batch = _Unit(batch=True)
            units.append(open_batch)
        open_batch.members.append(index)
        open_batch.work += minutes
    return units


class _Focus:
    """The focus units of a layout, and how many of those still to come the morning would hold.

    ``_mins`` is a sparse table (``_mins[k][i]`` is the shortest of the 2**k focus units from ``i``), so the
    next focus unit short enough for the morning is found in O(log n), not by walking every pending unit.
    """

    def __init__(self, units: list[_Unit], settings: PlannerSettings) -> None:
        self.min_block = settings.min_block_minutes
        self.focus_min = settings.focus_min_minutes
        self.positions = [p for p, unit in enumerate(units) if self.is_focus(unit)]
        self.lengths = [max(units[p].work, self.min_block) for p in self.positions]
        self._mins = [self.lengths]
        width = 1
        while 2 * width <= len(self.lengths):
            row = self._mins[-1]
            self._mins.append([min(row[i], row[i + width]) for i in range(len(self.lengths) - 2 * width + 1)])
            width *= 2

    def is_focus(self, unit: _Unit) -> bool:
        return not unit.batch and unit.work >= self.focus_min

    def _next_fitting(self, index: int, longest: int) -> int | None:
        """The first focus unit from ``index`` on that is at most ``longest`` minutes."""
        for k in range(len(self._mins) - 1, -1, -1):
            row = self._mins[k]
            if index < len(row) and row[index] > longest:
                index += 1 << k
        return index if index < len(self.lengths) else None

    def _morning_room(self, day: Day, index: int) -> int:
        """How many focus units from ``index`` on the morning still holds, placed greedily in order."""
        slots = [(s, min(e, day.morning_end)) for s, e in day.free if s < day.morning_end]
        count = 0
        found = self._next_fitting(index, max((e - s for s, e in slots), default=0))
        while found is not None:
            length = self.lengths[found]
            k = next(k for k, (s, e) in enumerate(slots) if e - s >= length)
            s, e = slots[k]
            slots[k : k + 1] = [(s + length, e)] if e > s + length else []
            count += 1
            found = self._next_fitting(found + 1, max((e - s for s, e in slots), default=0))
        return count

    def start(self, unit: _Unit, position: int, day: Day) -> int | None:
        """Focus-aware choice of a slot holding the whole unit; None leaves the unit to plain placing."""
        length = max(unit.work, self.min_block)
        if self.is_focus(unit):
            return day.first_fit(length, until=day.morning_end)
        pending = bisect_right(self.positions, position)
        starts = day.slot_starts(length) if pending < len(self.positions) else []
        if not starts:  # nothing to protect, or nowhere to go: plain placing decides
            return None
        room = self._morning_room(day, pending)
        if not room:
            return None
        for start in starts:
            trial = day.clone()
            trial.take(start, length)
            if self._morning_room(trial, pending) == room:
                return start
        return None


class _Layout:
    """One layout of the units on a day: the blocks, each task's ``scheduled``, and what did not fit."""

    def __init__(self, ordered: list[Task], day: Day, at: At) -> None:
        self.ordered, self.day, self.at = ordered, day, at
        self.scheduled: list[TimeRange | None] = [None] * len(ordered)
        self.blocks: Placed = []
        self.unscheduled: list[tuple[int, str]] = []  # (position in ordered, reason)
        self._reasons: dict[int, str] = {}  # estimate -> wording, for the day as it is at ``_reasons_at``
        self._reasons_at = -1

    @property
    def coverage_key(self) -> tuple[bool, ...]:
        """Which tasks got a place, most important first: compared lexicographically, a layout that
        schedules a more important task beats one that schedules any number of less important ones."""
        return tuple(s is not None for s in self.scheduled)

    def place(self, units: list[_Unit], focus: _Focus | None) -> _Layout:
        """Place every unit in priority order."""
        for position, unit in enumerate(units):
            if self.day.full:  # the day is full: the rest cannot fit, and the wording is the same for all
                for rest in units[position:]:
                    self._skip(rest.members)
                break
            if unit.batch:
                self._place_batch(unit, position, focus)
            else:
                self._place_task(unit, position, focus)
        return self

    def _place_task(self, unit: _Unit, position: int, focus: _Focus | None) -> None:
        day, length = self.day, unit.work  # a single task reaches the minimum block by itself
        if length > day.usable:  # not even split: no need to look at the slots
            self._skip(unit.members)
            return
        start = focus.start(unit, position, day) if focus else None
        if start is None:
            start = day.first_fit(length)
        if start is not None:
            self._take(unit, start, length)
            return
        parts = day.split(length)
        if parts is None:  # pragma: no cover - split always succeeds within the usable time
            self._skip(unit.members)
            return
        index = unit.members[0]
        task, at = self.ordered[index], self.at
        for number, (start, minutes) in enumerate(parts, 1):
            day.take(start, minutes)
            suffix = f" (part {number}/{len(parts)})"
            self.blocks.append((start, _task_block(task, at(start), at(start + minutes), suffix)))
        self.scheduled[index] = {"start": at(parts[0][0]), "end": at(parts[-1][0] + parts[-1][1])}

    def _place_batch(self, unit: _Unit, position: int, focus: _Focus | None) -> None:
        day, min_block = self.day, self.day.min_block
        length = max(unit.work, min_block)
        start = focus.start(unit, position, day) if focus and length <= day.longest else None
        if start is None:
            start = day.first_fit(length)
        if start is not None:
            self._take(unit, start, length)
            return
        # Too long for any slot: cut between its tasks, the most important ones into the first slot that fits.
        members = unit.members
        while members:
            part = _Unit(batch=True)
            for index in members:
                minutes = self.ordered[index]["estimate_minutes"]
                if max(part.work + minutes, min_block) > day.longest:
                    break
                part.members.append(index)
                part.work += minutes
            if not part.members:
                break
            length = max(part.work, min_block)
            start = day.first_fit(length)
            assert start is not None  # the part is no longer than the longest slot
            self._take(part, start, length)
            members = members[len(part.members) :]
        self._skip(members)

    def _take(self, unit: _Unit, start: int, length: int) -> None:
        """Take [start, start + length) for ``unit`` and set its tasks' ``scheduled``."""
        self.day.take(start, length)
        at, offset = self.at, start
        for index in unit.members:
            minutes = self.ordered[index]["estimate_minutes"]
            self.scheduled[index] = {"start": at(offset), "end": at(offset + minutes)}
            offset += minutes
        if unit.batch:
            # A batch has no single task id; the tasks inside carry their own ``scheduled`` times within it.
            titles = "; ".join(self.ordered[i]["title"] for i in unit.members)
            block: Block = {
                "start": at(start),
                "end": at(start + length),
                "kind": "task",
                "task_id": None,
                "title": f"Quick replies: {titles}",
            }
        else:
            block = _task_block(self.ordered[unit.members[0]], at(start), at(start + length), "")
        self.blocks.append((start, block))

    def _skip(self, members: list[int]) -> None:
        for index in members:
            self.unscheduled.append((index, self._reason(self.ordered[index]["estimate_minutes"])))

    def _reason(self, estimate: int) -> str:
        """The "does not fit" wording for a task of ``estimate`` minutes, worked out once per state of the day."""
        day = self.day
        if self._reasons_at != day.version:
            self._reasons, self._reasons_at = {}, day.version
        reason = self._reasons.get(estimate)
        if reason is None:
            min_block = day.min_block
            if estimate < min_block:  # batched: it needs a minimum block of its own
                needed, needed_text = min_block, f"{estimate} min needed ({min_block} min minimum block)"
            else:
                needed, needed_text = estimate, f"{estimate} min needed"
            reason = no_fit_reason(
                needed,
                needed_text,
                left=day.left,
                usable=day.usable,
                min_block=min_block,
                meeting_minutes=day.meeting_minutes,
            )
            self._reasons[estimate] = reason
        return reason


def plan_day(
    tasks: list[Task],
    *,
    settings: PlannerSettings,
    plan_date: date,
    tz: ZoneInfo,
    meetings: list[Meeting] | None = None,
) -> Plan:
    """Lay ``tasks`` out over ``plan_date`` in ``tz`` around ``meetings``; inputs are copied, never modified."""
    ordered = sorted(tasks, key=task_order)
    day_meetings = sorted(
        (copy.deepcopy(m) for m in meetings or []),
        key=lambda m: (not m["all_day"], datetime.fromisoformat(m["start"]), m["end"], m["id"]),
    )
    busy = meeting_intervals(day_meetings, plan_date, tz)

    def at(minute: int) -> str:
        # Wall-clock time on the planned day; zoneinfo gives the right offset even on DST change days.
        return datetime.combine(plan_date, time(minute // 60, minute % 60), tzinfo=tz).isoformat()

    units = _units(ordered, settings.min_block_minutes)
    layout = _Layout(ordered, Day(settings, busy), at).place(units, None)
    focus = _Focus(units, settings) if settings.focus_blocks else None
    if focus is not None and focus.positions:  # without focus tasks both layouts are the same
        focused = _Layout(ordered, Day(settings, busy), at).place(units, focus)
        if focused.coverage_key >= layout.coverage_key:
            layout = focused

    planned_tasks = []
    for task, scheduled in zip(ordered, layout.scheduled, strict=True):
        planned_task = copy.deepcopy(task)
        planned_task["scheduled"] = scheduled
        planned_tasks.append(planned_task)
    unscheduled: list[Unscheduled] = [
        {"task_id": ordered[index]["id"], "reason": reason} for index, reason in layout.unscheduled
    ]

    blocks = list(layout.blocks)
    day = layout.day
    if day.lunch is not None:
        lunch: Block = {
            "start": at(day.lunch[0]),
            "end": at(day.lunch[1]),
            "kind": "lunch",
            "task_id": None,
            "title": "Lunch",
        }
        blocks.append((day.lunch[0], lunch))
    for meeting in day_meetings:
        if meeting["all_day"]:
            continue
        block: Block = {
            "start": meeting["start"],
            "end": meeting["end"],
            "kind": "meeting",
            "task_id": None,
            "title": meeting["title"],
        }
        blocks.append((local_minute(meeting["start"], plan_date, tz), block))
    blocks.sort(key=lambda pair: (pair[0], _KIND_RANK[pair[1]["kind"]], pair[1]["title"]))
    planned = sum(_minutes_between(b["start"], b["end"]) for _, b in blocks if b["kind"] == "task")
    return {
        "date": plan_date.isoformat(),
        "timezone": tz.key,
        "workday": {"start": at(minutes_of(settings.workday_start)), "end": at(minutes_of(settings.workday_end))},
        "tasks": planned_tasks,
        "blocks": [b for _, b in blocks],
        "unscheduled": unscheduled,
        "free_minutes": day.available - planned,
        "planned_minutes": planned,
        "meetings": day_meetings,
        "effort_minutes": sum(t["estimate_minutes"] for t in ordered),
    }


def _task_block(task: Task, start: str, end: str, suffix: str) -> Block:
    return {"start": start, "end": end, "kind": "task", "task_id": task["id"], "title": task["title"] + suffix}


def _minutes_between(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)) / timedelta(minutes=1))
