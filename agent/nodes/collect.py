"""collect_email / collect_slack: read one source for the run's window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from agent.state import PlannerState
from collectors.base import Collector, Source, SourceResult, Window


def run_window(state: PlannerState) -> Window:
    return Window(since=datetime.fromisoformat(state["since"]), until=datetime.fromisoformat(state["now"]))


def disabled_result(source: Source) -> SourceResult:
    return {"source": source, "messages": [], "fetched": 0, "skipped": {}}


def make_collect_node(source: Source, collector: Collector | None) -> Callable[[PlannerState], dict[str, Any]]:
    """A node that writes ``{source: SourceResult}``; a disabled source yields an empty result."""

    def collect(state: PlannerState) -> dict[str, Any]:
        if collector is None:
            return {source: disabled_result(source)}
        return {source: collector.collect(run_window(state))}

    collect.__name__ = f"collect_{source}"
    return collect
