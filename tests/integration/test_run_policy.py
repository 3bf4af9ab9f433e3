"""resume.max_age_hours, resume.max_attempts and --new."""

from __future__ import annotations

from agent.durability.runs import UNFINISHED_SQL
from tests.conftest import PLAN_DATE, Home, said


def test_runs_older_than_max_age_are_not_resumed(home: Home) -> None:
    assert home.run("--scenario", "slack_collection_failure", "--date", PLAN_DATE).returncode == 1
    home.execute("UPDATE runs SET started_at = now() - interval '25 hours'")
    later = home.run("--scenario", "default", "--date", "2026-11-23")
    assert later.returncode == 0, later.stderr
    assert "Resuming" not in said(later)
    assert "1 unfinished run(s) older than resume.max_age_hours (24 h) were left alone" in said(later)
    statuses = sorted((r["plan_date"].isoformat(), r["status"]) for r in home.runs())
    assert statuses == [(PLAN_DATE, "failed"), ("2026-11-23", "completed")]
    status = home.run("status")
    assert status.returncode == 0 and "failed" in status.stdout and "collect_slack" in status.stdout


def test_run_failing_max_attempts_times_is_abandoned_and_not_retried(home: Home) -> None:
    config = (home.path / "config" / "durability_config.yaml").read_text()
    home.set_config("durability_config.yaml", config.replace("max_attempts: 5", "max_attempts: 2"))
    first = home.run("--scenario", "slack_collection_failure", "--date", PLAN_DATE)
    assert first.returncode == 1 and "attempt 1 of 2" in said(first)
    doomed = home.runs()[0]["thread_id"]

    # The resume fails a second time: the run is abandoned and reported; the day's new run fails too.
    second = home.run("--scenario", "slack_collection_failure", "--date", PLAN_DATE)
    assert second.returncode == 1
    assert f"Recovered run {doomed}: abandoned" in said(second)
    runs = {r["thread_id"]: r for r in home.runs()}
    assert (runs[doomed]["status"], runs[doomed]["attempts"]) == ("abandoned", 2)

    # An abandoned run is never retried; the other failed run is resumed and completes.
    third = home.run("--scenario", "default", "--date", PLAN_DATE)
    assert third.returncode == 0, third.stderr
    assert f"Resuming failed run {doomed}" not in said(third)
    assert "Resuming failed run" in said(third)
    assert home.executions(doomed)["collect_slack"] == 2
    assert sorted(r["status"] for r in home.runs()) == ["abandoned", "completed"]


def test_existing_plan_is_shown_and_new_forces_a_fresh_run(home: Home) -> None:
    first = home.run("--scenario", "default", "--date", PLAN_DATE)
    assert first.returncode == 0, first.stderr
    again = home.run("--scenario", "default", "--date", PLAN_DATE)
    assert again.returncode == 0
    assert f"A completed plan for {PLAN_DATE} already exists" in said(again)
    assert again.stdout == first.stdout
    assert len(home.runs()) == 1
    fresh = home.run("--scenario", "default", "--date", PLAN_DATE, "--new")
    assert fresh.returncode == 0 and "already exists" not in said(fresh)
    assert [r["status"] for r in home.runs()] == ["completed", "completed"]
    assert home.executions()["collect_email"] == 2


def test_two_processes_starting_on_an_empty_database_both_succeed(home: Home) -> None:
    # Schema creation (checkpointer setup() and the app tables) is serialised by a lock.
    procs = [home.start("--scenario", "empty_day", "--date", day) for day in ("2026-11-23", "2026-11-24")]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert sorted(r["status"] for r in home.runs()) == ["completed", "completed"]


def test_finding_unfinished_runs_uses_the_partial_index_with_100k_runs(home: Home) -> None:
    assert home.run("--scenario", "empty_day", "--date", PLAN_DATE).returncode == 0
    home.execute(
        """INSERT INTO runs (thread_id, plan_date, scenario, status, attempts, started_at, as_of, window_start)
           SELECT 'bulk-' || i, DATE '2026-01-01' + (i % 300), 'default',
                  CASE WHEN i % 100 = 0 THEN 'failed' ELSE 'completed' END, 1,
                  now() - (i || ' minutes')::interval, now(), now()
           FROM generate_series(1, 100000) AS i"""
    )
    home.execute("ANALYZE runs")
    rows = home.query("EXPLAIN " + UNFINISHED_SQL.replace("%(secs)s", "86400"))
    plan = "\n".join(row["QUERY PLAN"] for row in rows)
    assert "runs_unfinished_idx" in plan, plan
    status = home.run("status", "--limit", "3")
    assert status.returncode == 0 and len(status.stdout.splitlines()) == 4
