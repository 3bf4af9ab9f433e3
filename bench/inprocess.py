"""In-process runs of the ``default`` graph: one set of inputs, several checkpointers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.durability.db import APP_SCHEMA, Database, open_database
from agent.durability.runs import RunStore, new_thread_id
from agent.graph import build_graph
from agent.nodes.tracking import ExecutionTracker
from agent.runner import run_input
from agent.wiring import build_deps
from config.settings import Settings, load_settings
from mocks.scenarios import Scenario, load_scenario

NODES = 5  # collect_email, collect_slack, extract_tasks, plan_day, write_plan


@dataclass
class Bench:
    """What every in-process run shares: settings, scenario, the run's fixed inputs, the database."""

    settings: Settings
    scenario: Scenario
    row: dict[str, Any]
    db: Database
    saver: Any  # PostgresSaver over db.pool
    store: RunStore

    def run(self, checkpointer: Any, mode: str | None, *, track: bool = False) -> tuple[float, str]:
        """One full run on a fresh thread; seconds spent in graph.stream (build excluded) and the thread id."""
        thread_id = new_thread_id(datetime.now(UTC))
        store = self.store if track else None
        if store is not None:
            store.create(
                thread_id, self.row["plan_date"], "default", as_of=self.row["as_of"], since=self.row["window_start"]
            )
        tracker = ExecutionTracker(thread_id, 1, store)
        deps = build_deps(self.settings, self.scenario, tracker=tracker, as_of=self.row["as_of"])
        graph = build_graph(deps).compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": thread_id}}
        kwargs = {"durability": mode} if mode else {}
        start = time.perf_counter()
        for _ in graph.stream(run_input(self.row), config, stream_mode="updates", **kwargs):
            pass
        seconds = time.perf_counter() - start
        if store is not None:
            store.finish(thread_id, "completed")
        return seconds, thread_id

    def final_state(self, checkpointer: Any, thread_id: str) -> dict[str, Any]:
        deps = build_deps(
            self.settings, self.scenario, tracker=ExecutionTracker(thread_id, 1, None), as_of=self.row["as_of"]
        )
        graph = build_graph(deps).compile(checkpointer=checkpointer)
        return dict(graph.get_state({"configurable": {"thread_id": thread_id}}).values)


@contextmanager
def open_bench(home: Path, database_url: str, plan_date: str) -> Iterator[Bench]:
    from langgraph.checkpoint.postgres import PostgresSaver

    settings = load_settings(home)
    day = date.fromisoformat(plan_date)
    as_of = datetime(day.year, day.month, day.day, 8, 0, tzinfo=settings.user.tz)
    since = as_of - timedelta(hours=settings.collect.lookback_hours)
    row = {"plan_date": day, "as_of": as_of.astimezone(UTC), "window_start": since.astimezone(UTC)}
    db = open_database(database_url, pool_max_size=settings.postgres.pool_max_size, connect_timeout=5)
    try:
        saver = PostgresSaver(db.pool)
        saver.setup()
        with db.pool.connection() as conn:
            conn.execute(APP_SCHEMA, prepare=False)
        store = RunStore(db, 0)
        yield Bench(settings, load_scenario("default"), row, db, saver, store)
    finally:
        db.close()
