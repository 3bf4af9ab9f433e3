"""Executes one thread of the graph (a new run or a resume) and records how it ended.

The caller holds the thread's advisory lock for the whole call.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from types import FrameType
from typing import Any

from agent.durability.runs import RunStore
from agent.errors import PlannerError, RunFailed, RunInterrupted
from agent.graph import build_graph
from agent.nodes.tracking import ExecutionTracker
from agent.state import RunInput
from agent.wiring import build_deps
from config.settings import Settings
from mocks.scenarios import Scenario

Reporter = Callable[[str], None]


@dataclass
class Runtime:
    """What one process shares between executions: settings, the pool, the checkpointer."""

    settings: Settings
    store: RunStore | None = None  # None when durability is disabled
    checkpointer: Any = None
    report: Reporter = print
    pid: int = field(default_factory=os.getpid)


@dataclass(frozen=True)
class RunOutcome:
    thread_id: str
    outputs: dict[str, str]
    draft: dict[str, Any] | None = None  # set when the run paused for review


def run_input(row: dict[str, Any]) -> RunInput:
    """The graph input recorded for a run. UTC, so a resume builds exactly the same input."""
    return {
        "plan_date": row["plan_date"].isoformat(),
        "now": row["as_of"].astimezone(UTC).isoformat(),
        "since": row["window_start"].astimezone(UTC).isoformat(),
        "review": bool(row.get("review")),
    }


def _summary(node: str, update: dict[str, Any]) -> str:
    if node in ("collect_email", "collect_slack"):
        result = next(iter(update.values()))
        skipped = sum(result["skipped"].values())
        return f"{len(result['messages'])} messages" + (f", {skipped} skipped" if skipped else "")
    if node == "collect_calendar":
        return f"{len(update['calendar']['meetings'])} meetings"
    if node == "extract_tasks":
        report = update.get("extraction") or {}
        if report.get("method") != "llm":
            return f"{len(update['tasks'])} tasks (rule-based)"
        fallback = f", {report['fallback_messages']} messages by rules after model errors"
        return (
            f"{len(update['tasks'])} tasks ({report['model']}: {report['calls']} calls, "
            f"{report['input_tokens']} input / {report['output_tokens']} output tokens, "
            f"{report['cache_hits']} cache hits{fallback if report['fallback_messages'] else ''})"
        )
    if node == "track_tasks":
        carried = sum(1 for t in update["tasks"] if t.get("carried_from"))
        closed = len(update["closed"])
        return f"{len(update['tasks'])} tasks for today ({carried} carried), {closed} closed by your replies"
    if node == "plan_day":
        plan = update["plan"]
        scheduled = sum(1 for t in plan["tasks"] if t["scheduled"])
        return f"{scheduled} tasks scheduled, {len(plan['unscheduled'])} do not fit"
    if node == "write_plan":
        return update["outputs"]["markdown"]
    return "done"


def execute(
    rt: Runtime,
    scenario: Scenario | None,
    thread_id: str,
    *,
    attempt: int,
    row: dict[str, Any],
    resume: bool,
    checkpoint_id: str | None = None,
    command: Any = None,
) -> RunOutcome:
    """Run (``resume=False``) or resume a thread to its end; raise RunFailed / RunInterrupted.

    ``checkpoint_id`` resumes from that checkpoint instead of the latest, forking a new branch
    (replay). ``command`` is a LangGraph ``Command(resume=...)`` answering an interrupt.
    """
    settings = rt.settings
    tracker = ExecutionTracker(thread_id, attempt, rt.store, replay_of=checkpoint_id)
    deps = build_deps(settings, scenario, tracker=tracker, as_of=row["as_of"], db=rt.store.db if rt.store else None)
    graph = build_graph(deps).compile(checkpointer=rt.checkpointer)
    config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
    if checkpoint_id is not None:
        config["configurable"]["checkpoint_id"] = checkpoint_id
    graph_input: Any = run_input(row)
    if command is not None:
        graph_input = command
    elif resume and rt.checkpointer is not None and rt.checkpointer.get_tuple(config) is not None:
        graph_input = None  # continue from the last checkpoint; never re-run completed nodes
    elif resume:
        rt.report("  no checkpoint was saved before it stopped (durability mode 'exit'?): starting it over")
    kwargs = {"durability": settings.durability.mode} if rt.checkpointer is not None else {}
    outputs: dict[str, str] = {}
    draft: dict[str, Any] | None = None
    global _current
    _current = (rt, thread_id, tracker)
    try:
        for chunk in graph.stream(graph_input, config, stream_mode="updates", **kwargs):
            for node, update in chunk.items():
                if node == "__interrupt__":
                    draft = update[0].value  # review_plan paused with the draft plan
                # @task results (the LLM's batches) stream too; only graph nodes are reported.
                elif node in graph.nodes and isinstance(update, dict):
                    # A resume also streams the saved results of nodes that finished before.
                    mark = "✓" if node in tracker.ran else "↺"
                    restored = "" if node in tracker.ran else " (restored from its checkpoint, not run again)"
                    rt.report(f"  {mark} {node}: {_summary(node, update)}{restored}")
                    outputs = update.get("outputs", outputs)
    except (KeyboardInterrupt, RunInterrupted) as exc:
        _record(rt, thread_id, "interrupted", "interrupted by a signal", tracker.failed_node)
        raise RunInterrupted(
            f"Run {thread_id} was interrupted{_node_part(tracker.failed_node)}. What finished before is "
            "checkpointed; the next 'python main.py' resumes it."
        ) from exc
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PlannerError) else str(exc)
        abandoned = rt.store is not None and attempt >= settings.resume.max_attempts
        _record(rt, thread_id, "abandoned" if abandoned else "failed", error, tracker.failed_node)
        raise RunFailed(_failure_message(rt, thread_id, tracker.failed_node, error, attempt, abandoned)) from exc
    finally:
        _current = None
    # The state the run ended with: the branch head, not the checkpoint a replay started from.
    config = {"configurable": {"thread_id": thread_id}}
    if draft is not None:
        if rt.store is not None:
            rt.store.wait_for_review(thread_id)
        return RunOutcome(thread_id=thread_id, outputs={}, draft=draft)
    values = graph.get_state(config).values if rt.checkpointer is not None else {}
    outputs = outputs or values.get("outputs", {})  # none streamed: every node was restored, the run had finished
    if rt.store is not None:
        # The plan is written: only now do its sources' watermarks move and its tasks count as planned.
        task_store = deps.task_store

        def save_tasks(conn: Any) -> None:
            if task_store is not None:
                task_store.save_plan(conn, row["plan_date"], values)

        rt.store.complete(thread_id, account=account(scenario), sources=deps.enabled_sources, also=save_tasks)
    return RunOutcome(thread_id=thread_id, outputs=outputs)


def account(scenario: Scenario | None) -> str:
    """Whose watermarks a run moves: mock replays never move the real accounts' marks."""
    return "live" if scenario is None else "mock"


