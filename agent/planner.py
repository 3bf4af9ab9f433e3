"""Plan the day: order tasks, then lay them out in time blocks around meetings, lunch and working hours.

A pure function of its arguments (no clock, no I/O), so the same tasks, meetings and settings always
give the same plan. Rules:
- order: priority, then due date (none last), then id;
- meetings are fixed: tasks only go into free time inside working hours, never into a meeting or the
  ``buffer_after_meetings_minutes`` after one; all-day events are listed but block nothing;
- lunch sits at ``lunch_start``, or the nearest free time within 90 minutes when a meeting takes it;
- every task block is at least ``min_block_minutes`` long;
- tasks shorter than the minimum are batched into "Quick replies" blocks instead of each being padded;
- each block goes into the earliest free slot that holds it (first fit, in priority order);
- focus blocks (``focus_blocks``): a task of at least ``focus_min_minutes`` takes the earliest morning
  slot (before lunch) that holds it whole, and shorter work placed before it avoids slots that would
  leave the pending focus tasks no morning room. This preference never costs a more important task
  its place: when the plain first-fit layout schedules a task (in priority order) that the focus layout
  leaves out, with no more important task gained in exchange, the plain layout is used;
- a task too long for any single slot may be split around lunch when both parts reach the minimum;
- what does not fit goes to ``unscheduled``, saying what was needed and what was left (and how much
  the meetings take when there are any).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.planning.day import Day, local_minute, meeting_intervals, minutes_of
from agent.planning.text import no_fit_reason
from agent.state import Block, Meeting, Plan, Task, Unscheduled
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
    """What is placed as one block: a single task, or a batch of short ones."""

    tasks: list[Task] = field(default_factory=list)
    batch: bool = False

    @property
    def work(self) -> int:
        return sum(t["estimate_minutes"] for t in self.tasks)


def _units(tasks: list[Task], min_block: int) -> list[_Unit]:
    """Ordered units; a batch sits at the position of its most important task."""
    target = max(min_block, BATCH_TARGET_MINUTES)
    units: list[_Unit] = []
    open_batch: _Unit | None = None
    for task in tasks:
        if task["estimate_minutes"] >= min_block:
            units.append(_Unit([task]))
            continue
        if open_batch is None or open_batch.work + task["estimate_minutes"] > target:
            open_batch = _Unit(batch=True)
            units.append(open_batch)
        open_batch.tasks.append(task)
    return units


@dataclass
class _Layout:
    tasks: list[Task]
    blocks: Placed
    unscheduled: list[Unscheduled]
    day: Day

    @property
    def coverage_key(self) -> tuple[bool, ...]:
        """Which tasks got a place, most important first: compared lexicographically, a layout that
        schedules a more important task beats one that schedules any number of less important ones."""
        return tuple(t["scheduled"] is not None for t in self.tasks)


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

    layout = _layout(ordered, Day(settings, busy), settings, at, focus=False)
    if settings.focus_blocks:
        focused = _layout(ordered, Day(settings, busy), settings, at, focus=True)
        if focused.coverage_key >= layout.coverage_key:
            layout = focused

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
        "tasks": layout.tasks,
        "blocks": [b for _, b in blocks],
        "unscheduled": layout.unscheduled,
        "free_minutes": day.available - planned,
        "planned_minutes": planned,
        "meetings": day_meetings,
        "effort_minutes": sum(t["estimate_minutes"] for t in ordered),
    }


def _layout(ordered: list[Task], day: Day, settings: PlannerSettings, at: At, *, focus: bool) -> _Layout:
    """Place every unit in priority order on ``day`` (fresh task copies, so layouts can be compared)."""
    tasks = [copy.deepcopy(t) for t in ordered]
    for task in tasks:
        task["scheduled"] = None
    min_block = settings.min_block_minutes
    units = _units(tasks, min_block)
    blocks: Placed = []
    unscheduled: list[Unscheduled] = []
    for index, unit in enumerate(units):
        placed = None
        if focus:
            pending = [u for u in units[index + 1 :] if _is_focus(u, settings)]
            placed = _place_focused(unit, day, settings, at, pending)
        if placed is None:
            placed = _place(unit, day, min_block, at)
        if placed is None and unit.batch:
            placed = _place_partial_batch(unit, day, min_block, at, unscheduled)
        if placed is None:
            for task in unit.tasks:
                unscheduled.append({"task_id": task["id"], "reason": _no_fit_reason(task, day, unit.batch, min_block)})
            continue
        blocks.extend(placed)
    return _Layout(tasks, blocks, unscheduled, day)


def _is_focus(unit: _Unit, settings: PlannerSettings) -> bool:
    return not unit.batch and unit.work >= settings.focus_min_minutes


def _morning_room(day: Day, pending: list[_Unit], min_block: int) -> int:
    """How many of ``pending`` focus units the morning still holds, placed greedily in order."""
    trial = day.clone()
    count = 0
    for unit in pending:
        length = max(unit.work, min_block)
        start = trial.first_fit(length, until=trial.morning_end)
        if start is not None:
            trial.take(start, length)
            count += 1
    return count


def _place_focused(unit: _Unit, day: Day, settings: PlannerSettings, at: At, pending: list[_Unit]) -> Placed | None:
    """Focus-aware choice of slot; None leaves the unit to plain first fit."""
    min_block = settings.min_block_minutes
    length = max(unit.work, min_block)
    if _is_focus(unit, settings):
        start = day.first_fit(length, until=day.morning_end)
        return None if start is None else _take(unit, day, start, length, at)
    starts = day.slot_starts(length)
    if not pending or not starts:  # nothing to protect, or nowhere to go: plain first fit decides
        return None
    room = _morning_room(day, pending, min_block)
    for start in starts:
        trial = day.clone()
        trial.take(start, length)
        if _morning_room(trial, pending, min_block) == room:
            return _take(unit, day, start, length, at)
    return None


def _take(unit: _Unit, day: Day, start: int, length: int, at: At) -> Placed:
    """Take [start, start + length) for ``unit`` and set its tasks' ``scheduled``."""
    day.take(start, length)
    offset = start
    for task in unit.tasks:
        task["scheduled"] = {"start": at(offset), "end": at(offset + task["estimate_minutes"])}
        offset += task["estimate_minutes"]
    return [(start, _block(unit, at(start), at(start + length)))]


