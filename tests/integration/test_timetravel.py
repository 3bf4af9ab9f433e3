"""Time travel: history with branches, show, and replay from a checkpoint with today's settings.

The commands run through main.py in subprocesses once main.py has the subcommands; until then
the same cmd_* functions are called in-process against the same home and database.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO

import psycopg
import pytest

from agent.errors import PlannerError
from tests.conftest import PLAN_DATE, Home, said

COLLECTORS = ("collect_email", "collect_slack", "collect_calendar")
CHECKPOINT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _wired() -> bool:
    import main

    parser = main.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"history", "show", "replay"} <= set(sub.choices)


class Cli:
    """history / show / replay: a main.py subprocess when wired, else the cmd_* functions in-process."""

    def __init__(self, home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
        self.home = home
        self.monkeypatch = monkeypatch
        self.subprocess = _wired()

    def history(self, thread: str) -> subprocess.CompletedProcess[str]:
        return self._call(["history", thread], "cmd_history", thread)

    def show(self, thread: str, checkpoint: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = ["--checkpoint", checkpoint] if checkpoint else []
        return self._call(["show", thread, *extra], "cmd_show", thread, checkpoint)

    def replay(self, thread: str, checkpoint: str, scenario: str = "default") -> subprocess.CompletedProcess[str]:
        argv = ["replay", thread, "--from", checkpoint, "--scenario", scenario]
        return self._call(argv, "cmd_replay", thread, checkpoint, scenario)

    def _call(self, argv: list[str], name: str, *args: str | None) -> subprocess.CompletedProcess[str]:
        if self.subprocess:
            return self.home.run(*argv)
        from agent import timetravel_commands
        from config.settings import load_settings

        self.monkeypatch.setenv("DATABASE_URL", self.home.database_url)
        # cmd_replay installs the run's signal handlers; pytest's own must come back afterwards.
        saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        out, err = StringIO(), StringIO()
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = getattr(timetravel_commands, name)(load_settings(self.home.path), *args)
        except PlannerError as exc:  # what main.py does with it
            code = exc.exit_code
            err.write(f"\nError: {exc}\n")
        finally:
            for signum, handler in saved.items():
                signal.signal(signum, handler)
        return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(home: Home, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(home, monkeypatch)


@pytest.fixture
def planned(home: Home) -> Iterator[str]:
    """A completed `default` run for PLAN_DATE; yields its thread id."""
    done = home.run("--scenario", "default", "--date", PLAN_DATE)
    assert done.returncode == 0, done.stderr
    yield home.runs()[0]["thread_id"]


def _checkpoint_after(history: str, node: str) -> str:
    """The id of the original run's checkpoint that ``node`` produced, read from ``history``."""
    original = history.split("Branch 2")[0]
    found = re.findall(rf"^\s+\d+\s+{node}\s.*\s({CHECKPOINT_ID.pattern})$", original, re.M)
    assert len(found) == 1, history
    return found[0]


def _first_task_block(plan: dict) -> str:
    return min(b["start"] for b in plan["blocks"] if b["kind"] == "task")


