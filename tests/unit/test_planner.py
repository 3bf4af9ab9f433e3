"""plan_day: ordering, working hours and lunch, minimum blocks, batching, splitting and overflow."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from agent.planner import plan_day
from agent.state import Meeting, Plan, Task
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


# --- meetings, buffers and focus blocks ----------------------------------------------------


def meeting(mid: str, start: str, end: str, *, all_day: bool = False) -> Meeting:
    return Meeting(
        id=mid,
        title=f"Meeting {mid}",
        start=f"2026-11-20T{start}:00+01:00",
        end=f"2026-11-20T{end}:00+01:00",
        all_day=all_day,
        link=f"https://calendar.example/{mid}",
    )


DEFAULT_DAY = [
    meeting("standup", "09:30", "09:45"),
    meeting("1on1", "11:00", "11:30"),
    meeting("review", "14:00", "15:00"),
]


def with_meetings(tasks: list[Task], meetings: list[Meeting], **overrides: Any) -> Plan:
    settings = SETTINGS.model_copy(update=overrides) if overrides else SETTINGS
    return plan_day(tasks, settings=settings, plan_date=DAY, tz=TZ, meetings=meetings)


def test_tasks_never_overlap_meetings_or_their_buffer() -> None:
    p = with_meetings([task(str(i), m) for i, m in enumerate([30, 45, 60, 25, 90, 40, 15, 20])], DEFAULT_DAY)
    busy = [(b["start"], b["end"]) for b in p["blocks"] if b["kind"] in ("meeting", "lunch")]
    for b in p["blocks"]:
        if b["kind"] != "task":
            continue
        for start, end in busy:
            assert b["end"] <= start or b["start"] >= end, (b, start, end)
    for m in DEFAULT_DAY:  # nothing starts within the 5 min buffer after a meeting
        after = datetime.fromisoformat(m["end"])
        assert not any(
            b["kind"] == "task" and after <= datetime.fromisoformat(b["start"]) < after.replace(minute=after.minute + 5)
            for b in p["blocks"]
        )
    assert [b["title"] for b in p["blocks"] if b["kind"] == "meeting"] == [
        "Meeting standup",
        "Meeting 1on1",
        "Meeting review",
    ]
    starts = [datetime.fromisoformat(b["start"]) for b in p["blocks"]]
    assert starts == sorted(starts)


def test_free_time_counts_meetings_buffers_and_lunch() -> None:
    p = with_meetings([], DEFAULT_DAY)
    # 510 workday - 45 lunch - (15 + 30 + 60) meetings - 3 x 5 buffer
    assert p["free_minutes"] == 510 - 45 - 105 - 15 and p["planned_minutes"] == 0
    assert p["meetings"] == DEFAULT_DAY and p["effort_minutes"] == 0
    q = with_meetings([], DEFAULT_DAY, buffer_after_meetings_minutes=0)
    assert q["free_minutes"] == 510 - 45 - 105


def test_buffer_pushes_the_next_task() -> None:
    p = with_meetings([task("a", 60, "P0")], [meeting("m", "09:00", "10:00")], buffer_after_meetings_minutes=10)
    assert spans(p)[:2] == [("09:00", "10:00", "Meeting m"), ("10:10", "11:10", "Task a")]


def test_all_day_events_are_listed_but_block_nothing() -> None:
    offsite = meeting("offsite", "00:00", "00:00", all_day=True)
    offsite["end"] = "2026-11-21T00:00:00+01:00"
    p = with_meetings([task("a", 60)], [offsite])
    assert p["meetings"] == [offsite] and all(b["kind"] != "meeting" for b in p["blocks"])
    assert spans(p)[0] == ("09:00", "10:00", "Task a") and p["free_minutes"] == plan([task("a", 60)])["free_minutes"]


def test_focus_task_gets_the_morning_slot_short_work_goes_around_it() -> None:
    # Morning slots: 09:25-10:30 (65 min) and 11:35-12:30 (55). Only the first holds the P2 hour of deep
    # work; the P0 quick task is placed first (priority order) but leaves that slot alone.
    meetings = [meeting("early", "09:00", "09:20"), meeting("late", "10:30", "11:30")]
    tasks = [task("quick", 20, "P0"), task("deep", 60, "P2")]
    p = with_meetings(tasks, meetings)
    assert ("09:25", "10:25", "Task deep") in spans(p)
    assert ("11:35", "12:00", "Quick replies: Task quick") in spans(p)
    # Without focus blocks, first fit: the quick task breaks the slot and deep work moves after lunch.
    off = with_meetings(tasks, meetings, focus_blocks=False)
    assert ("09:25", "09:50", "Quick replies: Task quick") in spans(off)
    assert ("13:15", "14:15", "Task deep") in spans(off)


def test_focus_task_too_long_for_the_morning_goes_to_the_afternoon() -> None:
    p = with_meetings([task("deep", 120, "P1")], DEFAULT_DAY)
    assert ("15:05", "17:05", "Task deep") in spans(p)


def test_focus_preference_never_costs_a_more_important_task_its_place() -> None:
    # Free time: 09:00-10:00 and 17:00-17:30 only. Keeping the morning for the P3 hour would leave one
    # of the P0 half hours without a place, so the plain layout wins and the deep work does not fit.
    meetings = [meeting("m1", "10:00", "12:30"), meeting("m2", "13:15", "17:00")]
    p = with_meetings([task("a", 30, "P0"), task("b", 30, "P0"), task("deep", 60, "P3")], meetings,
                      buffer_after_meetings_minutes=0)  # fmt: skip
    assert [u["task_id"] for u in p["unscheduled"]] == ["deep"]
    # A P1 hour against a P2 half hour: the focus layout schedules the more important task, so it wins.
    q = with_meetings([task("a", 30, "P0"), task("deep", 60, "P1"), task("c", 30, "P2")], meetings,
                      buffer_after_meetings_minutes=0)  # fmt: skip
    assert ("09:00", "10:00", "Task deep") in spans(q) and [u["task_id"] for u in q["unscheduled"]] == ["c"]
    off = with_meetings([task("a", 30, "P0"), task("deep", 60, "P1"), task("c", 30, "P2")], meetings,
                        buffer_after_meetings_minutes=0, focus_blocks=False)  # fmt: skip
    assert [u["task_id"] for u in off["unscheduled"]] == ["deep"]


def test_lunch_moves_when_a_meeting_takes_its_slot() -> None:
    p = with_meetings([], [meeting("lunchtalk", "12:30", "13:15")])
    assert ("11:45", "12:30", "Lunch") in spans(p)
    q = with_meetings([], [meeting("allday", "11:00", "14:30")])
    assert all(b["kind"] != "lunch" for b in q["blocks"])  # no free time near lunch: none is invented


def test_unscheduled_reason_names_the_meetings() -> None:
    busy_day = [*DEFAULT_DAY, meeting("x", "15:05", "16:00"), meeting("y", "16:30", "17:30")]
    p = with_meetings([task("big", 120, "P1")], busy_day)
    assert p["unscheduled"] == [
        {
            "task_id": "big",
            "reason": "does not fit: 120 min needed, the longest free slot left is 70 min "
            "(meetings take 3 h 40 min today)",
        }
    ]
    full = with_meetings([task("huge", 400, "P1")], DEFAULT_DAY)
    assert full["unscheduled"][0]["reason"] == (
        "does not fit: 400 min needed, only 345 min left today (meetings take 1 h 45 min today)"
    )


def test_effort_and_determinism_with_meetings() -> None:
    tasks = [task("a", 30), task("b", 90, "P1"), task("c", 10, "P0")]
    p = with_meetings(tasks, list(reversed(DEFAULT_DAY)))
    assert p["effort_minutes"] == 130
    assert p == with_meetings(list(reversed(tasks)), DEFAULT_DAY)
