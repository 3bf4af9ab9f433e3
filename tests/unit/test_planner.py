"""plan_day: ordering, working hours and lunch, minimum blocks, batching, splitting and overflow."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from agent.planner import plan_day
from agent.state import Plan, Task
from config.settings import PlannerSettings

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 20)
SETTINGS = PlannerSettings()  # 09:00-17:30, lunch 12:30 for 45 min, blocks >= 25 min


def task(tid: str, minutes: int, priority: str = "P2", due: str | None = None) -> Task:
    return Task(
        id=tid,
        title=f"Task {tid}",
        requester="Dana Kim",
        sources=[],
        due=due,
        priority=priority,  # type: ignore[typeddict-item]
        priority_reason="test",
        estimate_minutes=minutes,
        scheduled=None,
    )


def plan(tasks: list[Task], **overrides: Any) -> Plan:
    settings = SETTINGS.model_copy(update=overrides) if overrides else SETTINGS
    return plan_day(tasks, settings=settings, plan_date=DAY, tz=TZ)


def hm(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M")


def spans(p: Plan) -> list[tuple[str, str, str]]:
    return [(hm(b["start"]), hm(b["end"]), b["title"]) for b in p["blocks"]]


def minutes(block: Any) -> int:
    return int((datetime.fromisoformat(block["end"]) - datetime.fromisoformat(block["start"])).total_seconds() // 60)


def test_orders_by_priority_then_due_then_id() -> None:
    p = plan(
        [
            task("c", 30, "P2"),
            task("b", 30, "P1", "2026-11-24"),
            task("a", 30, "P1", "2026-11-21"),
            task("d", 30, "P1"),
            task("e", 30, "P0"),
        ]
    )
    assert [t["id"] for t in p["tasks"]] == ["e", "a", "b", "d", "c"]
    assert [b["task_id"] for b in p["blocks"] if b["kind"] == "task"] == ["e", "a", "b", "d", "c"]


def test_plan_fields_and_offsets() -> None:
    p = plan([task("a", 60)])
    assert p["date"] == "2026-11-20" and p["timezone"] == "Europe/Berlin"
    assert p["workday"] == {"start": "2026-11-20T09:00:00+01:00", "end": "2026-11-20T17:30:00+01:00"}
    assert p["tasks"][0]["scheduled"] == {"start": "2026-11-20T09:00:00+01:00", "end": "2026-11-20T10:00:00+01:00"}
    available = 8 * 60 + 30 - 45
    assert p["planned_minutes"] == 60 and p["free_minutes"] == available - 60


def test_lunch_is_respected_and_blocks_are_in_time_order() -> None:
    p = plan([task(str(i), 60) for i in range(5)])
    assert ("12:30", "13:15", "Lunch") in spans(p)
    starts = [b["start"] for b in p["blocks"]]
    assert starts == sorted(starts)
    for b in p["blocks"]:
        if b["kind"] == "task":
            assert b["end"] <= "2026-11-20T12:30:00+01:00" or b["start"] >= "2026-11-20T13:15:00+01:00"


def test_short_tasks_are_batched_not_padded() -> None:
    p = plan([task("a", 10, "P1"), task("b", 15, "P1"), task("c", 60, "P2")])
    batch = p["blocks"][0]
    assert batch["task_id"] is None and batch["title"] == "Quick replies: Task a; Task b"
    assert minutes(batch) == 25
    a, b = p["tasks"][0]["scheduled"], p["tasks"][1]["scheduled"]
    assert (hm(a["start"]), hm(a["end"]), hm(b["start"]), hm(b["end"])) == ("09:00", "09:10", "09:10", "09:25")


def test_every_block_reaches_the_minimum() -> None:
    p = plan([task("a", 5), task("b", 40), task("c", 25), task("d", 120)], min_block_minutes=30)
    assert all(minutes(b) >= 30 for b in p["blocks"] if b["kind"] == "task")


def test_long_task_is_split_around_lunch_only_when_both_parts_reach_minimum() -> None:
    # 09:00-12:00 taken, 30 min left before lunch and 60 after (b never fits): a 90 min task runs
    # 12:00-12:30 and 13:15-14:15.
    p = plan([task("a", 180, "P0"), task("b", 240, "P1"), task("c", 90, "P2")], workday_end=time(14, 15))
    assert ("12:00", "12:30", "Task c (part 1/2)") in spans(p)
    assert ("13:15", "14:15", "Task c (part 2/2)") in spans(p)
    c = next(t for t in p["tasks"] if t["id"] == "c")
    assert (hm(c["scheduled"]["start"]), hm(c["scheduled"]["end"])) == ("12:00", "14:15")
    assert [u["task_id"] for u in p["unscheduled"]] == ["b"]
    # Only 20 min before lunch: below the minimum, so no split and the task does not fit.
    q = plan([task("a", 190, "P0"), task("b", 240, "P1"), task("c", 90, "P2")], workday_end=time(14, 15))
    assert [u["task_id"] for u in q["unscheduled"]] == ["b", "c"]


def test_overflow_goes_to_unscheduled_with_reason() -> None:
    p = plan([task("a", 200, "P1"), task("b", 240, "P1"), task("c", 45, "P2")])
    assert p["unscheduled"] == [{"task_id": "c", "reason": "does not fit: 45 min needed, 25 min left today"}]
    assert next(t for t in p["tasks"] if t["id"] == "c")["scheduled"] is None


def test_fragmented_day_says_longest_slot() -> None:
    # 10 min free before lunch, 35 at the end of the day: 45 in total, but never 45 in one piece.
    p = plan([task("a", 200, "P1"), task("b", 220, "P1"), task("c", 45, "P2")])
    reason = p["unscheduled"][0]["reason"]
    assert reason == "does not fit: 45 min needed, longest free slot is 35 min (45 min left today)"


def test_batch_overflow_keeps_most_important_quick_tasks() -> None:
    # 10 min left before lunch, 15 at the end: the batch of c and d (30 min) does not fit, c alone does.
    p = plan(
        [task("a", 200, "P0"), task("b", 240, "P0"), task("c", 15, "P1"), task("d", 15, "P2")], min_block_minutes=15
    )
    assert [u["task_id"] for u in p["unscheduled"]] == ["d"]
    assert p["unscheduled"][0]["reason"].startswith("does not fit: 15 min needed")


def test_input_is_not_modified_and_result_is_deterministic() -> None:
    tasks = [task("b", 30, "P1"), task("a", 10), task("c", 90, "P0")]
    first = plan(tasks)
    assert all(t["scheduled"] is None for t in tasks)
    assert plan(list(reversed(tasks))) == first


def test_no_lunch_when_lunch_minutes_is_zero() -> None:
    p = plan([task("a", 60)], lunch_minutes=0)
    assert all(b["kind"] == "task" for b in p["blocks"])
    assert p["free_minutes"] == 8 * 60 + 30 - 60
