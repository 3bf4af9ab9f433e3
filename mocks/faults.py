"""Fault injection at the client layer, so the real node code runs and fails for real.

A scenario names faults per node; ``FaultInjector.wrap`` puts a thin proxy around the
dependency that node calls (a mock API client, the extractor, the planner, the writer).
Every call through the proxy first applies that node's faults.
"""

from __future__ import annotations

import inspect
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import SourceError, TransientSourceError


class Fault(BaseModel):
    """One injected failure. ``kind``:

    - ``error``: every call fails (a permanent error; the node fails, the run stays resumable);
    - ``transient``: the first ``times`` calls fail, then calls succeed (the RetryPolicy retries);
    - ``crash``: the process is killed with SIGKILL at the first call, as by ``kill -9``;
    - ``latency``: every call is delayed by ``latency_ms``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: Literal["collect_email", "collect_slack", "collect_calendar", "extract_tasks", "plan_day", "write_plan"]
    kind: Literal["error", "transient", "crash", "latency"]
    message: str = "injected failure"
    times: int = Field(1, ge=1)
    latency_ms: int = Field(0, ge=0, le=60_000)
    # Only inject on these executions of the run (1 = the first, 2 = the first resume...).
    # Empty means every execution; a crash on [1] lets the next start resume and finish.
    on_attempts: tuple[int, ...] = ()


class FaultInjector:
    def __init__(self, faults: list[Fault], attempt: int) -> None:
        self._faults = [f for f in faults if not f.on_attempts or attempt in f.on_attempts]
        self._calls: Counter[str] = Counter()  # per node, per process: transient faults count these

    def for_node(self, node: str) -> list[Fault]:
        return [f for f in self._faults if f.node == node]

    def wrap(self, node: str, target: Any) -> Any:
        """``target`` with ``node``'s faults applied to each call; ``target`` itself when it has none."""
        if not self.for_node(node):
            return target
        if inspect.isroutine(target):
            return self._wrap_call(node, target)
        return _FaultyProxy(self, node, target)

    def before_call(self, node: str) -> None:
        self._calls[node] += 1
        for fault in self.for_node(node):
            if fault.kind == "latency":
                time.sleep(fault.latency_ms / 1000)
            elif fault.kind == "crash":
                # A real SIGKILL: no cleanup, no exception handlers, no final checkpoint.
                os.kill(os.getpid(), signal.SIGKILL)
            elif fault.kind == "error":
                raise SourceError(fault.message)
            elif fault.kind == "transient" and self._calls[node] <= fault.times:
                raise TransientSourceError(f"{fault.message} (call {self._calls[node]} of the first {fault.times})")

    def _wrap_call(self, node: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.before_call(node)
            return fn(*args, **kwargs)

        return call


class _FaultyProxy:
    def __init__(self, injector: FaultInjector, node: str, target: Any) -> None:
        self._injector = injector
        self._node = node
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name.startswith("_") or not callable(attr):
            return attr
        return self._injector._wrap_call(self._node, attr)
