"""What each CLI command does. main.py parses arguments and prints; the work is here."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from agent.daily import DayResult, plan_today, run_as_of
from agent.durability.runs import RunStore
from agent.errors import UsageError
from agent.output import PlanFiles
from agent.runner import Runtime, abort_on_signal
from config.settings import Settings
from mocks.scenarios import Scenario, available, load_scenario

if TYPE_CHECKING:
    from agent.durability.tasks import TaskStore


def echo(message: str = "") -> None:
    """Progress and notes go to stderr, so stdout carries only the plan."""
    print(message, file=sys.stderr, flush=True)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"'{text}' is not a date. Use the form YYYY-MM-DD, for example 2026-11-23.") from None


@contextmanager
def durable_runtime(settings: Settings) -> Iterator[Runtime]:
    """The process's runtime: with durability on, one pool and the checkpointer; closed at exit."""
    if not settings.durability.enabled:
        yield Runtime(settings=settings, report=echo)
        return
    from agent.durability.checkpointer import open_durable

    db, saver = open_durable(settings, echo)
    try:
        yield Runtime(settings=settings, store=RunStore(db, os.getpid()), checkpointer=saver, report=echo)
    finally:
        db.close()


def active_scenario(settings: Settings, override: str | None) -> Scenario | None:
    if override is None and not settings.mock.enabled:
        return None
    return load_scenario(override or settings.mock.active_scenario)


def parse_since(text: str, as_of: datetime) -> datetime:
    """'2d', '36h', '90m', '1w' before the run's time, or an ISO date / date-time (local when naive)."""
    from agent.durability.retention import duration

    back = duration(text, units="wdhm")
    if back is not None:
        return as_of - back
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--since '{text}' is neither a duration (like 2d, 36h, 90m) nor an ISO date or date-time "
            "(like 2026-11-20 or 2026-11-20T17:00)."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=as_of.tzinfo)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _review(rt: Runtime, scenario: Scenario | None, result: DayResult) -> DayResult:
    """Show the paused draft, take the user's edits, and finish the run; or leave it waiting."""
    from agent.daily import finish_review
    from agent.review import review_in_terminal

    assert result.draft is not None and result.thread_id is not None
    edits = review_in_terminal(
        result.draft, tz=rt.settings.user.tz, default_minutes=rt.settings.planner.default_estimate_minutes
    )
    if edits is None:
        echo(f"\nRun {result.thread_id} waits for your review; 'python main.py review' picks it up.")
        return result
    return finish_review(rt, scenario, result.thread_id, edits)


def _retention(rt: Runtime) -> None:
    """retention.days: after a completed run, clean up finished runs older than that."""
    days = rt.settings.retention.days
    if rt.store is None or not days:
        return
    import psycopg

    from agent.durability.retention import cleanup

    try:
        report = cleanup(rt.store.db, rt.checkpointer, timedelta(days=days), dry_run=False)
    except psycopg.Error as exc:  # the plan is written; a failed clean-up must not fail the run
        echo(f"Retention clean-up skipped: {exc}")
        return
    if report.removed:
        echo(report.summary())


def cmd_run(
    settings: Settings,
    *,
    scenario_name: str | None,
    plan_date: str | None,
    new: bool,
    since: str | None = None,
    review: bool = False,
) -> int:
    if review and not _interactive():
        raise UsageError(
            "--review shows the draft plan and asks for your changes, but standard input is not a terminal. "
            "Run it in a terminal, or run without --review."
        )
    review = review or settings.planner_file.review.enabled
    if review and not settings.durability.enabled:
        raise UsageError("Review pauses the run in its checkpoints, so it needs durability.enabled: true.")
    scenario = active_scenario(settings, scenario_name)
    if scenario is None:
        from collectors.live import check_credentials

        check_credentials(settings)
    day = parse_date(plan_date) if plan_date else None
    as_of = run_as_of(day, settings.user.tz)
    window_start = parse_since(since, as_of) if since else None
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, abort_on_signal)
    with durable_runtime(settings) as rt:
        if rt.store is None:
            echo(
                "Durability is disabled (durability.enabled: false): nothing is checkpointed and a failed run "
                "cannot be resumed."
            )
        result = plan_today(rt, scenario, as_of=as_of, new=new or since is not None, since=window_start, review=review)
        if result.draft is not None and _interactive():
            result = _review(rt, scenario, result)
        if result.draft is None and not result.already_planned:
            _retention(rt)
    if result.stale_runs:
        echo(
            f"{result.stale_runs} unfinished run(s) older than resume.max_age_hours "
            f"({settings.resume.max_age_hours:g} h) were left alone; 'python main.py status' lists them."
        )
    if result.draft is not None:
        print(f"The plan for {result.plan_date} waits for your review: run 'python main.py review' in a terminal.")
        return 0
    if result.already_planned:
        echo(
            f"A completed plan for {result.plan_date} already exists (run {result.thread_id}); showing it. "
            "Use --new to plan the day again."
        )
    echo()
    print(result.markdown or f"(the plan file for {result.plan_date} is missing)")
    return 0


def cmd_review(settings: Settings, thread: str | None) -> int:
    """Pick up a run waiting for review, possibly in a new process."""
    from agent.daily import review_draft

    if not _interactive():
        raise UsageError("'review' asks for your changes, but standard input is not a terminal. Run it in a terminal.")
    with durable_runtime(settings) as rt:
        assert rt.store is not None
        waiting = rt.store.waiting_reviews()
        if thread is not None:
            row = rt.store.resolve(thread)
            waiting = [r for r in waiting if r["thread_id"] == row["thread_id"]]
        if not waiting:
            print("No run is waiting for review.")
            return 0
        row = waiting[0]
        draft = DayResult(plan_date=row["plan_date"], thread_id=row["thread_id"], markdown=None)
        draft.draft = review_draft(rt, row["thread_id"])
        result = _review(rt, active_scenario(settings, None), draft)
    if result.markdown:
        print(result.markdown)
    return 0


