"""write_plan: render the plan with its coverage header and save it under plans/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.coverage import build_coverage
from agent.nodes.tracking import ExecutionTracker
from agent.output import PlanFiles
from agent.render import plan_to_json, render_markdown
from agent.state import PlannerState


def make_write_node(
    files: PlanFiles,
    tracker: ExecutionTracker,
    *,
    scenario: str,
    durability: str,
    enabled_sources: tuple[str, ...],
) -> Callable[[PlannerState], dict[str, Any]]:
    def write_plan(state: PlannerState) -> dict[str, Any]:
        coverage = build_coverage(
            state,
            scenario=scenario,
            durability=durability,
            enabled_sources=enabled_sources,
            history=tracker.history(),
            attempt=tracker.attempt,
            replay_of=tracker.replay_of,
        )
        plan = state["plan"]
        markdown = render_markdown(plan, coverage, thread_id=tracker.thread_id, scenario=scenario)
        data = plan_to_json(plan, coverage, thread_id=tracker.thread_id, scenario=scenario)
        return {"outputs": files.write(plan["date"], markdown, data)}

    return write_plan
