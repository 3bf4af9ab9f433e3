"""Read-only views of runs for ``status``: what each thread would run next."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from langgraph.types import RetryPolicy

from agent.errors import UsageError
from agent.graph import GraphDeps, build_graph
from agent.nodes.tracking import ExecutionTracker


def _skeleton_graph(checkpointer: Any) -> Any:
    """The graph's shape without dependencies: enough to read a thread's state, never to run it."""
    placeholder: Any = None
    deps = GraphDeps(
        email=None,
        slack=None,
        calendar=None,
        extractor=placeholder,
        llm=None,
        task_store=None,
        user=placeholder,
        planner=placeholder,
        digest=placeholder,
        files=placeholder,
        tracker=ExecutionTracker("", 0, None),
        retry=RetryPolicy(),
        scenario="",
        durability="",
    )
    return build_graph(deps).compile(checkpointer=checkpointer)


def next_nodes(checkpointer: Any, thread_ids: list[str]) -> dict[str, str]:
    """thread id -> the nodes a resume would run next ("" when finished or never checkpointed)."""
    graph = _skeleton_graph(checkpointer)
    result: dict[str, str] = {}
    for thread_id in thread_ids:
        state = graph.get_state({"configurable": {"thread_id": thread_id}})
        result[thread_id] = ", ".join(state.next) if state.next else ""
    return result


def human_age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"


def paused_value(checkpointer: Any, thread_id: str) -> dict[str, Any]:
    """The value a run paused with at an interrupt (the review draft)."""
    state = _skeleton_graph(checkpointer).get_state({"configurable": {"thread_id": thread_id}})
    for interrupt in state.interrupts:
        return interrupt.value
    raise UsageError(f"Run {thread_id} has no pending review in its checkpoints.")