def test_replay_after_extraction_uses_new_settings_without_collecting(home: Home, cli: Cli, planned: str) -> None:
    thread = planned
    before = home.executions(thread)
    old_plan = home.plan_json()
    assert old_plan["workday"]["start"][11:16] == "09:00"
    start = _checkpoint_after(cli.history(thread).stdout, "extract_tasks")

    # Re-plan after changing the working hours, without collecting or extracting again.
    config = (home.path / "config" / "planner_config.yaml").read_text()
    home.set_config("planner_config.yaml", config.replace('workday_start: "09:00"', 'workday_start: "10:00"'))
    replayed = cli.replay(thread[:-3], start[:13])  # prefixes are enough
    assert replayed.returncode == 0, replayed.stderr
    assert f"Replaying run {thread} from checkpoint {start}" in said(replayed)

    after = home.executions(thread)
    assert {n: after[n] for n in COLLECTORS} == {n: before[n] for n in COLLECTORS}
    assert after["extract_tasks"] == before["extract_tasks"] == 1
    assert {n: after[n] - before[n] for n in ("track_tasks", "plan_day", "write_plan")} == {
        "track_tasks": 1,
        "plan_day": 1,
        "write_plan": 1,
    }
    new_plan = home.plan_json()
    assert new_plan["workday"]["start"][11:16] == "10:00"
    [how] = new_plan["coverage"]["resumed_steps"]
    assert how.startswith("replayed from checkpoint") and "track_tasks, plan_day, write_plan ran again" in how
    assert _first_task_block(new_plan)[11:16] >= "10:00" > _first_task_block(old_plan)[11:16]
    assert "Workday 10:00–17:30" in replayed.stdout  # the new plan is printed

    run = home.runs()[0]
    assert (run["status"], run["attempts"]) == ("completed", 2)
    forks = home.query("SELECT thread_id, from_checkpoint, scenario, outcome FROM forks")
    assert forks == [{"thread_id": thread, "from_checkpoint": start, "scenario": "default", "outcome": "completed"}]

    history = cli.history(thread)
    assert history.returncode == 0, history.stderr
    text = history.stdout
    assert "2 branches" in text
    assert "Branch 1: the original run" in text
    assert f"Branch 2 (current): replay of {start}" in text
    original, branch = text.split("Branch 2 (current)")
    for node in (*COLLECTORS, "extract_tasks", "write_plan"):
        assert node in original
    # The branch starts with the fork (a copy of the start), then the nodes after extract_tasks run again.
    nodes = re.findall(r"^\s+-?\d+\s+(\S+)", branch.split("CHECKPOINT", 1)[1], re.M)
    assert nodes == ["fork", "track_tasks", "plan_day", "write_plan"]
    # Each branch lists its checkpoints oldest first, with the state keys its node wrote.
    assert re.search(r"^\s+\d+\s+plan_day\s.*\bplan\b", branch, re.M)
    assert len(CHECKPOINT_ID.findall(text)) == len(home.query("SELECT 1 FROM checkpoints")) + 1  # + the header's

    # show: the latest state (the replay's), and the state at the fork point.
    latest = cli.show(thread)
    assert latest.returncode == 0, latest.stderr
    assert "Plan: workday 10:00" in latest.stdout and "Next: nothing" in latest.stdout
    at_start = cli.show(thread, start[:13])
    assert at_start.returncode == 0, at_start.stderr
    assert f"plan date {PLAN_DATE}" in at_start.stdout
    assert "Next: track_tasks" in at_start.stdout and "Plan: not made yet" in at_start.stdout
    assert re.search(r"^Email: \d+ messages", at_start.stdout, re.M)
    assert re.search(r"^Tasks: \d+", at_start.stdout, re.M)


def test_show_before_collection_and_history_of_a_plain_run(home: Home, cli: Cli, planned: str) -> None:
    history = cli.history(planned[:30])
    assert history.returncode == 0, history.stderr
    assert "1 branch," in history.stdout and "Branch 1 (current): the original run" in history.stdout
    ids = CHECKPOINT_ID.findall(history.stdout)
    first = cli.show(planned, ids[0])
    assert first.returncode == 0, first.stderr
    assert "not applied yet" in first.stdout and "Email: not collected yet" in first.stdout


def test_unknown_or_ambiguous_ids_are_usage_errors(home: Home, cli: Cli, planned: str) -> None:
    for result in (cli.history("nope-thread"), cli.show("nope-thread"), cli.replay("nope-thread", "1f")):
        assert result.returncode == 2
        assert "No run has a thread id starting with 'nope-thread'" in said(result)
        assert "Traceback" not in result.stderr

    missing = cli.show(planned, "0000dead")
    assert missing.returncode == 2
    assert f"Run {planned} has no checkpoint whose id starts with '0000dead'" in said(missing)
    ambiguous = cli.replay(planned, missing_prefix := _common_prefix(home, planned))
    assert ambiguous.returncode == 2
    assert f"'{missing_prefix}' matches" in said(ambiguous) and "Give more of the checkpoint id" in said(ambiguous)

    end = home.query(
        "SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s ORDER BY checkpoint_id DESC LIMIT 1", (planned,)
    )[0]["checkpoint_id"]
    finished = cli.replay(planned, end)
    assert finished.returncode == 2 and "nothing runs after it" in said(finished)
    assert home.query("SELECT count(*) AS n FROM forks")[0]["n"] == 0
    assert json.loads((home.plans / f"{PLAN_DATE}.json").read_text())["thread_id"] == planned


def _common_prefix(home: Home, thread: str) -> str:
    """A prefix every checkpoint id of the thread shares (they are time-ordered UUIDs)."""
    ids = [
        r["checkpoint_id"] for r in home.query("SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s", (thread,))
    ]
    prefix = ids[0]
    for cid in ids[1:]:
        while not cid.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def test_replay_skips_a_thread_another_process_holds(home: Home, cli: Cli, planned: str) -> None:
    history = cli.history(planned).stdout
    start = _checkpoint_after(history, "extract_tasks")
    with psycopg.connect(home.database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (planned,))
        skipped = cli.replay(planned, start)
    assert skipped.returncode == 1
    assert f"Not replayed: run {planned} is being run by database session" in said(skipped)
    assert home.query("SELECT count(*) AS n FROM forks")[0]["n"] == 0
    assert home.runs()[0]["attempts"] == 1
