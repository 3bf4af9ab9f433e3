"""Plan the day: order tasks, then lay them out in time blocks between workday start, lunch and end.

A pure function of its arguments (no clock, no I/O), so the same tasks and settings always give
the same plan. Rules:
- order: priority, then due date (none last), then id;
- every task block is at least ``min_block_minutes`` long;
- tasks shorter than the minimum are batched into "Quick replies" blocks instead of each being padded;
- each block goes into the earliest free slot that holds it (first fit, in priority order);
- a task too long for any single slot may be split around lunch when both parts reach the minimum;
- what does not fit goes to ``unscheduled`` with the minutes needed and the minutes left.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.state import Block, Plan, Task, Unscheduled
from config.settings import PlannerSettings

_PRIORITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}
BATCH_TARGET_MINUTES = 60  # a quick-replies block grows up to this (or the minimum block, if larger)


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


class _Day:
    """Free minutes of the day as sorted [start, end) intervals, in minutes after midnight."""

    def __init__(self, settings: PlannerSettings) -> None:
        start, end = _minutes(settings.workday_start), _minutes(settings.workday_end)
        self.lunch: tuple[int, int] | None = None
        lunch_start = _minutes(settings.lunch_start)
        lunch_end = min(lunch_start + settings.lunch_minutes, end)
        if settings.lunch_minutes > 0 and start <= lunch_start < end:
            self.lunch = (lunch_start, lunch_end)
            self.free = [(s, e) for s, e in ((start, lunch_start), (lunch_end, end)) if e > s]
        else:
            self.free = [(start, end)]
        self.available = sum(e - s for s, e in self.free)

    @property
    def left(self) -> int:
        return sum(e - s for s, e in self.free)

    @property
    def longest(self) -> int:
        return max((e - s for s, e in self.free), default=0)

    def take(self, start: int, length: int) -> None:
        for i, (s, e) in enumerate(self.free):
            if s <= start and start + length <= e:
                pieces = [(s, start), (start + length, e)]
                self.free[i : i + 1] = [(a, b) for a, b in pieces if b > a]
                return
        raise ValueError("slot is not free")  # pragma: no cover - callers only take slots they found

    def first_fit(self, length: int) -> int | None:
        for s, e in self.free:
            if e - s >= length:
                return s
        return None

    def split_around_lunch(self, length: int, min_block: int) -> tuple[int, int, int] | None:
        """(start, minutes before lunch, minutes after) when the free time touching lunch on both sides holds it."""
        if self.lunch is None:
            return None
        before = next(((s, e) for s, e in self.free if e == self.lunch[0]), None)
        after = next(((s, e) for s, e in self.free if s == self.lunch[1]), None)
        if before is None or after is None:
            return None
        first = min(before[1] - before[0], length - min_block)
        second = length - first
        if first < min_block or second < min_block or second > after[1] - after[0]:
            return None
        return before[1] - first, first, second


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def plan_day(tasks: list[Task], *, settings: PlannerSettings, plan_date: date, tz: ZoneInfo) -> Plan:
    """Lay ``tasks`` out over ``plan_date`` in ``tz``; tasks are copied, never modified."""
    ordered = [copy.deepcopy(t) for t in sorted(tasks, key=task_order)]
    for task in ordered:
        task["scheduled"] = None
    min_block = settings.min_block_minutes
    day = _Day(settings)

    def at(minute: int) -> str:
        # Wall-clock time on the planned day; zoneinfo gives the right offset even on DST change days.
        return datetime.combine(plan_date, time(minute // 60, minute % 60), tzinfo=tz).isoformat()

    blocks: list[tuple[int, Block]] = []
    unscheduled: list[Unscheduled] = []
    for unit in _units(ordered, min_block):
        placed = _place(unit, day, min_block, at)
        if placed is None and unit.batch:
            placed = _place_partial_batch(unit, day, min_block, at, unscheduled)
        if placed is None:
            for task in unit.tasks:
                reason = _no_fit_reason(task, day, unit.batch, min_block)
                unscheduled.append({"task_id": task["id"], "reason": reason})
            continue
        blocks.extend(placed)

    if day.lunch is not None:
        lunch: Block = {
            "start": at(day.lunch[0]),
            "end": at(day.lunch[1]),
            "kind": "lunch",
            "task_id": None,
            "title": "Lunch",
        }
        blocks.append((day.lunch[0], lunch))
    blocks.sort(key=lambda pair: (pair[0], pair[1]["kind"] != "lunch", pair[1]["title"]))
    planned = sum(_minutes_between(b["start"], b["end"]) for _, b in blocks if b["kind"] == "task")
    workday_start, workday_end = _minutes(settings.workday_start), _minutes(settings.workday_end)
    return {
        "date": plan_date.isoformat(),
        "timezone": tz.key,
        "workday": {"start": at(workday_start), "end": at(workday_end)},
        "tasks": ordered,
        "blocks": [b for _, b in blocks],
        "unscheduled": unscheduled,
        "free_minutes": day.available - planned,
        "planned_minutes": planned,
    }


def _place(unit: _Unit, day: _Day, min_block: int, at: Callable[[int], str]) -> list[tuple[int, Block]] | None:
    """Take a slot (or two around lunch) for ``unit`` and set its tasks' ``scheduled``; None if it does not fit."""
    length = max(unit.work, min_block)
    start = day.first_fit(length)
    if start is not None:
        day.take(start, length)
        offset = start
        for task in unit.tasks:
            task["scheduled"] = {"start": at(offset), "end": at(offset + task["estimate_minutes"])}
            offset += task["estimate_minutes"]
        return [(start, _block(unit, at(start), at(start + length)))]
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
    unit: _Unit, day: _Day, min_block: int, at: Callable[[int], str], unscheduled: list[Unscheduled]
) -> list[tuple[int, Block]] | None:
    """Fit the most important part of a batch that does not fit whole; the rest goes to ``unscheduled``."""
    for keep in range(len(unit.tasks) - 1, 0, -1):
        placed = _place(_Unit(unit.tasks[:keep], batch=True), day, min_block, at)
        if placed is not None:
            for task in unit.tasks[keep:]:
                reason = _no_fit_reason(task, day, True, min_block)
                unscheduled.append({"task_id": task["id"], "reason": reason})
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


def _no_fit_reason(task: Task, day: _Day, batch: bool, min_block: int) -> str:
    needed = task["estimate_minutes"]
    if batch and needed < min_block:
        needed_text = f"{needed} min needed ({min_block} min minimum block)"
        needed = min_block
    else:
        needed_text = f"{needed} min needed"
    if day.left >= needed:
        return f"does not fit: {needed_text}, longest free slot is {day.longest} min ({day.left} min left today)"
    return f"does not fit: {needed_text}, {day.left} min left today"


def _minutes_between(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)) / timedelta(minutes=1))
