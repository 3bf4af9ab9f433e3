"""Startup recovery: find unfinished runs, lock each, resume it with invoke(None), record.

Each unfinished run is handed to exactly one process: the advisory lock decides, and a
process that cannot get it skips the run and says who holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.durability.locks import ThreadLock, lock_holder
from agent.durability.runs import UNFINISHED
from agent.errors import RunFailed
from agent.runner import Runtime, execute
from mocks.scenarios import Scenario


@dataclass(frozen=True)
class Recovered:
    thread_id: str
    outcome: str  # "completed", "failed", "abandoned", "skipped"
    detail: str


def resume_thread(rt: Runtime, scenario: Scenario | None, row: dict[str, Any], lock: ThreadLock) -> Recovered:
    """Resume one run whose lock the caller holds."""
    assert rt.store is not None and lock.acquired
    thread_id = row["thread_id"]
    row = rt.store.get(thread_id) or row  # re-read under the lock: another process may have finished it
    if row["status"] not in UNFINISHED:
        return Recovered(thread_id, "skipped", f"already {row['status']}")
    max_attempts = rt.settings.resume.max_attempts
    if row["attempts"] >= max_attempts:
        rt.store.finish(thread_id, "abandoned", error=row["last_error"], node=row["failed_node"])
        return Recovered(
            thread_id,
            "abandoned",
            f"failed {row['attempts']} times (resume.max_attempts is {max_attempts}); not retried",
        )
    was = "crashed" if row["status"] == "running" else row["status"]
    row = rt.store.start_attempt(thread_id, scenario.name if scenario else "live")
    rt.report(f"Resuming {was} run {thread_id} (attempt {row['attempts']}, plan date {row['plan_date']})")
    try:
        outcome = execute(rt, scenario, thread_id, attempt=row["attempts"], row=row, resume=True)
    except RunFailed as exc:
        status = (rt.store.get(thread_id) or {}).get("status", "failed")
        return Recovered(thread_id, status, str(exc))
    return Recovered(thread_id, "completed", outcome.outputs.get("markdown", ""))


def recover(rt: Runtime, scenario: Scenario | None) -> list[Recovered]:
    """Resume every unfinished run younger than resume.max_age_hours, oldest first."""
    assert rt.store is not None
    results: list[Recovered] = []
    for row in rt.store.unfinished(rt.settings.resume.max_age_hours):
        with ThreadLock(rt.store.db, row["thread_id"]) as lock:
            if lock.acquired:
                rec = resume_thread(rt, scenario, row, lock)
            else:
                holder = lock_holder(rt.store.db, row["thread_id"]) or "another process"
                rec = Recovered(row["thread_id"], "skipped", f"being run by {holder}")
        rt.report(f"Recovered run {rec.thread_id}: {rec.outcome} ({rec.detail})")
        results.append(rec)
    return results
