"""extract_tasks: the messages of both sources -> tasks addressed to the user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from agent.state import PlannerState, Task
from collectors.base import Message


class Extractor(Protocol):
    def extract(self, messages: list[Message], *, plan_date: date, now: datetime) -> list[Task]: ...


def make_extract_node(extractor: Extractor) -> Callable[[PlannerState], dict[str, Any]]:
    def extract_tasks(state: PlannerState) -> dict[str, Any]:
        messages = [*state["email"]["messages"], *state["slack"]["messages"]]
        tasks = extractor.extract(
            messages, plan_date=date.fromisoformat(state["plan_date"]), now=datetime.fromisoformat(state["now"])
        )
        return {"tasks": tasks}

    return extract_tasks
