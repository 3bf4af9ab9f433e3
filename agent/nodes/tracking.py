"""Records every node execution, so resumes and retries are counted, not guessed.

With durability on, executions go to the ``node_executions`` table and survive crashes;
the plan header and the tests both read them. Without it they are kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from langgraph.errors import GraphInterrupt

from agent.durability.runs import RunStore

PAUSED = "paused for review"


class ExecutionTracker:
    def __init__(self, thread_id: str, attempt: int, store: RunStore | None, replay_of: str | None = None) -> None:
        self.thread_id = thread_id
        self.attempt = attempt
        self.store = store
        self.replay_of = replay_of  # the checkpoint a replay forked from
        self.failed_node: str | None = None  # the node the last error came from
        self.running: set[str] = set()  # nodes executing right now (the collectors run in parallel)
        self.ran: set[str] = set()  # nodes this process executed (others were restored from checkpoints)
        self._memory: list[dict[str, Any]] = []

    def track(self, node: str, fn: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        @wraps(fn)
        def tracked(state: Any) -> dict[str, Any]:
            handle = self._started(node)
            self.running.add(node)
            self.ran.add(node)
            try:
                result = fn(state)
            except GraphInterrupt:
                self._finished(handle, PAUSED)  # waiting for the user, not a failure
                raise
            except BaseException as exc:
                self.failed_node = node
                self._finished(handle, f"error: {type(exc).__name__}: {exc}")
                raise
            finally:
                self.running.discard(node)
            self._finished(handle, "ok")
            return result

        return tracked

    def history(self) -> list[dict[str, Any]]:
        """Every execution of this thread so far: node, attempt, outcome (None = cut off)."""
        if self.store is not None:
            return self.store.node_executions(self.thread_id)
        return list(self._memory)

    def _started(self, node: str) -> int:
        if self.store is not None:
            return self.store.node_started(self.thread_id, node, self.attempt)
        self._memory.append({"node": node, "attempt": self.attempt, "outcome": None, "started_at": datetime.now(UTC)})
        return len(self._memory) - 1

    def _finished(self, handle: int, outcome: str) -> None:
        if self.store is not None:
            self.store.node_finished(handle, outcome)
        else:
            self._memory[handle]["outcome"] = outcome
