"""collect_email / collect_slack: read one source for the run's window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from agent.state import Meeting, PlannerState, SourceCoverage
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


class CalendarSource(Protocol):
    def collect(self, plan_date: date) -> tuple[list[Meeting], SourceCoverage]: ...


def make_calendar_node(collector: CalendarSource | None) -> Callable[[PlannerState], dict[str, Any]]:
    """collect_calendar: the plan date's meetings, which the planner treats as fixed."""

    def collect_calendar(state: PlannerState) -> dict[str, Any]:
        if collector is None:
            coverage: SourceCoverage = {"status": "disabled", "fetched": 0, "messages": 0, "skipped": {}}
            return {"calendar": {"meetings": [], "coverage": coverage}}
        meetings, coverage = collector.collect(date.fromisoformat(state["plan_date"]))
        return {"calendar": {"meetings": meetings, "coverage": coverage}}

    return collect_calendar
