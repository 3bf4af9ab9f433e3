"""Failures, crashes and resumes, proven with real processes, real kills and real PostgreSQL."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from tests.conftest import PLAN_DATE, Home, comparable, said


def _only_run(home: Home) -> dict[str, Any]:
    runs = home.runs()
    assert len(runs) == 1, runs
    return runs[0]


def test_slack_failure_then_default_resumes_without_recollecting_email(home: Home, clean_default_plan: dict) -> None:
    failed = home.run("--scenario", "slack_collection_failure", "--date", PLAN_DATE)
    assert failed.returncode == 1
    assert "failed in collect_slack" in said(failed)
    assert "Traceback" not in said(failed)
    run = _only_run(home)
    assert (run["status"], run["failed_node"], run["attempts"]) == ("failed", "collect_slack", 1)
    assert not (home.plans / f"{PLAN_DATE}.json").exists()

    resumed = home.run("--scenario", "default", "--date", PLAN_DATE)
    assert resumed.returncode == 0, resumed.stderr
    assert "↺ collect_email: 32 messages (restored from its checkpoint, not run again)" in resumed.stderr
    run = _only_run(home)
    assert (run["status"], run["attempts"]) == ("completed", 2)
    counts = home.executions(run["thread_id"])
    assert counts == {
        "collect_email": 1,
        "collect_slack": 2,
        "collect_calendar": 1,
        "extract_tasks": 1,
        "track_tasks": 1,
        "plan_day": 1,
        "write_plan": 1,
    }
    plan = home.plan_json()
    assert comparable(plan) == clean_default_plan
    restored = plan["coverage"]["resumed_steps"][0]
    assert (
        restored.startswith("resumed in attempt 2:") and "collect_email" in restored and "collect_slack" not in restored
    )


def test_crash_during_extraction_resumes_at_extraction(home: Home, clean_default_plan: dict) -> None:
    crashed = home.run("--scenario", "crash_during_extraction", "--date", PLAN_DATE)
    assert crashed.returncode == -signal.SIGKILL
    run = _only_run(home)
    assert run["status"] == "running"  # exactly what a crash leaves: only the free lock tells
    assert home.executions() == {"collect_email": 1, "collect_slack": 1, "collect_calendar": 1, "extract_tasks": 1}

    resumed = home.run("--scenario", "crash_during_extraction", "--date", PLAN_DATE)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming crashed run" in said(resumed)
    assert home.executions() == {
        "collect_email": 1,
        "collect_slack": 1,
        "collect_calendar": 1,
        "extract_tasks": 2,
        "track_tasks": 1,
        "plan_day": 1,
        "write_plan": 1,
    }
    assert _only_run(home)["status"] == "completed"
    assert comparable(home.plan_json()) == clean_default_plan


def _slow_scenario(home: Home, seconds: float) -> Path:
    """`default` with every Slack API call delayed by ``seconds``."""
    path = home.path / "slow.yaml"
    path.write_text(
        "description: default, with a slow Slack collector\nfixtures: default\nfaults:\n"
        f"  - node: collect_slack\n    kind: latency\n    latency_ms: {int(seconds * 1000)}\n"
    )
    return path


def _wait_for(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_two_processes_never_run_the_same_thread(home: Home) -> None:
    failed = home.run("--scenario", "slack_collection_failure", "--date", PLAN_DATE)
    assert failed.returncode == 1
    thread = _only_run(home)["thread_id"]
    slow = str(_slow_scenario(home, 0.15))  # the Slack collector makes ~20 calls: the lock is held for seconds
    # Different dates, so both processes go for the same unfinished run and then plan their own day.
    first = home.start("--scenario", slow, "--date", "2026-11-23")
    second = home.start("--scenario", slow, "--date", "2026-11-24")
    out = [p.communicate(timeout=120) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], out
    stderr = [" ".join(err.split()) for _, err in out]
    resumed_by = [i for i, err in enumerate(stderr) if f"Resuming failed run {thread}" in err]
    assert len(resumed_by) == 1, stderr
    other = stderr[1 - resumed_by[0]]
    assert f"Recovered run {thread}: skipped (being run by" in other
    executions = home.query(
        "SELECT node, attempt, pid FROM node_executions WHERE thread_id = %s AND attempt = 2", (thread,)
    )
    assert sorted(e["node"] for e in executions) == [
        "collect_slack",
        "extract_tasks",
        "plan_day",
        "track_tasks",
        "write_plan",
    ]
    assert len({e["pid"] for e in executions}) == 1
    statuses = {r["plan_date"].isoformat(): r["status"] for r in home.runs()}
    assert statuses == {PLAN_DATE: "completed", "2026-11-23": "completed", "2026-11-24": "completed"}


def test_lock_holder_killed_then_another_process_resumes(home: Home, clean_default_plan: dict) -> None:
    slow = str(_slow_scenario(home, 60))
    holder = home.start("--scenario", slow, "--date", PLAN_DATE)
    _wait_for(lambda: "collect_slack" in home.executions() if _has_tables(home) else False)
    thread = _only_run(home)["thread_id"]

    # While the holder lives, another process must not touch its thread.
    blocked = home.run("--scenario", "default", "--date", "2026-11-23")
    assert blocked.returncode == 0, blocked.stderr
    assert f"Recovered run {thread}: skipped (being run by" in said(blocked)
    assert f":{holder.pid})" in said(blocked)

    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    resumed = home.run("--scenario", "default", "--date", PLAN_DATE)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming crashed run {thread}" in said(resumed)
    counts = home.executions(thread)
    assert counts["collect_email"] == 1 and counts["collect_slack"] == 2
    assert comparable(home.plan_json()) == clean_default_plan


def _has_tables(home: Home) -> bool:
    return bool(home.query("SELECT to_regclass('node_executions') AS t")[0]["t"])


def test_sigterm_interrupts_and_next_start_resumes(home: Home) -> None:
    slow = str(_slow_scenario(home, 60))
    proc = home.start("--scenario", slow, "--date", PLAN_DATE)
    _wait_for(lambda: _has_tables(home) and "collect_slack" in home.executions())
    time.sleep(0.3)  # let collect_email's write land
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "interrupted" in err and "Traceback" not in err
    run = _only_run(home)
    assert run["status"] == "interrupted"
    resumed = home.run("--scenario", "default", "--date", PLAN_DATE)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming interrupted run" in said(resumed)
    assert home.executions(run["thread_id"])["collect_email"] == 1
