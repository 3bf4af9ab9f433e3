"""The plan's coverage header: what the plan is based on, and how the run got there."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from agent.nodes.tracking import PAUSED
from agent.state import Coverage, PlannerState, SourceCoverage

NODE_ORDER = (
    "collect_email",
    "collect_slack",
    "collect_calendar",
    "extract_tasks",
    "track_tasks",
    "plan_day",
    "write_plan",
)


def _reason(outcome: str | None) -> str:
    return "process killed" if outcome is None else outcome.removeprefix("error: ")


def describe_history(history: list[dict[str, Any]], attempt: int) -> tuple[list[str], list[str]]:
    """(resumed_steps, retried_steps) as sentences, from the recorded node executions."""
    resumed: list[str] = []
    retried: list[str] = []
    restored: list[str] = []
    for node in NODE_ORDER:
        # A pause for review and its continuation are one execution, not a retry.
        runs = [e for e in history if e["node"] == node and e["outcome"] != PAUSED]
        for run_attempt, group in groupby(runs, key=lambda e: e["attempt"]):
            tries = list(group)
            if len(tries) > 1:
                first_error = _reason(tries[0]["outcome"])
                retried.append(f"{node} retried {len(tries) - 1} time(s) in attempt {run_attempt} after: {first_error}")
        if attempt <= 1:
            continue
        earlier = [e for e in runs if e["attempt"] < attempt]
        now = [e for e in runs if e["attempt"] == attempt]
        if earlier and not now and any(e["outcome"] == "ok" for e in earlier):
            restored.append(node)
        elif earlier and now:
            last = earlier[-1]
            how = "was cut off" if last["outcome"] is None else "failed"
            if last["outcome"] == "ok":
                how = "completed but its checkpoint was not saved"
            why = _reason(last["outcome"])
            resumed.append(f"{node} {how} in attempt {last['attempt']} ({why}), ran again in attempt {attempt}")
    if restored:
        resumed.insert(
            0, f"resumed in attempt {attempt}: {', '.join(restored)} restored from checkpoints, not run again"
        )
    return resumed, retried


def build_coverage(
    state: PlannerState,
    *,
    scenario: str,
    durability: str,
    enabled_sources: tuple[str, ...],
    history: list[dict[str, Any]],
    attempt: int,
    replay_of: str | None = None,
) -> Coverage:
    sources: dict[str, SourceCoverage] = {}
    for name in ("email", "slack"):
        result = state[name]  # type: ignore[literal-required]
        sources[name] = {
            "status": "collected" if name in enabled_sources else "disabled",
            "fetched": result["fetched"],
            "messages": len(result["messages"]),
            "skipped": dict(sorted(result["skipped"].items())),
        }
    resumed, retried = describe_history(history, attempt)
    if replay_of is not None:
        # A replay re-runs finished steps on purpose: say that, not that their checkpoints were lost.
        again = [n for n in NODE_ORDER if any(e["node"] == n and e["attempt"] == attempt for e in history)]
        resumed = [f"replayed from checkpoint {replay_of}: {', '.join(again)} ran again with the current settings"]
    notes: list[str] = []
    if not any(s["messages"] for s in sources.values()):
        notes.append("no messages in the window: nothing to extract")
    if state.get("reviewed"):
        notes.append("your review: " + "; ".join(state["reviewed"]))
    coverage: Coverage = {
        "scenario": scenario,
        "window": {"start": state["since"], "end": state["now"]},
        "sources": sources,
        "durability": durability,
        "attempts": attempt,
        "resumed_steps": resumed,
        "retried_steps": retried,
        "notes": notes,
    }
    if "calendar" in state:
        coverage["calendar"] = state["calendar"]["coverage"]
    if "extraction" in state:
        coverage["extraction"] = state["extraction"]
    return coverage
