"""Effort and urgency: estimated minutes, urgency words, and priority P0-P3 with its short reason."""

from __future__ import annotations

import re
from datetime import date, timedelta

from agent.state import Priority

# First matching word of the title wins, so "Send Dana the draft" is a 15-minute send, not a 60-minute draft.
_ESTIMATES: dict[str, int] = {
    "reply": 15,
    "respond": 15,
    "answer": 15,
    "confirm": 15,
    "send": 15,
    "forward": 15,
    "share": 15,
    "rsvp": 15,
    "approve": 15,
    "sign": 15,
    "book": 15,
    "schedule": 15,
    "ping": 15,
    "remind": 15,
    "let": 15,
    "add": 15,
    "review": 45,
    "proofread": 30,
    "read": 30,
    "check": 30,
    "look": 30,
    "feedback": 30,
    "update": 30,
    "fill": 30,
    "call": 30,
    "follow": 15,
    "merge": 15,
    "deploy": 30,
    "submit": 15,
    "complete": 30,
    "write": 90,
    "prepare": 90,
    "draft": 60,
    "create": 60,
    "build": 90,
    "plan": 60,
    "put": 60,
    "finalize": 60,
    "finalise": 60,
    "investigate": 60,
    "debug": 60,
    "fix": 60,
    "troubleshoot": 60,
    "analyze": 60,
    "analyse": 60,
    "migrate": 90,
    "set": 45,
}
_WORD = re.compile(r"[a-z]+")


def estimate_minutes(title: str, default: int) -> int:
    for word in _WORD.findall(title.lower()):
        if word in _ESTIMATES:
            return _ESTIMATES[word]
    return default


# "incident" alone is left out: "incident 812" is usually the name of a follow-up, not an emergency.
_OUTAGE = re.compile(r"\b(?:outage|blocker|blocking|blocked|(?:is|are|went) down|sev ?[01]|p0|production issue)\b")
_URGENT = re.compile(r"\b(?:urgent(?:ly)?|asap|as soon as possible|immediately|right away|critical|emergency)\b")
_NOT_URGENT = re.compile(
    r"\b(?:not urgent|non-urgent|no rush|no hurry|isn'?t urgent|nothing urgent|low priority|whenever you (?:can|get))\b"
)


# One scan instead of three; the group that matched names the kind of word found.
_URGENCY = re.compile(f"(?P<calm>{_NOT_URGENT.pattern})|(?P<outage>{_OUTAGE.pattern})|(?P<urgent>{_URGENT.pattern})")
_URGENCY_LABEL = {"calm": "not urgent", "outage": "outage", "urgent": "urgent"}
_URGENCY_RANK = {"not urgent": 0, "outage": 1, "urgent": 2}  # "no rush" wins over everything, then outages


def urgency(low: str) -> str | None:
    """ "outage", "urgent", "not urgent" or None: what the (lower-cased) words say about priority."""
    found = {_URGENCY_LABEL[m.lastgroup] for m in _URGENCY.finditer(low) if m.lastgroup}
    return min(found, key=_URGENCY_RANK.__getitem__) if found else None


def describe_day(day: date) -> str:
    """ "Fri 27 Nov": short, unambiguous within a few weeks, and independent of the locale."""
    return f"{day:%a} {day.day} {day:%b}"


def prioritize(*, due: date | None, plan_date: date, urgency: str | None, addressing: str) -> tuple[Priority, str]:
    """Decide the priority of one task.

    P0: outage/blocker words, or urgent words ("urgent", "asap").
    P1: overdue, due today or due tomorrow (relative to the planned day).
    P2: due later this week (up to Sunday), or a 1:1 direct message without a deadline.
    P3: everything else: no deadline, or a deadline after this week.
    """
    if urgency == "outage":
        return "P0", "blocker or outage"
    if urgency == "urgent":
        return "P0", "marked urgent, due today" if due == plan_date else "marked urgent"
    if due is not None:
        if due < plan_date:
            return "P1", f"overdue (was due {describe_day(due)})"
        if due == plan_date:
            return "P1", "due today"
        if due == plan_date + timedelta(days=1):
            return "P1", "due tomorrow"
        end_of_week = plan_date + timedelta(days=6 - plan_date.weekday())
        if due <= end_of_week:
            return "P2", f"due {due:%A}"
        return "P3", f"due {describe_day(due)}"
    if urgency == "not urgent":
        return "P3", "not urgent"
    if addressing == "dm":
        return "P2", "direct message, no deadline"
    return "P3", "no deadline"
