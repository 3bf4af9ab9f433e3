"""track_tasks: join today's extracted tasks with the ones still open from earlier days.

Unfinished tasks are carried forward with their age, priorities rise as deadlines near,
and a task you already answered (a reply from you in its thread) is closed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.carry import reconcile, thread_refs
from agent.durability.tasks import TaskStore
from agent.state import PlannerState
from config.settings import UserSettings


def make_track_node(store: TaskStore | None, user: UserSettings) -> Callable[[PlannerState], dict[str, Any]]:
    def track_tasks(state: PlannerState) -> dict[str, Any]:
        messages = [*state["email"]["messages"], *state["slack"]["messages"]]
        extracted = state["tasks"]
        stored = store.known([t["id"] for t in extracted]) if store is not None else []
        plan_date = date.fromisoformat(state["plan_date"])
        tasks, closed = reconcile(extracted, stored, messages, user=user, plan_date=plan_date)
        by_id = {m["id"]: m for m in messages}
        known_threads = {row["id"]: row["threads"] for row in stored}
        threads = {}
        for task in tasks:
            refs = thread_refs(task, by_id)
            threads[task["id"]] = refs + [r for r in known_threads.get(task["id"], []) if r not in refs]
        return {"tasks": tasks, "closed": closed, "task_threads": threads}

    return track_tasks
