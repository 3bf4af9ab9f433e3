"""In-process runs of the ``default`` graph: one set of inputs, several checkpointers."""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.durability.db import Database
from agent.durability.runs import RunStore, new_thread_id
from agent.graph import build_graph
from agent.nodes.tracking import ExecutionTracker
from agent.runner import run_input
from agent.wiring import build_deps
from config.settings import Settings, load_settings
from mocks.scenarios import Scenario, load_scenario


@dataclass
class Bench:
    """What every in-process run shares: settings, scenario, the run's fixed inputs, the database."""

    settings: Settings
    scenario: Scenario
    row: dict[str, Any]
    db: Database
    saver: Any  # PostgresSaver over db.pool
    store: RunStore
    nodes: int = 0  # node executions in one run, counted from the stream

    def deps(self, tracker: ExecutionTracker, *, track: bool) -> Any:
        extra: dict[str, Any] = {}
        if "db" in inspect.signature(build_deps).parameters:  # the task store, when the wiring has one
            extra["db"] = self.db if track else None
        return build_deps(self.settings, self.scenario, tracker=tracker, as_of=self.row["as_of"], **extra)

    def run(self, checkpointer: Any, mode: str | None, *, track: bool = False) -> tuple[float, str]:
        """One full run on a fresh thread; seconds spent in graph.stream (build excluded) and the thread id.

        ``track``: record the run like the app does (a runs row, node_executions rows, the task store)."""
        thread_id = new_thread_id(datetime.now(UTC))
        store = self.store if track else None
        if store is not None:
            store.create(
                thread_id, self.row["plan_date"], "default", as_of=self.row["as_of"], since=self.row["window_start"]
            )
        tracker = ExecutionTracker(thread_id, 1, store)
        graph = build_graph(self.deps(tracker, track=track)).compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": thread_id}}
        kwargs = {"durability": mode} if mode else {}
        nodes = 0
        start = time.perf_counter()
        for chunk in graph.stream(run_input(self.row), config, stream_mode="updates", **kwargs):
            nodes += sum(1 for node in chunk if node in graph.nodes)
        seconds = time.perf_counter() - start
        self.nodes = max(self.nodes, nodes)
        if store is not None:
            store.finish(thread_id, "completed")
        return seconds, thread_id

    def final_state(self, checkpointer: Any, thread_id: str) -> dict[str, Any]:
        graph = build_graph(self.deps(ExecutionTracker(thread_id, 1, None), track=False)).compile(
            checkpointer=checkpointer
        )
        return dict(graph.get_state({"configurable": {"thread_id": thread_id}}).values)


@contextmanager
def open_bench(home: Path, database_url: str, plan_date: str) -> Iterator[Bench]:
    """Opens the database the way main.py does (open_durable: pool, PostgresSaver, every table)."""
    from agent.durability.checkpointer import open_durable

    os.environ["DATABASE_URL"] = database_url  # what load_settings reads, as in the app
    settings = load_settings(home)
    day = date.fromisoformat(plan_date)
    as_of = datetime(day.year, day.month, day.day, 8, 0, tzinfo=settings.user.tz)
    since = as_of - timedelta(hours=settings.collect.lookback_hours)
    row = {"plan_date": day, "as_of": as_of.astimezone(UTC), "window_start": since.astimezone(UTC)}
    db, saver = open_durable(settings, lambda _: None)
    try:
        yield Bench(settings, load_scenario("default"), row, db, saver, RunStore(db, os.getpid()))
    finally:
        db.close()
