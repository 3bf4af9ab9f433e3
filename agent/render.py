"""Write a plan for people (Markdown) and for programs (a JSON-ready dict).

Both are pure functions of the plan and its coverage, so the same run always writes the same
bytes. Times are shown in the plan's timezone as HH:MM.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from agent.planning.text import duration
from agent.state import Block, Coverage, ExtractionReport, Meeting, Plan, SourceCoverage, Task

_SOURCE_LABEL = {"email": "email", "slack": "Slack"}
MEETING_MARK = "📅"
DIGEST_LIMIT = 10
_OPTIONAL_TASK_FIELDS = ("carried_from", "age_days", "confidence")
_OPTIONAL_PLAN_FIELDS = ("meetings", "effort_minutes", "digest", "closed")


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
    if "calendar" in coverage:
        lines.append("- **Calendar:** " + _calendar_coverage(coverage["calendar"]))
    if "extraction" in coverage:
        lines.append("- **Extraction:** " + _extraction(coverage["extraction"]))
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


def _calendar_coverage(info: SourceCoverage) -> str:
    if info["status"] == "disabled":
        return "disabled"
    meetings = info["messages"]
    text = f"{meetings} meeting{'s' if meetings != 1 else ''} ({info['fetched']} events fetched)"
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(info["skipped"].items()) if count)
    return f"{text}; skipped {reasons}" if reasons else text


def _extraction(report: ExtractionReport) -> str:
    if report["method"] == "rules":
        text = "rule-based"
    else:
        text = f"LLM ({report['model'] or 'unknown model'}): {report['calls']} calls, "
        text += f"{report['input_tokens']:,} input / {report['output_tokens']:,} output tokens"
    extras = []
    if report["cache_hits"]:
        extras.append(f"{report['cache_hits']} messages from the cache")
    if report["fallback_messages"]:
        extras.append(f"{report['fallback_messages']} messages fell back to the rules after the model failed")
    return "; ".join([text, *extras])


def _age(task: Task) -> str | None:
    """ "carried, 2 days" for a task an earlier plan already listed; None for a new one."""
    days = task.get("age_days") or 0
    if days <= 0 and not task.get("carried_from"):
        return None
    if days <= 0:
        return "carried"
    return f"carried, {days} day{'s' if days != 1 else ''}"


def _task_line(task: Task) -> str:
    parts = [f"**{task['title']}**", task["priority"]]
    age = _age(task)
    if age:
        parts.append(age)
    if task["due"]:
        parts.append(f"due {_day(task['due'])}")
    parts.append(task["requester"])
    links = _links(task)
    if links:
        parts.append(links)
    return " · ".join(parts)


def _meeting_line(title: str, meeting: Meeting | None) -> str:
    text = f"{MEETING_MARK} **{title}** (meeting)"
    if meeting and meeting["link"]:
        text += f" · [calendar]({meeting['link']})"
    return text


def _effort_line(plan: Plan) -> str | None:
    """Effort against the time the day had for tasks (planned + still free), and what that leaves out."""
    if "effort_minutes" not in plan:
        return None
    effort, free = plan["effort_minutes"], plan["planned_minutes"] + plan["free_minutes"]
    line = f"Effort {duration(effort)} vs {duration(free)} free"
    return f"{line}: {duration(effort - free)} does not fit." if effort > free else f"{line}."


def _schedule_lines(plan: Plan, tasks: dict[str, Task]) -> list[str]:
    lines = []
    meetings = plan.get("meetings") or []
    by_slot = {(m["start"], m["end"], m["title"]): m for m in meetings if not m["all_day"]}
    lines += [f"- All day: {_meeting_line(m['title'], m)}" for m in meetings if m["all_day"]]
    for block in plan["blocks"]:
        when = f"{_hhmm(block['start'])}–{_hhmm(block['end'])}"
        if block["kind"] == "lunch":
            lines.append(f"- {when} {block['title']}")
        elif block["kind"] == "meeting":
            lines.append(
                f"- {when} {_meeting_line(block['title'], by_slot.get((block['start'], block['end'], block['title'])))}"
            )
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
    ]
    effort = _effort_line(plan)
    if effort:
        out += ["", effort]
    out.append("")
    out += _schedule_lines(plan, tasks) or ["- Nothing scheduled."]
    if plan["unscheduled"]:
        out += ["", "## Does not fit today", ""]
        for item in plan["unscheduled"]:
            task = tasks.get(item["task_id"])
            title = item["task_id"]
            if task:
                title = f"**{task['title']}** ({task['priority']}, {task['estimate_minutes']} min)"
            out.append(f"- {title}: {item['reason']}")
    if plan.get("closed"):
        out += ["", "## Closed automatically", ""]
        out += [f"- **{c['title']}**: {c['reason']}" for c in plan["closed"]]
    if plan.get("digest"):
        out += ["", "## Worth knowing", ""]
        out += [
            f"- {d['text']} · [link]({d['link']})" if d["link"] else f"- {d['text']}"
            for d in plan["digest"][:DIGEST_LIMIT]
        ]
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
    data: dict[str, Any] = {
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
                **{key: t[key] for key in _OPTIONAL_TASK_FIELDS if key in t},  # type: ignore[literal-required]
            }
            for t in plan["tasks"]
        ],
    }
    for key in _OPTIONAL_PLAN_FIELDS:
        if key in plan:
            data[key] = copy.deepcopy(plan[key])  # type: ignore[literal-required]
    return data
