"""plan_day: tasks and meetings -> a time-blocked plan, with the day's digest and closed tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.state import DigestItem, Meeting, Plan, PlannerState, Task
from collectors.base import Message

Planner = Callable[[list[Task], date, list[Meeting]], Plan]
Digest = Callable[[list[Message], list[Task]], list[DigestItem]]


def make_plan_node(planner: Planner, digest: Digest) -> Callable[[PlannerState], dict[str, Any]]:
    def plan_day(state: PlannerState) -> dict[str, Any]:
        meetings = state["calendar"]["meetings"] if "calendar" in state else []
        plan = planner(state["tasks"], date.fromisoformat(state["plan_date"]), meetings)
        messages = [*state["email"]["messages"], *state["slack"]["messages"]]
        plan["digest"] = digest(messages, state["tasks"])
        plan["closed"] = state.get("closed", [])
        return {"plan": plan}

    return plan_day