# The execution in progress, for the signal handler. One at a time per process.
_current: tuple[Runtime, str, ExecutionTracker] | None = None


def abort_on_signal(signum: int, frame: FrameType | None) -> None:
    """SIGINT/SIGTERM: abort the run, leaving its last checkpoint, and exit.

    Raising through LangGraph would wait for a node still running in a worker thread, which
    may take long; instead the run is marked interrupted here and the process exits, which
    closes the lock connection and so releases the lock.
    """
    name = signal.Signals(signum).name
    if _current is None:
        raise RunInterrupted(f"received {name} before any run started; nothing to resume")
    rt, thread_id, tracker = _current
    node = ", ".join(sorted(tracker.running)) or None
    if rt.store is not None:
        rt.store.mark_interrupted(thread_id, node, f"interrupted by {name}")
    resume = "the next 'python main.py' resumes it" if rt.store is not None else "durability is off, so it is lost"
    print(
        f"\nStopped: run {thread_id} was interrupted by {name}{_node_part(node)}. "
        f"What finished before is checkpointed; {resume}.",
        file=sys.stderr,
        flush=True,
    )
    os._exit(128 + signum)


def _node_part(node: str | None) -> str:
    return f" in {node}" if node else ""


def _record(rt: Runtime, thread_id: str, status: str, error: str | None, node: str | None) -> None:
    if rt.store is not None:
        rt.store.finish(thread_id, status, error=error, node=node)


def _failure_message(rt: Runtime, thread_id: str, node: str | None, error: str, attempt: int, abandoned: bool) -> str:
    head = f"Run {thread_id} failed{_node_part(node)}: {error}."
    if rt.store is None:
        return head + " Durability is disabled, so nothing was saved; fix the cause and run again."
    max_attempts = rt.settings.resume.max_attempts
    if abandoned:
        return (
            f"{head} It has now failed {attempt} times (resume.max_attempts is {max_attempts}) and is abandoned: "
            "it will not be resumed automatically. Fix the cause and run 'python main.py --new' for a fresh run."
        )
    return (
        f"{head} Everything that finished before that step is checkpointed. Fix the cause (for a mock failure "
        "scenario, switch back with '--scenario default') and run 'python main.py' again: it resumes this run "
        f"from its last checkpoint (attempt {attempt} of {max_attempts} so far)."
    )
