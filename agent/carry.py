"""Tasks that live across days: carry unfinished tasks forward, close the ones you answered.

Pure functions over today's extracted tasks, the stored open tasks and today's messages;
the database side is in agent/durability/tasks.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from agent.extract.merge import similar_titles, title_tokens
from agent.state import ClosedTask, Task
from collectors.base import Message
from config.settings import UserSettings

_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}


def thread_refs(task: Task, messages: dict[str, Message]) -> list[dict[str, str]]:
    """Where a reply would close ``task``: each source message's thread and time."""
    refs = []
    for source in task["sources"]:
        message = messages.get(f"{source['source']}:{source['source_id']}")
        if message is not None:
            refs.append({"thread": message["thread"], "after": message["timestamp"], "source": message["source"]})
    return refs


# A reply that only acknowledges ("sure, on it", "will check after lunch") does not finish
# anything; one that reports the work done, or answers with substance, does.
_DONE = re.compile(
    r"\b(done|sent|attached|merged|fixed|shipped|deployed|approved|submitted|uploaded|updated|finished|resolved|"
    r"here (it is|you go|are)|see attached|please find)\b",
    re.IGNORECASE,
)
_ACK = re.compile(
    r"^\W*(sure|ok(ay)?|yes|yep|yeah|got it|on it|will do|thanks|thank you|no problem|np|noted|ack|"
    r"i'?ll|i will|will (check|look|get|send|do|review)|looking|let me)\b",
    re.IGNORECASE,
)


def closes_request(text: str) -> bool:
    """Whether the user's reply finished the request rather than only acknowledging it."""
    if _DONE.search(text):
        return True
    return not _ACK.search(text) and len(text.split()) >= 8


def user_replies(messages: list[Message], user: UserSettings) -> dict[str, list[Message]]:
    """The user's messages that finish a request, by thread, oldest first: built once per run."""
    me = (user.email.lower(), user.slack_id.lower())
    by_thread: dict[str, list[Message]] = {}
    for m in messages:
        if m["sender_address"].lower() in me and closes_request(m["text"]):
            by_thread.setdefault(m["thread"], []).append(m)
    for replies in by_thread.values():
        replies.sort(key=lambda m: (m["timestamp"], m["id"]))
    return by_thread


def find_reply(refs: list[dict[str, str]], replies: dict[str, list[Message]]) -> Message | None:
    """The user's first reply in one of the task's threads, after its request, that finishes it."""
    found = [
        reply
        for ref in refs
        for reply in replies.get(ref["thread"], ())
        if datetime.fromisoformat(reply["timestamp"]) > datetime.fromisoformat(ref["after"])
    ]
    return min(found, key=lambda m: (m["timestamp"], m["id"]), default=None)


def escalate(task: Task, plan_date: date) -> Task:
    """Raise (never lower) the priority as the deadline nears."""
    if not task["due"]:
        return task
    days = (date.fromisoformat(task["due"]) - plan_date).days
    if days < 0:
        wanted, reason = "P1", f"overdue since {task['due']}"
    elif days == 0:
        wanted, reason = "P1", "due today"
    elif days == 1:
        wanted, reason = "P1", "due tomorrow"
    elif days <= 3:
        wanted, reason = "P2", f"due in {days} days"
    else:
        return task
    if _RANK[wanted] < _RANK[task["priority"]]:
        return {**task, "priority": wanted, "priority_reason": reason}  # type: ignore[typeddict-item]
    return task


def _reply_reason(reply: Message, tz: Any) -> str:
    where = "email thread" if reply["source"] == "email" else "Slack thread"
    when = datetime.fromisoformat(reply["timestamp"]).astimezone(tz)
    return f"you replied in the {where} on {when:%a %d %b %H:%M}"


def _adopt_earlier(extracted: list[Task], stored: list[dict[str, Any]], plan_date: date) -> list[Task]:
    """A request asked again on a later day (a reminder, or a new message about it) is the task
    already planned: it keeps that task's id, and so its age, and gains the new sources."""
    earlier = [r for r in stored if r["first_planned"] < plan_date and r["status"] in ("open", "snoozed")]
    ids = {t["id"] for t in extracted}
    adopted: list[Task] = []
    for task in extracted:
        if any(r["id"] == task["id"] for r in stored):
            adopted.append(task)
            continue
        words = title_tokens(task["title"], task["requester"])
        match = next(
            (
                r
                for r in earlier
                if r["id"] not in ids
                and r["task"]["requester"] == task["requester"]
                and similar_titles(words, title_tokens(r["task"]["title"], r["task"]["requester"]))
            ),
            None,
        )
        if match is None:
            adopted.append(task)
            continue
        ids.add(match["id"])
        sources = [*match["task"]["sources"], *(s for s in task["sources"] if s not in match["task"]["sources"])]
        adopted.append({**task, "id": match["id"], "sources": sources})
    return adopted


def reconcile(
    extracted: list[Task],
    stored: list[dict[str, Any]],
    messages: list[Message],
    *,
    user: UserSettings,
    plan_date: date,
) -> tuple[list[Task], list[ClosedTask]]:
    """Today's tasks (new and carried) and the tasks closed automatically.

    ``stored`` rows are from TaskStore.known(): id, task (the Task as last planned),
    status, snoozed_until, first_planned, threads.
    """
    by_id = {m["id"]: m for m in messages}
    replies = user_replies(messages, user)
    known = {row["id"]: row for row in stored}
    today: list[Task] = []
    closed: list[ClosedTask] = []

    def keep(task: Task, row: dict[str, Any] | None, refs: list[dict[str, str]]) -> None:
        reply = find_reply(refs, replies)
        if reply is not None:
            closed.append({"task_id": task["id"], "title": task["title"], "reason": _reply_reason(reply, user.tz)})
            return
        first = row["first_planned"] if row else plan_date
        if first < plan_date:
            task = {**task, "carried_from": first.isoformat(), "age_days": (plan_date - first).days}  # type: ignore[typeddict-item]
        today.append(escalate(task, plan_date))

    extracted = _adopt_earlier(extracted, stored, plan_date)
    for task in extracted:
        row = known.get(task["id"])
        if row is not None and row["status"] in ("done", "dropped"):
            continue  # you already finished or dropped it
        if row is not None and row["status"] == "snoozed" and row["snoozed_until"] > plan_date:
            continue
        keep(task, row, thread_refs(task, by_id) + (row["threads"] if row else []))
    seen = {t["id"] for t in extracted}
    for row in stored:
        if row["id"] in seen or row["first_planned"] >= plan_date:
            continue
        if row["status"] == "open" or (row["status"] == "snoozed" and row["snoozed_until"] <= plan_date):
            keep({**row["task"], "scheduled": None}, row, row["threads"])
    today.sort(key=lambda t: (_RANK[t["priority"]], t["due"] or "9999-12-31", t["id"]))
    return today, closed
