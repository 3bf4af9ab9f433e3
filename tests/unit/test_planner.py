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


def test_fragmented_day_says_how_much_is_free_in_workable_blocks() -> None:
    # 10 min free before lunch, 35 at the end of the day: 45 in total, but the 10 min are below the
    # minimum block, so even split there are only 35 usable minutes.
    p = plan([task("a", 200, "P1"), task("b", 220, "P1"), task("c", 45, "P2")])
    reason = p["unscheduled"][0]["reason"]
    assert reason == "does not fit: 45 min needed, only 35 min free in blocks of at least 25 min"


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
    # Plain first fit puts the P0 half hour first; the P1 hour is then split around it rather than left out.
    off = with_meetings([task("a", 30, "P0"), task("deep", 60, "P1"), task("c", 30, "P2")], meetings,
                        buffer_after_meetings_minutes=0, focus_blocks=False)  # fmt: skip
    assert [u["task_id"] for u in off["unscheduled"]] == ["c"]
    assert ("09:30", "10:00", "Task deep (part 1/2)") in spans(off) and (
        "17:00",
        "17:30",
        "Task deep (part 2/2)",
    ) in spans(off)


def test_lunch_moves_when_a_meeting_takes_its_slot() -> None:
    p = with_meetings([], [meeting("lunchtalk", "12:30", "13:15")])
    assert ("11:45", "12:30", "Lunch") in spans(p)
    q = with_meetings([], [meeting("allday", "11:00", "14:30")])
    assert all(b["kind"] != "lunch" for b in q["blocks"])  # no free time near lunch: none is invented