def _place(unit: _Unit, day: Day, min_block: int, at: At) -> Placed | None:
    """Take a slot (or two around lunch) for ``unit`` and set its tasks' ``scheduled``; None if it does not fit."""
    length = max(unit.work, min_block)
    start = day.first_fit(length)
    if start is not None:
        return _take(unit, day, start, length, at)
    split = None if unit.batch else day.split_around_lunch(length, min_block)
    if split is None or day.lunch is None:
        return None
    first_start, first, second = split
    second_start = day.lunch[1]
    day.take(first_start, first)
    day.take(second_start, second)
    task = unit.tasks[0]
    task["scheduled"] = {"start": at(first_start), "end": at(second_start + second)}
    return [
        (first_start, _task_block(task, at(first_start), at(first_start + first), " (part 1/2)")),
        (second_start, _task_block(task, at(second_start), at(second_start + second), " (part 2/2)")),
    ]


def _place_partial_batch(
    unit: _Unit, day: Day, min_block: int, at: At, unscheduled: list[Unscheduled]
) -> Placed | None:
    """Fit the most important part of a batch that does not fit whole; the rest goes to ``unscheduled``."""
    for keep in range(len(unit.tasks) - 1, 0, -1):
        placed = _place(_Unit(unit.tasks[:keep], batch=True), day, min_block, at)
        if placed is not None:
            for task in unit.tasks[keep:]:
                unscheduled.append({"task_id": task["id"], "reason": _no_fit_reason(task, day, True, min_block)})
            return placed
    return None


def _block(unit: _Unit, start: str, end: str) -> Block:
    if not unit.batch:
        return _task_block(unit.tasks[0], start, end, "")
    # A batch has no single task id; the tasks inside carry their own ``scheduled`` times within it.
    titles = "; ".join(t["title"] for t in unit.tasks)
    return {"start": start, "end": end, "kind": "task", "task_id": None, "title": f"Quick replies: {titles}"}


def _task_block(task: Task, start: str, end: str, suffix: str) -> Block:
    return {"start": start, "end": end, "kind": "task", "task_id": task["id"], "title": task["title"] + suffix}


def _no_fit_reason(task: Task, day: Day, batch: bool, min_block: int) -> str:
    needed = task["estimate_minutes"]
    if batch and needed < min_block:
        needed_text = f"{needed} min needed ({min_block} min minimum block)"
        needed = min_block
    else:
        needed_text = f"{needed} min needed"
    return no_fit_reason(needed, needed_text, left=day.left, longest=day.longest, meeting_minutes=day.meeting_minutes)


def _minutes_between(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)) / timedelta(minutes=1))
