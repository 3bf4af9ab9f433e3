"""`cleanup --older-than` and `db info` on a database holding real runs of every kind.

The runs are made by main.py in subprocesses; the commands are called in-process through
agent.maintenance_commands (settings from the test's home, DATABASE_URL from the environment).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from agent.commands import durable_runtime
from agent.durability.dbinfo import masked_location
from agent.durability.retention import cleanup, format_duration, parse_duration
from agent.errors import UsageError
from agent.maintenance_commands import cmd_cleanup, cmd_db_info
from config.settings import Settings, load_settings
from tests.conftest import Home


def _settings(home: Home, monkeypatch: pytest.MonkeyPatch, url: str | None = None) -> Settings:
    monkeypatch.setenv("DATABASE_URL", url or home.database_url)
    return load_settings(home.path)


def _new_thread(home: Home, *args: str, code: int = 0) -> str:
    """Run main.py once and return the thread id of the run it created."""
    before = _thread_ids(home)
    result = home.run(*args)
    assert result.returncode == code, result.stderr
    (thread,) = _thread_ids(home) - before
    return thread


def _thread_ids(home: Home) -> set[str]:
    # Before the first run the tables do not exist yet.
    if not home.query("SELECT to_regclass('runs') IS NOT NULL AS present")[0]["present"]:
        return set()
    return {r["thread_id"] for r in home.runs()}


def _snapshot(home: Home) -> dict[str, Any]:
    """Everything cleanup must leave alone, plus what it may remove."""
    return {
        "checkpoint_threads": {r["thread_id"] for r in home.query("SELECT DISTINCT thread_id FROM checkpoints")},
        "runs": {r["thread_id"]: r["status"] for r in home.runs()},
        "executions": {
            r["thread_id"]: r["n"]
            for r in home.query("SELECT thread_id, count(*) AS n FROM node_executions GROUP BY thread_id")
        },
        "tasks": home.query("SELECT * FROM tasks ORDER BY account, id"),
        "watermarks": home.query("SELECT * FROM watermarks ORDER BY account, source, plan_date"),
        "plans": {p.name: p.read_bytes() for p in sorted(Path(home.plans).iterdir())},
    }


def _url_with_password(conninfo: str) -> tuple[str, str]:
    """The test database as a URL carrying a password (the real one, or one a trust server ignores)."""
    parts = conninfo_to_dict(conninfo)
    password = str(parts.get("password") or "s3cret-pw")
    host = str(parts.get("host") or "localhost")
    netloc_host, query = (host, "") if not host.startswith("/") else ("", f"?host={quote(host, safe='')}")
    url = (
        f"postgresql://{quote(str(parts.get('user') or 'postgres'))}:{quote(password)}@{netloc_host}"
        f":{parts.get('port') or 5432}/{parts['dbname']}{query}"
    )
    return url, password


def test_cleanup_removes_only_old_finished_runs_and_db_info_describes_them(
    home: Home, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    t = {
        "old_completed": _new_thread(home, "--scenario", "default", "--date", "2026-11-16"),
        "review": _new_thread(home, "--scenario", "default", "--date", "2026-11-17"),
        "recently_finished": _new_thread(home, "--scenario", "default", "--date", "2026-11-18"),
        "old_abandoned": _new_thread(home, "--scenario", "default", "--date", "2026-11-19"),
        # Last, so no later run resumes it.
        "failed": _new_thread(home, "--scenario", "slack_collection_failure", "--date", "2026-11-20", code=1),
    }
    age = "UPDATE runs SET started_at = now() - %s::interval, finished_at = {} WHERE thread_id = %s"
    home.execute(age.format("now() - interval '30 days'"), ("31 days", t["old_completed"]))
    # Started long ago but finished yesterday: finished_at decides, so it stays.
    home.execute(age.format("now() - interval '1 day'"), ("31 days", t["recently_finished"]))
    # No finish time: started_at decides.
    home.execute(age.format("NULL"), ("30 days", t["old_abandoned"]))
    home.execute("UPDATE runs SET status = 'abandoned' WHERE thread_id = %s", (t["old_abandoned"],))
    home.execute(age.format("NULL"), ("30 days", t["review"]))
    home.execute("UPDATE runs SET status = 'interrupted', waiting_for = 'review' WHERE thread_id = %s", (t["review"],))
    home.execute(age.format("NULL"), ("30 days", t["failed"]))
    doomed = {t["old_completed"], t["old_abandoned"]}

    # Replays record forks (agent.timetravel); the same table stands in when that feature has not created it.
    home.execute(
        """CREATE TABLE IF NOT EXISTS forks (
               id bigserial PRIMARY KEY, thread_id text NOT NULL, from_checkpoint text NOT NULL,
               created_at timestamptz NOT NULL DEFAULT now(), scenario text NOT NULL,
               outcome text NOT NULL DEFAULT 'running')"""
    )
    home.execute(
        "INSERT INTO forks (thread_id, from_checkpoint, scenario, outcome) VALUES "
        "(%s, 'c1', 'default', 'completed'), (%s, 'c2', 'default', 'completed')",
        (t["old_abandoned"], t["recently_finished"]),
    )
    before = _snapshot(home)
    assert set(t.values()) <= before["checkpoint_threads"]
    assert before["tasks"] and len(before["plans"]) == 8  # four days, .md and .json each

    # --- db info: where, which server, the tables and the runs by status ----------------------
    url, password = _url_with_password(home.database_url)
    assert cmd_db_info(_settings(home, monkeypatch, url)) == 0
    info = capsys.readouterr().out
    assert masked_location(url) in info and password not in info and "***" in info
    assert "external server" in info and "PostgreSQL 1" in info
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "runs", "node_executions", "watermarks"):
        assert f"\n{table} " in info, table
    assert "tasks" in info and "llm_extraction_cache" in info
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in info.splitlines()
        if line.split()[:1] and line.split()[0] in ("running", "failed", "interrupted", "completed", "abandoned")
    }
    assert counts == {"running": 0, "failed": 1, "interrupted": 1, "completed": 2, "abandoned": 1}
    assert "Waiting for review: 1" in info

    settings = _settings(home, monkeypatch)

    # --- dry run: reports both, deletes nothing --------------------------------------------------
    assert cmd_cleanup(settings, "14d", dry_run=True) == 0
    out = capsys.readouterr().out
    assert "Would remove 2 finished run(s) older than 14d" in out
    assert all(thread in out for thread in doomed)
    assert "Dry run: nothing was deleted" in out and "checkpoint_blobs" in out
    assert _snapshot(home) == before

    # --- a thread another process holds (its advisory lock) is left for the next cleanup -------
    with psycopg.connect(home.database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (t["old_completed"],))
        assert cmd_cleanup(settings, "14d", dry_run=False) == 0
    out = capsys.readouterr().out
    assert "Removed 1 finished run(s)" in out and t["old_abandoned"] in out
    assert "1 run(s) in use by another process" in out and "VACUUM ran" in out
    assert t["old_abandoned"] not in _snapshot(home)["runs"]
    assert t["old_completed"] in _snapshot(home)["runs"]

    # --- for real, through the API main.py calls after a run (retention.days) ----------------------
    with durable_runtime(settings) as rt:
        assert rt.store is not None
        report = cleanup(rt.store.db, rt.checkpointer, timedelta(days=14), dry_run=False)
    assert report.thread_ids == [t["old_completed"]] and not report.skipped
    assert report.rows["runs"] == 1 and report.rows["checkpoints"] > 0 and report.rows["node_executions"] > 0
    assert report.deleted_bytes > 0 and report.vacuumed
    assert report.sizes_after is not None and set(report.sizes_after) == set(report.sizes_before)
    assert {"checkpoints", "checkpoint_blobs", "checkpoint_writes", "runs", "tasks"} <= set(report.sizes_before)

    after = _snapshot(home)
    assert after["checkpoint_threads"] == before["checkpoint_threads"] - doomed
    assert after["runs"] == {k: v for k, v in before["runs"].items() if k not in doomed}
    assert after["executions"] == {k: v for k, v in before["executions"].items() if k not in doomed}
    for kept in ("tasks", "watermarks", "plans"):
        assert after[kept] == before[kept], kept
    assert [r["thread_id"] for r in home.query("SELECT thread_id FROM forks")] == [t["recently_finished"]]

    # Nothing left to do: a second cleanup removes nothing and says so.
    assert cmd_cleanup(settings, "14d", dry_run=False) == 0
    assert "No finished run is older than 14d" in capsys.readouterr().out
    assert _snapshot(home)["runs"] == after["runs"]


def test_durations_and_masking() -> None:
    assert parse_duration("14d") == timedelta(days=14)
    assert parse_duration("36h") == timedelta(hours=36)
    assert parse_duration(" 2W ") == timedelta(weeks=2)
    assert parse_duration("1.5d") == timedelta(hours=36)
    for bad in ("14", "d", "-1d", "3 months", "90m"):
        with pytest.raises(UsageError, match="not a duration"):
            parse_duration(bad)
    assert [format_duration(parse_duration(s)) for s in ("14d", "36h", "2w", "1.5h")] == ["14d", "36h", "14d", "1.5h"]
    assert masked_location("postgresql://planner:hunter2@db:5432/planner") == "postgresql://planner:***@db:5432/planner"
    assert masked_location("host=db password=hunter2 dbname=planner") == "host=db password=*** dbname=planner"
    assert masked_location("postgresql://db/planner?password=hunter2&sslmode=require") == (
        "postgresql://db/planner?password=***&sslmode=require"
    )


def test_cli_and_retention_days_after_a_completed_run(home: Home) -> None:
    assert home.run("--scenario", "default", "--date", "2026-11-10").returncode == 0
    old = home.runs()[0]["thread_id"]
    home.execute("UPDATE runs SET started_at = now() - interval '30 days', finished_at = now() - interval '30 days'")
    dry = home.run("cleanup", "--older-than", "14d", "--dry-run")
    assert dry.returncode == 0 and old in dry.stdout
    assert home.query("SELECT count(*) AS n FROM checkpoints WHERE thread_id = %s", (old,))[0]["n"] > 0
    info = home.run("db", "info")
    assert info.returncode == 0 and "completed" in info.stdout and "checkpoints" in info.stdout
    bad = home.run("cleanup", "--older-than", "soon")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

    # retention.days: the next completed run removes what is older than that.
    config = home.path / "config" / "durability_config.yaml"
    config.write_text(config.read_text().replace("days: null", "days: 14"))
    assert home.run("--scenario", "default", "--date", "2026-11-20").returncode == 0
    assert home.query("SELECT count(*) AS n FROM checkpoints WHERE thread_id = %s", (old,))[0]["n"] == 0
    assert [r["plan_date"].isoformat() for r in home.runs()] == ["2026-11-20"]
    assert (home.plans / "2026-11-10.json").exists()  # plan files are never touched