def test_unscheduled_reason_names_the_meetings() -> None:
    # Free: 09:00-09:30, 09:50-11:00, 11:35-12:30, 13:15-14:00, 16:05-16:30 (225 min, the longest 70).
    busy_day = [*DEFAULT_DAY, meeting("x", "15:05", "16:00"), meeting("y", "16:30", "17:30")]
    p = with_meetings([task("big", 240, "P1")], busy_day)
    assert p["unscheduled"] == [
        {
            "task_id": "big",
            "reason": "does not fit: 240 min needed, only 225 min left today (meetings take 3 h 40 min today)",
        }
    ]
    # An hour at 09:50 leaves 10 min before the 1:1, below the minimum block: 165 min free, 155 usable.
    q = with_meetings([task("q", 60, "P0"), task("big", 160, "P1")], busy_day)
    assert q["unscheduled"] == [
        {
            "task_id": "big",
            "reason": "does not fit: 160 min needed, only 155 min free in blocks of at least 25 min "
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


# --- splitting over free slots, priority order and a full day --------------------------------------

BUSY_DAY = [*DEFAULT_DAY, meeting("x", "15:05", "16:00"), meeting("y", "16:30", "17:30")]
# Free on BUSY_DAY: 09:00-09:30 (30), 09:50-11:00 (70), 11:35-12:30 (55), 13:15-14:00 (45), 16:05-16:30 (25).


def parts_of(p: Plan, tid: str) -> list[tuple[str, str, str]]:
    return [span for span, b in zip(spans(p), p["blocks"], strict=True) if b["task_id"] == tid]


def test_task_longer_than_any_slot_is_split_across_meetings() -> None:
    p = with_meetings([task("big", 120, "P1")], BUSY_DAY)
    # Two parts are enough (70 + 55 >= 120): the earliest such slots, the first one filled.
    assert parts_of(p, "big") == [
        ("09:50", "11:00", "Task big (part 1/2)"),
        ("11:35", "12:25", "Task big (part 2/2)"),
    ]
    big = p["tasks"][0]["scheduled"]
    assert (hm(big["start"]), hm(big["end"])) == ("09:50", "12:25") and p["unscheduled"] == []
    assert p["planned_minutes"] == 120
    # Every free slot of the day, in time order: four meetings apart, all parts at least the minimum.
    q = with_meetings([task("huge", 200, "P1")], BUSY_DAY)
    assert parts_of(q, "huge") == [
        ("09:00", "09:30", "Task huge (part 1/4)"),
        ("09:50", "11:00", "Task huge (part 2/4)"),
        ("11:35", "12:30", "Task huge (part 3/4)"),
        ("13:15", "14:00", "Task huge (part 4/4)"),
    ]


def test_split_keeps_every_part_at_the_minimum() -> None:
    # Free: 09:00-09:40 (40) and 10:00-10:50 (50), min block 30. 75 min: 40 + 35. 65 min: taking all 40 min
    # first would leave 25 for the second part, so the first part stops at 35 and the second gets 30.
    meetings = [meeting("m1", "09:40", "10:00"), meeting("m2", "10:50", "17:30")]
    for minutes, first, second in (
        (75, ("09:00", "09:40"), ("10:00", "10:35")),
        (65, ("09:00", "09:35"), ("10:00", "10:30")),
    ):
        p = with_meetings([task("t", minutes, "P1")], meetings, min_block_minutes=30, lunch_minutes=0,
                          buffer_after_meetings_minutes=0)  # fmt: skip
        assert parts_of(p, "t") == [(*first, "Task t (part 1/2)"), (*second, "Task t (part 2/2)")], minutes
    # 50 min over two 30 min slots: no part may be below 30 min, so the last one is padded to the minimum
    # (like any block of a short task) rather than the task being left out.
    meetings = [meeting("m1", "09:30", "10:00"), meeting("m2", "10:30", "17:30")]
    p = with_meetings([task("t", 50, "P1")], meetings, min_block_minutes=30, lunch_minutes=0,
                      buffer_after_meetings_minutes=0)  # fmt: skip
    assert parts_of(p, "t") == [("09:00", "09:30", "Task t (part 1/2)"), ("10:00", "10:30", "Task t (part 2/2)")]


def test_gap_below_the_minimum_block_is_not_used_for_a_part() -> None:
    # 20 min before lunch is below the minimum: the task cannot use it, and 60 min after lunch are too few.
    p = plan([task("a", 190, "P0"), task("b", 240, "P1"), task("c", 90, "P2")], workday_end=time(14, 15))
    assert [u["task_id"] for u in p["unscheduled"]] == ["b", "c"]
    assert p["unscheduled"][1]["reason"] == "does not fit: 90 min needed, 80 min left today"


def test_more_important_task_is_split_before_less_important_ones_get_time() -> None:
    # The default day's problem: a P1 90 min task, no single free slot of 90 min, and P3 quick replies.
    meetings = [*DEFAULT_DAY, meeting("sync", "16:05", "16:30")]
    tasks = [
        task("r1", 15, "P3"),
        task("p2", 60, "P2"),
        task("summary", 90, "P1"),
        task("r2", 15, "P3"),
        task("p0", 180, "P0"),
    ]
    p = with_meetings(tasks, meetings)
    assert parts_of(p, "p0") == [
        ("09:50", "11:00", "Task p0 (part 1/3)"),
        ("11:35", "12:30", "Task p0 (part 2/3)"),
        ("15:05", "16:00", "Task p0 (part 3/3)"),
    ]
    assert parts_of(p, "summary") == [
        ("13:15", "14:00", "Task summary (part 1/2)"),
        ("16:35", "17:20", "Task summary (part 2/2)"),
    ]
    # The P2 hour gets what is left before the P3 replies do; only 30 min are usable, so it does not fit,
    # and the replies take those 30 min rather than leave them empty.
    assert p["unscheduled"] == [
        {
            "task_id": "p2",
            "reason": "does not fit: 60 min needed, only 45 min left today (meetings take 2 h 10 min today)",
        }
    ]
    assert ("09:00", "09:30", "Quick replies: Task r1; Task r2") in spans(p)
    assert p == with_meetings(tasks, meetings, focus_blocks=False)  # no morning slot holds a focus task whole


def test_priority_order_decides_who_gets_the_last_free_time() -> None:
    # 100 min free in blocks of at least 25 min (09:00-09:30, 09:50-11:00), everything else taken.
    meetings = [meeting("standup", "09:30", "09:45"), meeting("m", "11:00", "17:30")]
    tasks = [task("low", 60, "P3"), task("high", 90, "P1"), task("mid", 25, "P2")]
    p = with_meetings(tasks, meetings, lunch_minutes=0)
    assert parts_of(p, "high") == [
        ("09:00", "09:30", "Task high (part 1/2)"),
        ("09:50", "10:50", "Task high (part 2/2)"),
    ]
    assert [u["task_id"] for u in p["unscheduled"]] == ["mid", "low"]
    assert (
        p["unscheduled"][0]["reason"]
        == "does not fit: 25 min needed, only 10 min left today (meetings take 6 h 45 min today)"
    )
    assert (
        p["unscheduled"][1]["reason"]
        == "does not fit: 60 min needed, only 10 min left today (meetings take 6 h 45 min today)"
    )


def test_reason_when_only_small_gaps_are_left() -> None:
    # 40 min before lunch, 24 min at the end of the day: 64 min left, 40 of them in a workable block.
    p = plan([task("a", 170, "P0"), task("b", 231, "P0"), task("c", 60, "P1")])
    assert p["unscheduled"] == [
        {"task_id": "c", "reason": "does not fit: 60 min needed, only 40 min free in blocks of at least 25 min"}
    ]


def test_quick_replies_hold_one_priority_each() -> None:
    p = plan([task("a", 10, "P1"), task("b", 10, "P3"), task("c", 60, "P2")])
    assert spans(p)[:3] == [
        ("09:00", "09:25", "Quick replies: Task a"),
        ("09:25", "10:25", "Task c"),
        ("10:25", "10:50", "Quick replies: Task b"),
    ]


def test_batch_too_long_for_any_slot_is_cut_between_its_tasks() -> None:
    # Free: 09:00-09:30 and 10:00-10:30 only; four 15 min replies (60 min) go two and two, none is dropped.
    meetings = [meeting("m1", "09:30", "10:00"), meeting("m2", "10:30", "17:30")]
    tasks = [task(t, 15, "P1") for t in "abcd"]
    p = with_meetings(tasks, meetings, lunch_minutes=0, buffer_after_meetings_minutes=0)
    assert [s for s in spans(p) if s[2].startswith("Quick")] == [
        ("09:00", "09:30", "Quick replies: Task a; Task b"),
        ("10:00", "10:30", "Quick replies: Task c; Task d"),
    ]
    assert p["unscheduled"] == []


def test_full_day_lists_every_remaining_task_without_rescanning(monkeypatch: Any) -> None:
    # 09:00-12:20 and 13:15-17:15 are taken: 10 + 15 min are left, no block of 25 min. Nothing else fits.
    filler = [task("a", 200, "P0"), task("b", 240, "P0")]
    rest = [task(f"r{i:04}", (30, 10, 25, 500)[i % 4], ("P1", "P2", "P3")[i % 3]) for i in range(1200)]
    from agent.planning import day as day_module

    calls = {"first_fit": 0, "slot_starts": 0, "split": 0}
    for name in calls:
        original = getattr(day_module.Day, name)

        def counted(self: Any, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(day_module.Day, name, counted)
    plan(filler + rest[:8])
    few = dict(calls)
    calls.update(dict.fromkeys(calls, 0))
    p = plan(filler + rest)
    assert calls == few  # the slots are looked at for the fillers only, however many tasks follow
    assert [t["id"] for t in p["tasks"] if t["scheduled"]] == ["a", "b"]
    assert len(p["unscheduled"]) == 1200
    by_id = {t["id"]: t for t in rest}
    reasons: dict[int, set[str]] = {}
    for u in p["unscheduled"]:
        reasons.setdefault(by_id[u["task_id"]]["estimate_minutes"], set()).add(u["reason"])
    gaps = "no free block of at least 25 min is left (25 min left in shorter gaps)"
    assert reasons == {
        30: {"does not fit: 30 min needed, 25 min left today"},
        10: {f"does not fit: 10 min needed (25 min minimum block), {gaps}"},
        25: {f"does not fit: 25 min needed, {gaps}"},
        500: {"does not fit: 500 min needed, 25 min left today"},
    }


def test_splitting_is_deterministic() -> None:
    tasks = [task("a", 120, "P1"), task("b", 45, "P2"), task("c", 10, "P3"), task("d", 200, "P0"), task("e", 15, "P3")]
    p = with_meetings(tasks, BUSY_DAY)
    assert any("(part 1/" in b["title"] for b in p["blocks"])
    assert p == with_meetings(list(reversed(tasks)), list(reversed(BUSY_DAY)))
    assert all(minutes(b) >= 25 for b in p["blocks"] if b["kind"] == "task")
