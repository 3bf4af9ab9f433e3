"""plan_day: tasks -> a time-blocked plan for the day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from agent.state import Plan, PlannerState, Task


def make_plan_node(planner: Callable[[list[Task], date], Plan]) -> Callable[[PlannerState], dict[str, Any]]:
    def plan_day(state: PlannerState) -> dict[str, Any]:
        return {"plan": planner(state["tasks"], date.fromisoformat(state["plan_date"]))}

    return plan_day