def cmd_plan(settings: Settings, plan_date: str | None) -> int:
    day = parse_date(plan_date) if plan_date else run_as_of(None, settings.user.tz).date()
    markdown = PlanFiles(settings.plans_dir).read_markdown(day.isoformat())
    if markdown is None:
        raise UsageError(
            f"There is no saved plan for {day} in {settings.plans_dir}. Run 'python main.py' "
            f"(or 'python main.py --date {day}') to make one."
        )
    print(markdown)
    return 0


def cmd_status(settings: Settings, limit: int) -> int:
    from agent.inspect_runs import human_age, next_nodes

    if not settings.durability.enabled:
        raise UsageError("Durability is disabled (durability.enabled: false), so no runs are recorded.")
    from agent.durability.locks import lock_holder

    with durable_runtime(settings) as rt:
        assert rt.store is not None
        rows = rt.store.recent(limit)
        pending = next_nodes(rt.checkpointer, [r["thread_id"] for r in rows if r["status"] != "completed"])
        for r in rows:
            # A 'running' row whose lock nobody holds belongs to a process that died.
            if r["status"] == "running" and lock_holder(rt.store.db, r["thread_id"]) is None:
                r["status"] = "crashed"
            elif r["waiting_for"]:
                r["status"] = f"waiting:{r['waiting_for']}"
    if not rows:
        print("No runs yet. 'python main.py' starts today's.")
        return 0
    header = f"{'THREAD':<52} {'DATE':<10} {'STATUS':<15} {'NEXT':<15} {'TRIES':>5} {'AGE':>7}  LAST ERROR"
    print(header)
    for r in rows:
        error = (f"[{r['failed_node']}] " if r["failed_node"] else "") + (r["last_error"] or "")
        print(
            f"{r['thread_id']:<52} {r['plan_date']!s:<10} {r['status']:<15} {pending.get(r['thread_id'], ''):<15} "
            f"{r['attempts']:>5} {human_age(r['age']):>7}  {error[:90]}"
        )
    return 0


def cmd_scenarios(settings: Settings) -> int:
    active = settings.mock.active_scenario
    for name in available():
        scenario = load_scenario(name)
        marker = "*" if name == active else " "
        print(f"{marker} {name:<26} {scenario.description}")
    print("\n* = active (config/mock_config.yaml). Use --scenario NAME for one run.")
    return 0


def _task_store(rt: Runtime) -> TaskStore:
    from agent.durability.tasks import TaskStore

    assert rt.store is not None
    return TaskStore(rt.store.db, "mock" if rt.settings.mock.enabled else "live")


def cmd_tasks(settings: Settings) -> int:
    """List open (and snoozed) tasks."""
    if not settings.durability.enabled:
        raise UsageError("Durability is disabled (durability.enabled: false), so tasks are not kept across days.")
    today = run_as_of(None, settings.user.tz).date()
    with durable_runtime(settings) as rt:
        rows = _task_store(rt).open_tasks()
    if not rows:
        print("No open tasks. 'python main.py' plans today.")
        return 0
    print(f"{'ID':<12} {'PRI':<3} {'DUE':<10} {'AGE':>4}  {'STATUS':<17} TASK")
    for row in rows:
        task = row["task"]
        status = f"snoozed to {row['snoozed_until']}" if row["status"] == "snoozed" else "open"
        age = (today - row["first_planned"]).days
        print(
            f"{row['id']:<12} {task['priority']:<3} {task.get('due') or '-':<10} {age:>3}d  {status:<17} "
            f"{task['title']} ({task['requester']})"
        )
    return 0


def cmd_task_status(settings: Settings, prefix: str, status: str, until: str | None = None) -> int:
    """done / drop / snooze one task, found by a unique id prefix."""
    if not settings.durability.enabled:
        raise UsageError("Durability is disabled (durability.enabled: false), so tasks are not kept across days.")
    day = parse_date(until) if until else None
    if status == "snoozed" and (day is None or day <= run_as_of(None, settings.user.tz).date()):
        raise UsageError("snooze needs --until with a date after today, for example --until 2026-11-30.")
    with durable_runtime(settings) as rt:
        store = _task_store(rt)
        row = store.resolve(prefix)
        store.set_status(
            row["id"], status, until=day, reason=f"marked {status} by you" if status != "snoozed" else None
        )
    what = {"done": "Done", "dropped": "Dropped", "snoozed": f"Snoozed until {day}"}[status]
    print(f"{what}: {row['task']['title']} ({row['id']}).")
    return 0


def cmd_auth(settings: Settings, service: str) -> int:
    from collectors.live import authorize_gmail

    token_file = authorize_gmail(settings)
    print(f"Signed in to Google (read-only: Gmail and Calendar). The token is in {token_file}, readable only by you.")
    return 0


def cmd_db(settings: Settings, action: str) -> int:
    from agent.durability.db import mask_url, stop_embedded

    data_dir = settings.resolve(settings.postgres.embedded_dir)
    if action == "stop":
        if settings.database_url:
            echo(f"Using an external server ({mask_url(settings.database_url)}); the embedded one is not in use.")
        print(
            "Embedded PostgreSQL stopped."
            if stop_embedded(data_dir)
            else f"No embedded server is running in {data_dir}."
        )
        return 0
    with durable_runtime(settings) as rt:
        assert rt.store is not None
        print(f"Database: {mask_url(rt.store.db.url)}")
    return 0
