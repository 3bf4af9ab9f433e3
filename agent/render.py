"""Write a plan for people (Markdown) and for programs (a JSON-ready dict).

Both are pure functions of the plan and its coverage, so the same run always writes the same
bytes. Times are shown in the plan's timezone as HH:MM.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from agent.state import Block, Coverage, Plan, Task

_SOURCE_LABEL = {"email": "email", "slack": "Slack"}


def _hhmm(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M")


def _day(iso_date: str) -> str:
    d = date.fromisoformat(iso_date)
    return f"{d:%a} {d.day} {d:%b}"


def _window(coverage: Coverage, plan: Plan) -> str:
    """The collection window in the plan's timezone, with the date only where it is needed."""
    start = datetime.fromisoformat(coverage["window"]["start"])
    end = datetime.fromisoformat(coverage["window"]["end"])
    tz = datetime.fromisoformat(plan["workday"]["start"]).tzinfo
    if tz is not None:
        start, end = start.astimezone(tz), end.astimezone(tz)
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} ({plan['timezone']})"


def _links(task: Task) -> str:
    return " ".join(f"[{_SOURCE_LABEL.get(s['source'], s['source'])}]({s['link']})" for s in task["sources"])


def _cell(text: str) -> str:
    # A pipe or newline inside a title would break the Markdown table.
    return text.replace("|", "\\|").replace("\n", " ")


def _coverage_lines(coverage: Coverage, plan: Plan, thread_id: str | None, scenario: str) -> list[str]:
    lines: list[str] = []
    sources = []
    skipped = []
    for name in sorted(coverage["sources"]):
        info = coverage["sources"][name]
        label = _SOURCE_LABEL.get(name, name)
        if info["status"] == "disabled":
            sources.append(f"{label} disabled")
            continue
        sources.append(f"{label} {info['messages']} messages ({info['fetched']} fetched)")
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(info["skipped"].items()) if count)
        if reasons:
            skipped.append(f"{label}: {reasons}")
    if sources:
        lines.append("- **Sources:** " + "; ".join(sources))
    if skipped:
        lines.append("- **Skipped:** " + "; ".join(skipped))
    lines.append(f"- **Window:** {_window(coverage, plan)}")
    lines.append(f"- **Scenario:** {scenario or coverage['scenario']}")
    if coverage["durability"]:
        lines.append(f"- **Durability:** {coverage['durability']}")
    if thread_id:
        lines.append(f"- **Thread:** `{thread_id}`")
    lines.append(f"- **Attempts:** {coverage['attempts']}")
    for label, items in (
        ("Resumed", coverage["resumed_steps"]),
        ("Retried", coverage["retried_steps"]),
        ("Notes", coverage["notes"]),
    ):
        if items:
            lines.append(f"- **{label}:** " + "; ".join(items))
    return lines


def _task_line(task: Task) -> str:
    parts = [f"**{task['title']}**", task["priority"]]
    if task["due"]:
        parts.append(f"due {_day(task['due'])}")
    parts.append(task["requester"])
    links = _links(task)
    if links:
        parts.append(links)
    return " · ".join(parts)


def _schedule_lines(plan: Plan, tasks: dict[str, Task]) -> list[str]:
    lines = []
    for block in plan["blocks"]:
        when = f"{_hhmm(block['start'])}–{_hhmm(block['end'])}"
        if block["kind"] == "lunch":
            lines.append(f"- {when} {block['title']}")
        elif block["task_id"] is not None and block["task_id"] in tasks:
            task = tasks[block["task_id"]]
            line = _task_line(task)
            if block["title"] != task["title"]:  # "(part 1/2)" of a task split around lunch
                line = line.replace(f"**{task['title']}**", f"**{block['title']}**", 1)
            lines.append(f"- {when} {line}")
        else:
            lines.append(f"- {when} **Quick replies**")
            lines.extend(f"  - {_task_line(t)} · {t['estimate_minutes']} min" for t in _batch_members(block, plan))
    return lines


def _batch_members(block: Block, plan: Plan) -> list[Task]:
    """Tasks scheduled inside a batch block (a batch has no single task id)."""
    start, end = datetime.fromisoformat(block["start"]), datetime.fromisoformat(block["end"])
    members = []
    for task in plan["tasks"]:
        sched = task["scheduled"]
        if sched and start <= datetime.fromisoformat(sched["start"]) < end:
            members.append(task)
    return sorted(members, key=lambda t: (t["scheduled"]["start"] if t["scheduled"] else "", t["id"]))


def render_markdown(plan: Plan, coverage: Coverage, *, thread_id: str | None, scenario: str) -> str:
    """The plan as a Markdown document: coverage, schedule, what does not fit, and every task."""
    tasks = {t["id"]: t for t in plan["tasks"]}
    out = [f"# Plan for {date.fromisoformat(plan['date']):%A, %d %B %Y}", "", "## Based on", ""]
    out += _coverage_lines(coverage, plan, thread_id, scenario)
    hours = f"{_hhmm(plan['workday']['start'])}–{_hhmm(plan['workday']['end'])}"
    out += [
        "",
        "## Schedule",
        "",
        f"Workday {hours} ({plan['timezone']}): {plan['planned_minutes']} min planned, "
        f"{plan['free_minutes']} min free.",
        "",
    ]
    out += _schedule_lines(plan, tasks) or ["- Nothing scheduled."]
    if plan["unscheduled"]:
        out += ["", "## Does not fit today", ""]
        for item in plan["unscheduled"]:
            task = tasks.get(item["task_id"])
            title = item["task_id"]
            if task:
                title = f"**{task['title']}** ({task['priority']}, {task['estimate_minutes']} min)"
            out.append(f"- {title}: {item['reason']}")
    out += ["", "## All tasks", ""]
    if plan["tasks"]:
        out += ["| id | task | priority | estimate | due | requester | sources |", "|---|---|---|---|---|---|---|"]
        for t in plan["tasks"]:
            due = _day(t["due"]) if t["due"] else "—"
            out.append(
                f"| `{t['id'][:7]}` | {_cell(t['title'])} | {t['priority']}: {_cell(t['priority_reason'])} "
                f"| {t['estimate_minutes']} min | {due} | {_cell(t['requester'])} | {_links(t)} |"
            )
    else:
        out.append("No tasks found in the collected messages.")
    return "\n".join(out) + "\n"


def plan_to_json(plan: Plan, coverage: Coverage, *, thread_id: str | None, scenario: str) -> dict[str, Any]:
    """The plan and its coverage as plain JSON-serializable data (copies: callers may mutate freely)."""
    return {
        "date": plan["date"],
        "thread_id": thread_id,
        "scenario": scenario,
        "coverage": copy.deepcopy(dict(coverage)),
        "timezone": plan["timezone"],
        "workday": dict(plan["workday"]),
        "planned_minutes": plan["planned_minutes"],
        "free_minutes": plan["free_minutes"],
        "blocks": [dict(b) for b in plan["blocks"]],
        "unscheduled": [dict(u) for u in plan["unscheduled"]],
        "tasks": [
            {
                "id": t["id"],
                "title": t["title"],
                "sources": [
                    {"source": s["source"], "source_id": s["source_id"], "link": s["link"]} for s in t["sources"]
                ],
                "requester": t["requester"],
                "due": t["due"],
                "priority": t["priority"],
                "priority_reason": t["priority_reason"],
                "estimate_minutes": t["estimate_minutes"],
                "scheduled": dict(t["scheduled"]) if t["scheduled"] else None,
            }
            for t in plan["tasks"]
        ],
    }
