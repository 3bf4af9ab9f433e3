"""The planner graph: nodes and edges only. Dependencies come in as arguments.

    START ─┬─ collect_email ────┐
           ├─ collect_slack ────┼─ extract_tasks ─ track_tasks ─ plan_day ─ write_plan ─ END
           └─ collect_calendar ─┘                                      └ review_plan ┘ (--review only)

The collectors run in one parallel step; if one fails, the others' results are still
saved as pending writes and are not collected again on resume.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy

from agent.durability.tasks import TaskStore
from agent.nodes.collect import CalendarSource, make_calendar_node, make_collect_node
from agent.nodes.extract_tasks import Extractor, make_extract_node
from agent.nodes.plan_day import Digest, Planner, make_plan_node
from agent.nodes.review_plan import make_review_node
from agent.nodes.track_tasks import make_track_node
from agent.nodes.tracking import ExecutionTracker
from agent.nodes.write_plan import make_write_node
from agent.output import PlanFiles
from agent.state import PlannerState
from collectors.base import Collector
from config.settings import UserSettings


@dataclass(frozen=True)
class GraphDeps:
    email: Collector | None  # None: source disabled
    slack: Collector | None
    calendar: CalendarSource | None
    extractor: Extractor  # rule-based: the default, and the LLM's fallback
    llm: Any  # LlmExtractor, or None when no model is configured
    task_store: TaskStore | None  # None: durability off, nothing carried across days
    user: UserSettings
    planner: Planner
    digest: Digest
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
        "collect_calendar": make_calendar_node(deps.calendar),
        "extract_tasks": make_extract_node(deps.extractor, deps.llm),
        "track_tasks": make_track_node(deps.task_store, deps.user),
        "plan_day": make_plan_node(deps.planner, deps.digest),
        "review_plan": make_review_node(deps.planner, deps.user.name if deps.user else ""),
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
    collectors = ["collect_email", "collect_slack", "collect_calendar"]
    for collector in collectors:
        graph.add_edge(START, collector)
    graph.add_edge(collectors, "extract_tasks")
    graph.add_edge("extract_tasks", "track_tasks")
    graph.add_edge("track_tasks", "plan_day")
    graph.add_conditional_edges("plan_day", _after_planning, ["review_plan", "write_plan"])
    graph.add_edge("review_plan", "write_plan")
    graph.add_edge("write_plan", END)
    return graph


def _after_planning(state: PlannerState) -> str:
    return "review_plan" if state.get("review") else "write_plan"
