from __future__ import annotations

from datetime import date

import pytest

from agent.carry import closes_request, escalate, reconcile
from agent.state import Task
from collectors.base import Message
from config.settings import UserSettings

USER = UserSettings()
DAY = date(2026, 11, 20)


def task(tid: str, *, due: str | None = None, priority: str = "P3", source_id: str = "m1") -> Task:
    return {
        "id": tid,
        "title": f"Task {tid}",
        "requester": "Dana Kim",
        "sources": [{"source": "email", "source_id": source_id, "link": f"https://mail/{source_id}"}],
        "due": due,
        "priority": priority,
        "priority_reason": "no deadline",  # type: ignore[typeddict-item]
        "estimate_minutes": 30,
        "scheduled": None,
    }


def message(mid: str, *, thread: str, ts: str, sender: str = "dana.kim@northwind.example", text: str = "hi") -> Message:
    return {
        "id": f"email:{mid}",
        "source": "email",
        "source_id": mid,
        "sender": sender,
        "sender_address": sender,
        "recipients": [],
        "cc": [],
        "subject": "s",
        "text": text,
        "timestamp": ts,
        "thread": thread,
        "channel": "",
        "channel_type": "",
        "automated": False,
        "link": "",
    }


def row(t: Task, *, status: str = "open", first: date = date(2026, 11, 18), until: date | None = None) -> dict:
    return {
        "id": t["id"],
        "task": t,
        "status": status,
        "snoozed_until": until,
        "first_planned": first,
        "threads": [{"thread": "T1", "after": "2026-11-18T09:00:00+00:00", "source": "email"}],
    }


@pytest.mark.parametrize(
    ("text", "closes"),
    [
        ("Done, merged it this morning", True),
        ("sure, on it", False),
        ("will check after lunch", False),
        ("Here you go: the numbers are in the sheet", True),
        ("The rollout window is Thursday 10:00 and the owner is Priya from platform", True),
        ("thanks!", False),
    ],
)
def test_only_replies_that_finish_the_work_close_it(text: str, closes: bool) -> None:
    assert closes_request(text) is closes


def test_open_tasks_from_earlier_days_are_carried_with_their_age() -> None:
    old = task("aaa")
    tasks, closed = reconcile([task("bbb")], [row(old)], [], user=USER, plan_date=DAY)
    by_id = {t["id"]: t for t in tasks}
    assert by_id["aaa"]["carried_from"] == "2026-11-18" and by_id["aaa"]["age_days"] == 2
    assert "carried_from" not in by_id["bbb"] and closed == []


def test_done_dropped_and_snoozed_tasks_stay_out_until_due() -> None:
    stored = [
        row(task("done1"), status="done"),
        row(task("drop1"), status="dropped"),
        row(task("snz1"), status="snoozed", until=date(2026, 11, 25)),
        row(task("snz2"), status="snoozed", until=DAY),
    ]
    tasks, _ = reconcile([task("done1")], stored, [], user=USER, plan_date=DAY)
    assert [t["id"] for t in tasks] == ["snz2"]


def test_a_reply_from_the_user_in_the_thread_closes_the_task() -> None:
    reply = message("r1", thread="T1", ts="2026-11-19T16:00:00+00:00", sender=USER.email, text="Done, sent them over")
    ack = message("r0", thread="T1", ts="2026-11-19T10:00:00+00:00", sender=USER.email, text="will do")
    tasks, closed = reconcile([], [row(task("aaa"))], [ack, reply], user=USER, plan_date=DAY)
    assert tasks == []
    assert (
        closed[0]["task_id"] == "aaa" and "you replied in the email thread on Thu 19 Nov 17:00" in closed[0]["reason"]
    )


def test_replies_before_the_request_or_by_others_do_not_close() -> None:
    early = message("r1", thread="T1", ts="2026-11-18T08:00:00+00:00", sender=USER.email, text="Done already")
    other = message("r2", thread="T1", ts="2026-11-19T08:00:00+00:00", text="Done, thanks")
    tasks, closed = reconcile([], [row(task("aaa"))], [early, other], user=USER, plan_date=DAY)
    assert [t["id"] for t in tasks] == ["aaa"] and closed == []


def test_priority_rises_as_the_deadline_nears_and_never_falls() -> None:
    assert escalate(task("a", due="2026-11-20"), DAY)["priority"] == "P1"
    assert escalate(task("a", due="2026-11-19"), DAY)["priority_reason"] == "overdue since 2026-11-19"
    assert escalate(task("a", due="2026-11-22"), DAY)["priority"] == "P2"
    assert escalate(task("a", due="2026-11-30"), DAY)["priority"] == "P3"
    assert escalate(task("a", due="2026-11-20", priority="P0"), DAY)["priority"] == "P0"


def test_the_same_request_on_a_later_day_keeps_the_earlier_task_and_its_age() -> None:
    earlier = task("old1", source_id="m1")
    again = {**task("new1", source_id="m9"), "title": "Task old1"}
    tasks, _ = reconcile([again], [row(earlier)], [], user=USER, plan_date=DAY)
    assert [t["id"] for t in tasks] == ["old1"]
    assert tasks[0]["age_days"] == 2
    assert [s["source_id"] for s in tasks[0]["sources"]] == ["m1", "m9"]
