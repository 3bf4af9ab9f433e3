"""The rule-based extractor: normalized messages in, the user's tasks out.

Offline and deterministic: the same messages, plan date and ``now`` always give the same tasks
in the same order. The rules themselves live in ``agent/extract/``; this module applies them in
order: who is it for -> is it noise -> is it a request -> closing replies -> merge duplicates.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from agent.extract.dates import find_due
from agent.extract.merge import Candidate, Closure, drop_closed, group_duplicates, requester_key, thread_keys
from agent.extract.priority import estimate_minutes, prioritize, urgency
from agent.extract.rules import (
    Addressee,
    addressing,
    is_aside,
    is_closing,
    is_noise,
    is_nudge,
    might_close,
    reports_done,
    request_sentence,
    sent_by_user,
    sentences,
)
from agent.extract.titles import make_title
from agent.state import Task, TaskSource
from collectors.base import Message
from config.settings import UserSettings

__all__ = ["RuleBasedExtractor", "task_id"]

DEFAULT_ESTIMATE_MINUTES = 30
_ONE_SECOND = timedelta(seconds=1)
_PRIORITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}
_URGENCY_RANK = {"outage": 0, "urgent": 1, None: 2, "not urgent": 3}
_ADDRESSING_RANK = {"dm": 0, "direct": 1, "mention": 2, "group": 3, "thread": 3, "cc": 4, "list": 5, "broadcast": 6}


def task_id(message_ids: list[str]) -> str:
    """First 12 hex digits of sha1 over the sorted "<source>:<source_id>" ids joined by "|"."""
    return hashlib.sha1("|".join(sorted(message_ids)).encode("utf-8")).hexdigest()[:12]


class RuleBasedExtractor:
    """Finds requests addressed to ``user`` with keyword and regex rules."""

    def __init__(self, user: UserSettings, *, default_estimate_minutes: int = DEFAULT_ESTIMATE_MINUTES) -> None:
        self.user = user
        self._me = Addressee.of(user)
        self._tz = user.tz
        self._default_estimate = default_estimate_minutes

    def extract(self, messages: list[Message], *, plan_date: date, now: datetime) -> list[Task]:
        """The tasks in ``messages``, sorted by priority, due date (none last) and id.

        Messages sent after ``now`` are ignored, so a resumed run sees exactly what the first attempt saw.
        """
        if now.tzinfo is None:
            now = now.replace(tzinfo=self._tz)  # a naive "now" is read as the user's local time
        candidates: list[Candidate] = []
        replies: list[tuple[Message, datetime]] = []
        my_threads: set[str] = set()  # Slack threads the user started: replies there are for the user
        # Sorting first makes every later step independent of the order the collectors returned.
        for message in sorted(messages, key=lambda m: (m["timestamp"], m["id"])):
            sent = datetime.fromisoformat(message["timestamp"])
            if sent > now:
                continue
            replies.append((message, sent))  # the user's own "done" can close a request too
            if sent_by_user(message, self._me):
                if message["source"] == "slack" and message["thread"] == message["source_id"]:
                    my_threads.add(message["thread"])
                continue
            candidate = self._candidate(message, sent, in_my_thread=message["thread"] in my_threads)
            if candidate is not None:
                candidates.append(candidate)
        open_requests = drop_closed(candidates, self._closures(candidates, replies))
        tasks = [self._task(group, plan_date) for group in group_duplicates(open_requests)]
        return sorted(tasks, key=_task_order)

    def _closures(self, candidates: list[Candidate], replies: list[tuple[Message, datetime]]) -> list[Closure]:
        """Later replies that close requests in the same conversation.

        The requester closes their own request with any closing phrase ("never mind", "found it", "done").
        Anyone else, the user included, closes it only by reporting it done ("done!", "fixed"): in a group
        DM, a colleague answering "done!" took the task. Only messages posted after a request in the same
        conversation are read, which skips the closing rules for the bulk of a busy day's traffic.
        """
        first_ask: dict[tuple[str | None, str], datetime] = {}
        for c in candidates:
            for key in c.thread_keys:
                for who in (c.requester_key, None):
                    if c.sent < first_ask.get((who, key), c.sent + _ONE_SECOND):
                        first_ask[(who, key)] = c.sent
        closures = []
        for message, sent in replies:
            keys = thread_keys(message)
            if not any(sent > first_ask.get((None, key), sent) for key in keys) or not might_close(message["text"]):
                continue  # nobody asked anything earlier in this conversation
            who = requester_key(message)
            parts = sentences(message["text"])
            if any(sent > first_ask.get((who, key), sent) for key in keys) and is_closing(parts):
                closures.append(Closure(who, keys, sent))
            elif reports_done(parts):
                closures.append(Closure(None, keys, sent))
        return closures

    def _candidate(self, message: Message, sent: datetime, *, in_my_thread: bool = False) -> Candidate | None:
        low = message["text"].lower()
        how = addressing(message, self._me, low, in_my_thread=in_my_thread)
        if how is None or is_noise(message, low) is not None:
            return None
        parts = sentences(message["text"])
        ask = request_sentence(parts, must_address=self._me if how == "cc" else None)
        if ask is None and message["source"] == "email" and how != "cc":
            # "Action required: sign the NDA" often says it in the subject and only explains in the body.
            ask = request_sentence([message["subject"]])
        if ask is None:
            return None
        local = sent.astimezone(self._tz)
        # The request sentence names its own deadline most often; otherwise look at the rest, then the subject.
        # Asides are skipped: in "I'll review it tonight. Can you send me the link?" tonight is the sender's.
        # So are sentences that speak to someone else: in "Marco, review it by Tuesday. Alex, add X" Tuesday is Marco's.
        rest = [p for p in parts if not is_aside(p) and not self._me.speaks_to_other(p)]
        due = find_due(ask, local) or find_due("\n".join(rest), local)
        if due is None and message["source"] == "email":
            due = find_due(message["subject"], local)
        title = make_title(
            ask,
            requester=message["sender"],
            subject=message["subject"] if message["source"] == "email" else "",
            me=self._me,
        )
        return Candidate(
            message=message,
            sent=sent,
            title=title,
            due=due,
            urgency=urgency(low + "\n" + message["subject"].lower()),
            addressing=how,
            nudge=is_nudge(ask),
        )

    def _task(self, group: list[Candidate], plan_date: date) -> Task:
        """One task from a group of candidates that ask for the same thing (already in source order)."""
        first = group[0]
        dues = sorted(c.due for c in group if c.due is not None)
        due = dues[0] if dues else None
        most_urgent = min((c.urgency for c in group), key=lambda u: _URGENCY_RANK[u])
        closest = min((c.addressing for c in group), key=lambda a: _ADDRESSING_RANK.get(a, 9))
        priority, reason = prioritize(due=due, plan_date=plan_date, urgency=most_urgent, addressing=closest)
        sources: list[TaskSource] = [
            {"source": c.message["source"], "source_id": c.message["source_id"], "link": c.message["link"]}
            for c in group
        ]
        return {
            "id": task_id([c.message["id"] for c in group]),
            "title": first.title,
            "requester": first.message["sender"],
            "sources": sources,
            "due": due.isoformat() if due else None,
            "priority": priority,
            "priority_reason": reason,
            "estimate_minutes": estimate_minutes(first.title, self._default_estimate),
            "scheduled": None,
        }


def _task_order(task: Task) -> tuple[int, str, str]:
    # "~" sorts after any ISO date, so tasks without a deadline come last within a priority.
    return (_PRIORITY_RANK[task["priority"]], task["due"] or "~", task["id"])
