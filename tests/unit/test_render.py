"""Markdown and JSON output: coverage header, schedule in time order, what does not fit, JSON shape."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

from agent.planner import plan_day
from agent.render import plan_to_json, render_markdown
from agent.state import Coverage, Plan, Task
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
