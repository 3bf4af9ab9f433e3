"""Human review of the draft plan: the edits a user can make, and the terminal dialogue.

The graph pauses with LangGraph's ``interrupt()`` carrying the draft; the answer comes back
as ``Command(resume=edits)``. Edits are plain dicts so they checkpoint like everything else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from agent.state import Plan, Task

PRIORITIES = ("P0", "P1", "P2", "P3")

HELP = """Commands (N is the task number shown above):
  a                 accept the plan as it is now and write it
  d N               drop task N
  p N P0..P3        change task N's priority
  e N MINUTES       change task N's estimate
  t N               move task N to tomorrow
  + TITLE [; MINUTES [; P0..P3]]   add a task by hand
  l                 later: leave the run waiting ('python main.py review' picks it up)
  ?                 this help"""


def draft_of(plan: Plan) -> dict[str, Any]:
    """What the interrupt carries: enough to show the plan and number its tasks."""
    return {"date": plan["date"], "tasks": plan["tasks"], "unscheduled": plan["unscheduled"]}


def manual_task(title: str, minutes: int, priority: str, plan_date: str, requester: str) -> Task:
    digest = hashlib.sha1(f"manual|{plan_date}|{title}".encode()).hexdigest()
    return {
        "id": "m" + digest[:11],
        "title": title,
        "requester": requester,
        "sources": [],
        "due": plan_date,
        "priority": priority,  # type: ignore[typeddict-item]
        "priority_reason": "added by you",
        "estimate_minutes": minutes,
        "scheduled": None,
    }


def apply_edits(
    tasks: list[Task], edits: list[dict[str, Any]], *, plan_date: str, requester: str
) -> tuple[list[Task], list[str]]:
    """(tasks for today, ids moved to tomorrow) after the user's edits."""
    by_id = {t["id"]: {**t, "scheduled": None} for t in tasks}
    order = [t["id"] for t in tasks]
    tomorrow: list[str] = []
    for edit in edits:
        op, task_id = edit["op"], edit.get("task_id", "")
        if op == "add":
            task = manual_task(edit["title"], edit["minutes"], edit["priority"], plan_date, requester)
            by_id[task["id"]] = task
            order.append(task["id"])
        elif task_id not in by_id:
            continue  # an edit of a task dropped earlier in the same review
        elif op == "drop":
            del by_id[task_id]
        elif op == "tomorrow":
            del by_id[task_id]
            tomorrow.append(task_id)
        elif op == "priority":
            by_id[task_id] = {**by_id[task_id], "priority": edit["priority"], "priority_reason": "set by you"}
        elif op == "estimate":
            by_id[task_id] = {**by_id[task_id], "estimate_minutes": edit["minutes"]}
    return [by_id[i] for i in order if i in by_id], tomorrow  # type: ignore[misc]


def describe(edit: dict[str, Any], titles: dict[str, str]) -> str:
    title = titles.get(edit.get("task_id", ""), edit.get("title", ""))
    return {
        "drop": f"dropped '{title}'",
        "tomorrow": f"moved '{title}' to tomorrow",
        "priority": f"set '{title}' to {edit.get('priority')}",
        "estimate": f"set '{title}' to {edit.get('minutes')} min",
        "add": f"added '{title}'",
    }[edit["op"]]


def _show(draft: dict[str, Any], tz: Any, out: Callable[[str], None]) -> None:
    out(f"\nDraft plan for {draft['date']}:")
    for number, task in enumerate(draft["tasks"], 1):
        when = "not scheduled"
        if task.get("scheduled"):
            start = datetime.fromisoformat(task["scheduled"]["start"]).astimezone(tz)
            end = datetime.fromisoformat(task["scheduled"]["end"]).astimezone(tz)
            when = f"{start:%H:%M}-{end:%H:%M}"
        due = f", due {task['due']}" if task.get("due") else ""
        out(f"  {number:>2}. [{task['priority']}] {task['title']} ({task['estimate_minutes']} min{due}) {when}")


def _parse(line: str, tasks: list[Task], default_minutes: int) -> dict[str, Any] | str:
    """One command -> an edit, or an error message."""
    word, _, rest = line.strip().partition(" ")
    if word == "+":
        parts = [p.strip() for p in rest.split(";")]
        if not parts[0]:
            return "give a title: + Write the release notes; 45; P1"
        minutes = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else default_minutes
        priority = parts[2].upper() if len(parts) > 2 and parts[2].upper() in PRIORITIES else "P2"
        return {"op": "add", "title": parts[0], "minutes": minutes, "priority": priority}
    args = rest.split()
    if not args or not args[0].isdigit() or not 1 <= int(args[0]) <= len(tasks):
        return f"give a task number from 1 to {len(tasks)}"
    task_id = tasks[int(args[0]) - 1]["id"]
    if word == "d":
        return {"op": "drop", "task_id": task_id}
    if word == "t":
        return {"op": "tomorrow", "task_id": task_id}
    if word == "p" and len(args) > 1 and args[1].upper() in PRIORITIES:
        return {"op": "priority", "task_id": task_id, "priority": args[1].upper()}
    if word == "e" and len(args) > 1 and args[1].isdigit() and 0 < int(args[1]) <= 600:
        return {"op": "estimate", "task_id": task_id, "minutes": int(args[1])}
    return "not understood; '?' lists the commands"


def review_in_terminal(
    draft: dict[str, Any],
    *,
    tz: Any,
    default_minutes: int,
    read: Callable[[str], str] = input,
    out: Callable[[str], None] = print,
) -> list[dict[str, Any]] | None:
    """Ask for edits until the user accepts (returns them) or leaves it for later (None)."""
    _show(draft, tz, out)
    out("\n" + HELP)
    edits: list[dict[str, Any]] = []
    tasks = list(draft["tasks"])
    titles = {t["id"]: t["title"] for t in tasks}
    while True:
        try:
            line = read("review> ").strip()
        except EOFError:
            return None
        if line in ("a", "accept"):
            return edits
        if line in ("l", "later", "q"):
            return None
        if line in ("?", "help", ""):
            out(HELP)
            continue
        parsed = _parse(line, tasks, default_minutes)
        if isinstance(parsed, str):
            out(f"  {parsed}")
            continue
        edits.append(parsed)
        titles.setdefault(parsed.get("task_id", ""), parsed.get("title", ""))
        out(f"  ok: {describe(parsed, titles)} (type 'a' to accept and re-time the day)")
