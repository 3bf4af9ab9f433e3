"""Review before the plan is written: pause at interrupt(), walk away, pick it up in a new process."""

from __future__ import annotations

from tests.conftest import PLAN_DATE, Home, said


def _waiting(home: Home) -> list[dict]:
    return home.query("SELECT * FROM runs WHERE waiting_for = 'review'")


def test_review_pauses_survives_auto_resume_and_accepts_edits_later(home: Home) -> None:
    code, screen = home.run_in_terminal("--review", "--date", PLAN_DATE, answers=["l"])
    assert code == 0, screen
    assert "Draft plan for 2026-11-20" in screen and "waits for your review" in screen
    [run] = _waiting(home)
    assert run["status"] == "interrupted"
    assert not (home.plans / f"{PLAN_DATE}.json").exists()

    # Another day's run must not resume (or touch) the run waiting for review.
    other = home.run("--date", "2026-11-23")
    assert other.returncode == 0 and "Resuming" not in said(other)
    assert [r["thread_id"] for r in _waiting(home)] == [run["thread_id"]]
    status = home.run("status")
    assert "waiting:review" in status.stdout

    # A new process picks it up: drop task 1, make task 2 a P3 of 120 min, add one by hand.
    code, screen = home.run_in_terminal(
        "review", answers=["d 1", "p 2 P3", "e 2 120", "+ Write the quarterly letter; 45; P1", "a"]
    )
    assert code == 0, screen
    assert not _waiting(home)
    plan = home.plan_json()
    titles = [t["title"] for t in plan["tasks"]]
    first_line = next(line for line in screen.splitlines() if line.strip().startswith("1. ["))
    dropped_title = first_line.split("] ", 1)[1].rsplit(" (", 1)[0]
    assert dropped_title not in titles
    assert "Write the quarterly letter" in titles
    manual = next(t for t in plan["tasks"] if t["title"] == "Write the quarterly letter")
    assert manual["priority"] == "P1" and manual["estimate_minutes"] == 45 and manual["scheduled"]
    changed = [t for t in plan["tasks"] if t["priority_reason"] == "set by you"]
    assert changed and changed[0]["priority"] == "P3" and changed[0]["estimate_minutes"] == 120
    assert any("your review" in note for note in plan["coverage"]["notes"])
    counts = home.executions(run["thread_id"])
    assert counts["collect_email"] == 1 and counts["plan_day"] == 1  # nothing before the review ran again
    assert home.query("SELECT status FROM runs WHERE thread_id = %s", (run["thread_id"],))[0]["status"] == "completed"


def test_review_without_a_terminal_fails_clearly(home: Home) -> None:
    result = home.run("--review", "--date", PLAN_DATE)  # stdin is not a terminal under subprocess.run
    assert result.returncode == 2
    assert "not a terminal" in said(result) and "Traceback" not in result.stderr
    assert home.run("review").returncode == 2


def test_moving_a_task_to_tomorrow_snoozes_it(home: Home) -> None:
    code, screen = home.run_in_terminal("--review", "--date", PLAN_DATE, answers=["t 1", "a"])
    assert code == 0, screen
    snoozed = home.query("SELECT id, snoozed_until FROM tasks WHERE status = 'snoozed'")
    assert len(snoozed) == 1 and str(snoozed[0]["snoozed_until"]) == "2026-11-21"
    assert snoozed[0]["id"] not in {t["id"] for t in home.plan_json()["tasks"]}
