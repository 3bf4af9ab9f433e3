"""The planner graph: nodes and edges only. Dependencies come in as arguments.

    START ─┬─ collect_email ─┐
           └─ collect_slack ─┴─ extract_tasks ─ plan_day ─ write_plan ─ END

The two collectors run in one parallel step; if one fails, the other's result is still
saved as a pending write and is not collected again on resume.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy

from agent.nodes.collect import make_collect_node
from agent.nodes.extract_tasks import Extractor, make_extract_node
from agent.nodes.plan_day import make_plan_node
from agent.nodes.tracking import ExecutionTracker
from agent.nodes.write_plan import make_write_node
from agent.output import PlanFiles
from agent.state import Plan, PlannerState, Task
from collectors.base import Collector


@dataclass(frozen=True)
class GraphDeps:
    email: Collector | None  # None: source disabled
    slack: Collector | None
    extractor: Extractor
    planner: Callable[[list[Task], date], Plan]
    files: PlanFiles
    tracker: ExecutionTracker
    retry: RetryPolicy
    scenario: str
    durability: str

    @property
    def enabled_sources(self) -> tuple[str, ...]:
        return tuple(name for name, c in (("email", self.email), ("slack", self.slack)) if c is not None)


def build_graph(deps: GraphDeps) -> StateGraph:
    track = deps.tracker.track
    nodes: dict[str, Callable[[PlannerState], dict[str, Any]]] = {
        "collect_email": make_collect_node("email", deps.email),
        "collect_slack": make_collect_node("slack", deps.slack),
        "extract_tasks": make_extract_node(deps.extractor),
        "plan_day": make_plan_node(deps.planner),
        "write_plan": make_write_node(
            deps.files,
            deps.tracker,
            scenario=deps.scenario,
            durability=deps.durability,
            enabled_sources=deps.enabled_sources,
        ),
    }
    graph = StateGraph(PlannerState)
    for name, fn in nodes.items():
        graph.add_node(name, track(name, fn), retry_policy=deps.retry)
    graph.add_edge(START, "collect_email")
    graph.add_edge(START, "collect_slack")
    graph.add_edge(["collect_email", "collect_slack"], "extract_tasks")
    graph.add_edge("extract_tasks", "plan_day")
    graph.add_edge("plan_day", "write_plan")
    graph.add_edge("write_plan", END)
    return graph
