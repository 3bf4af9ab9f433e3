"""Markdown and JSON output: coverage header, schedule in time order, what does not fit, JSON shape."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

from agent.planner import plan_day
from agent.render import plan_to_json, render_markdown
from agent.state import Coverage, Meeting, Plan, Task
from config.settings import PlannerSettings


def task(tid: str, title: str, minutes: int, priority: str = "P1", due: str | None = None) -> Task:
    return Task(  # type: ignore[typeddict-item]
        id=tid,
        title=title,
        requester="Dana Kim",
        due=due,
        priority=priority,
        priority_reason="due today",
        estimate_minutes=minutes,
        scheduled=None,
        sources=[
            {"source": "email", "source_id": f"m-{tid}", "link": f"https://mail.example/{tid}"},
            {"source": "slack", "source_id": f"C1:{tid}", "link": f"https://slack.example/{tid}"},
        ],
    )


def coverage(**overrides: object) -> Coverage:
    base: Coverage = {
        "scenario": "default",
        "window": {"start": "2026-11-19T07:00:00+00:00", "end": "2026-11-20T07:00:00+00:00"},
        "sources": {
            "email": {"status": "collected", "fetched": 32, "messages": 30, "skipped": {"outside window": 2}},
            "slack": {"status": "disabled", "fetched": 0, "messages": 0, "skipped": {}},
        },
        "durability": "PostgreSQL checkpoints (sync)",
        "attempts": 2,
        "resumed_steps": ["collect_slack failed in attempt 1, completed in attempt 2"],
        "retried_steps": [],
        "notes": [],
    }
    base.update(overrides)  # type: ignore[typeddict-item]
    return base


def make_plan() -> Plan:
    tasks = [
        task("aaaaaaaaaaaa", "Review the Q4 roadmap doc", 45, "P1", "2026-11-20"),
        task("bbbbbbbbbbbb", "Reply to Sam", 10, "P0"),
        task("cccccccccccc", "Write the | quarterly report", 480, "P3"),
    ]
    return plan_day(tasks, settings=PlannerSettings(), plan_date=date(2026, 11, 20), tz=ZoneInfo("Europe/Berlin"))


def test_markdown_has_title_and_coverage_lines() -> None:
    md = render_markdown(make_plan(), coverage(), thread_id="plan-2026-11-20", scenario="default")
    assert md.startswith("# Plan for Friday, 20 November 2026\n")
    assert "- **Sources:** email 30 messages (32 fetched); Slack disabled" in md
    assert "- **Skipped:** email: 2 outside window" in md
    assert "- **Window:** 2026-11-19 08:00 → 2026-11-20 08:00 (Europe/Berlin)" in md
    assert "- **Scenario:** default" in md
    assert "- **Durability:** PostgreSQL checkpoints (sync)" in md
    assert "- **Thread:** `plan-2026-11-20`" in md
    assert "- **Attempts:** 2" in md
    assert "- **Resumed:** collect_slack failed in attempt 1, completed in attempt 2" in md
    assert "Retried" not in md and "Notes" not in md  # empty lines are left out


def test_markdown_schedule_is_in_time_order_with_details() -> None:
    md = render_markdown(make_plan(), coverage(), thread_id=None, scenario="default")
    schedule = md.split("## Schedule")[1].split("## ")[0]
    times = [line[2:7] for line in schedule.splitlines() if line.startswith("- ")]
    assert times == sorted(times) and "12:30" in times
    assert "- 09:00–09:25 **Quick replies**" in schedule
    assert "  - **Reply to Sam** · P0 · Dana Kim · [email](https://mail.example/bbbbbbbbbbbb)" in schedule
    assert (
        "- 09:25–10:10 **Review the Q4 roadmap doc** · P1 · due Fri 20 Nov · Dana Kim · "
        "[email](https://mail.example/aaaaaaaaaaaa) [Slack](https://slack.example/aaaaaaaaaaaa)"
    ) in schedule
    assert "- 12:30–13:15 Lunch" in schedule
    assert "Thread" not in md


def test_markdown_lists_what_does_not_fit_and_all_tasks() -> None:
    md = render_markdown(make_plan(), coverage(), thread_id=None, scenario="default")
    assert "## Does not fit today" in md
    assert "- **Write the | quarterly report** (P3, 480 min): does not fit: 480 min needed" in md
    table = md.split("## All tasks")[1]
    assert "| `aaaaaaa` | Review the Q4 roadmap doc | P1: due today | 45 min | Fri 20 Nov | Dana Kim |" in table
    assert "Write the \\| quarterly report" in table  # pipes escaped inside the table


def test_plan_to_json_shape_and_serializable() -> None:
    plan = make_plan()
    data = plan_to_json(plan, coverage(), thread_id="t-1", scenario="default")
    assert {
        "date",
        "thread_id",
        "scenario",
        "coverage",
        "timezone",
        "workday",
        "blocks",
        "unscheduled",
        "tasks",
    } <= set(data)
    assert data["date"] == "2026-11-20" and data["thread_id"] == "t-1" and data["timezone"] == "Europe/Berlin"
    first = data["tasks"][0]
    assert set(first) == {
        "id",
        "title",
        "sources",
        "requester",
        "due",
        "priority",
        "priority_reason",
        "estimate_minutes",
        "scheduled",
    }
    assert first["sources"][0] == {
        "source": "email",
        "source_id": "m-bbbbbbbbbbbb",
        "link": "https://mail.example/bbbbbbbbbbbb",
    }
    assert set(first["scheduled"]) == {"start", "end"}
    assert next(t for t in data["tasks"] if t["id"] == "cccccccccccc")["scheduled"] is None
    assert json.loads(json.dumps(data)) == data
    data["tasks"][0]["sources"].clear()  # a copy: the plan itself is untouched
    assert plan["tasks"][0]["sources"]


def test_render_is_deterministic() -> None:
    plan, cov = make_plan(), coverage()
    assert render_markdown(plan, cov, thread_id="t", scenario="s") == render_markdown(
        make_plan(), coverage(), thread_id="t", scenario="s"
    )


def test_empty_plan_renders() -> None:
    empty = plan_day([], settings=PlannerSettings(), plan_date=date(2026, 11, 20), tz=ZoneInfo("Europe/Berlin"))
    md = render_markdown(empty, coverage(resumed_steps=[], attempts=1), thread_id=None, scenario="empty_day")
    assert "No tasks found" in md and "- **Scenario:** empty_day" in md and "Does not fit" not in md


# --- meetings, effort, carried tasks, closed, digest, calendar and extraction coverage ----------


def meeting_plan() -> Plan:
    meetings: list[Meeting] = [
        {
            "id": "offsite",
            "title": "Company offsite planning",
            "start": "2026-11-20T00:00:00+01:00",
            "end": "2026-11-21T00:00:00+01:00",
            "all_day": True,
            "link": "https://cal.example/offsite",
        },
        {
            "id": "standup",
            "title": "Platform standup",
            "start": "2026-11-20T09:30:00+01:00",
            "end": "2026-11-20T09:45:00+01:00",
            "all_day": False,
            "link": "https://cal.example/standup",
        },
    ]
    carried = task("dddddddddddd", "Fix the flaky deploy", 60, "P1")
    carried["carried_from"], carried["age_days"], carried["confidence"] = "2026-11-18", 2, 0.8
    tasks = [carried, task("eeeeeeeeeeee", "Write the migration plan", 480, "P2")]
    plan = plan_day(
        tasks, settings=PlannerSettings(), plan_date=date(2026, 11, 20), tz=ZoneInfo("Europe/Berlin"), meetings=meetings
    )
    plan["closed"] = [{"task_id": "x1", "title": "Send the slides", "reason": "you replied in the email thread"}]
    plan["digest"] = [
        {"kind": "incident", "text": f"Incident {n} resolved", "link": f"https://x.example/{n}", "source_id": str(n)}
        for n in range(12)
    ]
    return plan


def calendar_coverage() -> Coverage:
    return coverage(
        calendar={
            "status": "collected",
            "fetched": 5,
            "messages": 2,
            "skipped": {"cancelled": 1, "declined by you": 2},
        },
        extraction={
            "method": "llm",
            "model": "gpt-4o-mini",
            "calls": 3,
            "input_tokens": 12345,
            "output_tokens": 2345,
            "cache_hits": 4,
            "fallback_messages": 2,
        },
    )


def test_markdown_timeline_marks_meetings_in_time_order() -> None:
    md = render_markdown(meeting_plan(), calendar_coverage(), thread_id=None, scenario="default")
    schedule = md.split("## Schedule")[1].split("\n## ")[0]
    assert "- All day: 📅 **Company offsite planning**" in schedule
    assert "- 09:30–09:45 📅 **Platform standup** (meeting) · [calendar](https://cal.example/standup)" in schedule
    timed = [line[2:7] for line in schedule.splitlines() if line.startswith("- ") and line[2:3].isdigit()]
    assert timed == sorted(timed) and "09:30" in timed
    assert "**Fix the flaky deploy** · P1 · carried, 2 days · Dana Kim" in schedule


def test_markdown_effort_line() -> None:
    plan = meeting_plan()
    free = plan["planned_minutes"] + plan["free_minutes"]
    assert plan["effort_minutes"] == 540 and free == 510 - 45 - 15 - 5
    md = render_markdown(plan, calendar_coverage(), thread_id=None, scenario="default")
    assert "Effort 9 h vs 7 h 25 min free: 1 h 35 min does not fit." in md
    light = plan_day([task("a", "A", 30)], settings=PlannerSettings(), plan_date=date(2026, 11, 20),
                     tz=ZoneInfo("Europe/Berlin"))  # fmt: skip
    assert "Effort 30 min vs 7 h 45 min free." in render_markdown(light, coverage(), thread_id=None, scenario="s")


def test_markdown_closed_and_worth_knowing_sections() -> None:
    md = render_markdown(meeting_plan(), calendar_coverage(), thread_id=None, scenario="default")
    closed = md.split("## Closed automatically")[1].split("\n## ")[0]
    assert "- **Send the slides**: you replied in the email thread" in closed
    digest = md.split("## Worth knowing")[1].split("\n## ")[0]
    assert "- Incident 0 resolved · [link](https://x.example/0)" in digest
    assert digest.count("\n- ") == 10 and "Incident 10" not in digest  # at most 10
    assert "Closed automatically" not in render_markdown(make_plan(), coverage(), thread_id=None, scenario="s")


def test_coverage_shows_calendar_and_extraction() -> None:
    md = render_markdown(meeting_plan(), calendar_coverage(), thread_id=None, scenario="default")
    assert "- **Calendar:** 2 meetings (5 events fetched); skipped 1 cancelled, 2 declined by you" in md
    assert (
        "- **Extraction:** LLM (gpt-4o-mini): 3 calls, 12,345 input / 2,345 output tokens; "
        "4 messages from the cache; 2 messages fell back to the rules after the model failed"
    ) in md
    rules = coverage(
        calendar={"status": "disabled", "fetched": 0, "messages": 0, "skipped": {}},
        extraction={"method": "rules", "model": None, "calls": 0, "input_tokens": 0, "output_tokens": 0,
                    "cache_hits": 0, "fallback_messages": 0},
    )  # fmt: skip
    md = render_markdown(make_plan(), rules, thread_id=None, scenario="s")
    assert "- **Calendar:** disabled" in md and "- **Extraction:** rule-based" in md


def test_plan_to_json_includes_the_new_fields() -> None:
    plan = meeting_plan()
    data = plan_to_json(plan, calendar_coverage(), thread_id="t", scenario="default")
    assert data["meetings"] == plan["meetings"] and data["effort_minutes"] == 540
    assert data["closed"] == plan["closed"] and len(data["digest"]) == 12
    carried = next(t for t in data["tasks"] if t["id"] == "dddddddddddd")
    assert (carried["carried_from"], carried["age_days"], carried["confidence"]) == ("2026-11-18", 2, 0.8)
    assert "age_days" not in next(t for t in data["tasks"] if t["id"] == "eeeeeeeeeeee")
    assert any(b["kind"] == "meeting" for b in data["blocks"])
    assert data["coverage"]["calendar"]["messages"] == 2
    assert json.loads(json.dumps(data)) == data
    data["meetings"].clear()
    assert plan["meetings"]
