from __future__ import annotations

from agent.coverage import describe_history


def _e(node: str, attempt: int, outcome: str | None) -> dict:
    return {"node": node, "attempt": attempt, "outcome": outcome}


def test_first_attempt_without_retries_reports_nothing() -> None:
    history = [_e(n, 1, "ok") for n in ("collect_email", "collect_slack", "extract_tasks", "plan_day")]
    assert describe_history([*history, _e("write_plan", 1, None)], attempt=1) == ([], [])


def test_resume_after_failure_names_restored_and_rerun_steps() -> None:
    history = [
        _e("collect_email", 1, "ok"),
        _e("collect_slack", 1, "error: SourceError: down"),
        _e("collect_slack", 2, "ok"),
        _e("extract_tasks", 2, "ok"),
        _e("plan_day", 2, "ok"),
        _e("write_plan", 2, None),
    ]
    resumed, retried = describe_history(history, attempt=2)
    assert resumed[0] == "resumed in attempt 2: collect_email restored from checkpoints, not run again"
    assert resumed[1] == "collect_slack failed in attempt 1 (SourceError: down), ran again in attempt 2"
    assert retried == []


def test_crash_is_reported_as_cut_off_and_retries_are_counted() -> None:
    history = [
        _e("collect_email", 1, "ok"),
        _e("collect_slack", 1, "error: TransientSourceError: 429"),
        _e("collect_slack", 1, "ok"),
        _e("extract_tasks", 1, None),
        _e("extract_tasks", 2, "ok"),
    ]
    resumed, retried = describe_history(history, attempt=2)
    assert "extract_tasks was cut off in attempt 1 (process killed), ran again in attempt 2" in resumed
    assert "collect_email, collect_slack restored" in resumed[0]
    assert retried == ["collect_slack retried 1 time(s) in attempt 1 after: TransientSourceError: 429"]
