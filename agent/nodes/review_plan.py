"""review_plan: pause with the draft plan for the user's review, then re-time the day.

Only runs started with --review (or review.enabled) pass through this node. The first
execution stops at ``interrupt()``; the resume (``Command(resume=edits)``) runs the node
again from its first line, and ``interrupt()`` then returns the edits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from langgraph.types import interrupt

from agent.nodes.plan_day import Planner
from agent.review import apply_edits, describe, draft_of
from agent.state import PlannerState


def make_review_node(planner: Planner, requester: str) -> Callable[[PlannerState], dict[str, Any]]:
    def review_plan(state: PlannerState) -> dict[str, Any]:
        draft = state["plan"]
        edits: list[dict[str, Any]] = interrupt(draft_of(draft))
        if not edits:
            return {"reviewed": []}
        tasks, tomorrow = apply_edits(draft["tasks"], edits, plan_date=draft["date"], requester=requester)
        meetings = state["calendar"]["meetings"] if "calendar" in state else []
        plan = planner(tasks, date.fromisoformat(draft["date"]), meetings)
        plan["digest"], plan["closed"] = draft.get("digest", []), draft.get("closed", [])
        titles = {t["id"]: t["title"] for t in draft["tasks"]}
        dropped = [e["task_id"] for e in edits if e["op"] == "drop"]
        return {
            "plan": plan,
            "reviewed": [describe(e, titles) for e in edits],
            "deferred": tomorrow,
            "dropped": dropped,
        }

    return review_plan
