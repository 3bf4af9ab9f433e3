"""The morning flow: recover unfinished runs, then plan the day unless it is already planned."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from agent.durability.locks import ThreadLock, lock_holder
from agent.durability.resume import Recovered, recover
from agent.durability.runs import UNFINISHED, new_thread_id
from agent.errors import UsageError
from agent.output import PlanFiles
from agent.runner import Runtime, account, execute
from mocks.scenarios import Scenario


@dataclass
class DayResult:
    plan_date: date
    thread_id: str | None
    markdown: str | None
    already_planned: bool = False
    recovered: list[Recovered] = field(default_factory=list)
    stale_runs: int = 0
    draft: dict[str, Any] | None = None  # set when the run paused for review


def run_as_of(plan_date: date | None, tz: object) -> datetime:
    """The run's "now": the real time, or 08:00 on ``plan_date`` in the user's timezone."""
    if plan_date is None:
        return datetime.now(tz).replace(microsecond=0)  # type: ignore[arg-type]
    return datetime.combine(plan_date, time(8, 0), tzinfo=tz)  # type: ignore[arg-type]


def collection_start(rt: Runtime, scenario: Scenario | None, as_of: datetime) -> datetime:
    """Everything since the last completed run of an earlier day, at most collect.max_lookback_days back.

    With no such run (the first ever, or durability off) the window is collect.lookback_hours.
    Sources share one window, starting at the older of their marks, so neither misses anything.
    """
    collect = rt.settings.collect
    first_run = as_of - timedelta(hours=collect.lookback_hours)
    if rt.store is None:
        return first_run
    marks = rt.store.watermarks(account(scenario), as_of.date())
    enabled = [
        s
        for s, on in (("email", rt.settings.sources.gmail.enabled), ("slack", rt.settings.sources.slack.enabled))
        if on
    ]
    if not enabled or any(source not in marks for source in enabled):
        return first_run
    oldest = min(marks[source] for source in enabled)
    return max(oldest, as_of - timedelta(days=collect.max_lookback_days))


def plan_today(
    rt: Runtime,
    scenario: Scenario | None,
    *,
    as_of: datetime,
    new: bool,
    since: datetime | None = None,
    review: bool = False,
) -> DayResult:
    settings = rt.settings
    plan_date = as_of.date()
    files = PlanFiles(settings.plans_dir)
    result = DayResult(plan_date=plan_date, thread_id=None, markdown=None)
    store = rt.store
    if store is None:
        return _new_run(rt, scenario, as_of, result, since, review)
    if settings.resume.auto_resume:
        result.recovered = recover(rt, scenario)
    result.stale_runs = store.count_stale(settings.resume.max_age_hours)
    _wait_for_same_day_runs(rt, result)
    # One new run per day at a time: a second process waits here, then finds the plan made.
    with _wait_for_lock(rt, f"daily-task-planner-day:{plan_date}", f"another process is planning {plan_date}"):
        done = store.completed_for(plan_date)
        markdown = files.read_markdown(plan_date.isoformat())
        if done and markdown is not None and not new:
            result.thread_id, result.markdown = done["thread_id"], markdown
            result.already_planned = not any(r.thread_id == done["thread_id"] for r in result.recovered)
            return result
        waiting = [r for r in store.waiting_reviews() if r["plan_date"] == plan_date]
        if waiting and not new:
            result.thread_id, result.draft = waiting[0]["thread_id"], review_draft(rt, waiting[0]["thread_id"])
            return result
        return _new_run(rt, scenario, as_of, result, since, review)


@contextmanager
def _wait_for_lock(rt: Runtime, key: str, why: str) -> Iterator[None]:
    assert rt.store is not None
    db = rt.store.db
    with ThreadLock(db, key) as lock:
        if lock.acquired:
            yield
            return
    rt.report(f"Waiting: {why} ({lock_holder(db, key) or 'another process'}).")
    with ThreadLock(db, key, wait=True):
        yield


def _wait_for_same_day_runs(rt: Runtime, result: DayResult) -> None:
    """A run for the same date that another process is resuming will produce today's plan: wait for it."""
    assert rt.store is not None
    for rec in result.recovered:
        row = rt.store.get(rec.thread_id) if rec.outcome == "skipped" else None
        if row and row["plan_date"] == result.plan_date and row["status"] in UNFINISHED:
            with _wait_for_lock(rt, rec.thread_id, f"run {rec.thread_id} for {result.plan_date} is {rec.detail}"):
                pass


def _new_run(
    rt: Runtime, scenario: Scenario | None, as_of: datetime, result: DayResult, since: datetime | None, review: bool
) -> DayResult:
    settings, store, plan_date = rt.settings, rt.store, result.plan_date
    since = since or collection_start(rt, scenario, as_of)
    if since >= as_of:
        raise UsageError(
            f"The collection window would start at {since:%Y-%m-%d %H:%M}, after the run's time. "
            "Give --since a moment before it."
        )
    row = {
        "plan_date": plan_date,
        "as_of": as_of.astimezone(UTC),
        "window_start": since.astimezone(UTC),
        "review": review,
    }
    thread_id = new_thread_id(datetime.now(settings.user.tz))
    scenario_name = scenario.name if scenario else "live"
    rt.report(f"Planning {plan_date} (run {thread_id}, scenario {scenario_name})")
    if store is None:
        outcome = execute(rt, scenario, thread_id, attempt=1, row=row, resume=False)
    else:
        with ThreadLock(store.db, thread_id) as lock:
            assert lock.acquired  # a brand-new thread id: nobody else can hold it
            store.create(
                thread_id, plan_date, scenario_name, as_of=row["as_of"], since=row["window_start"], review=review
            )
            outcome = execute(rt, scenario, thread_id, attempt=1, row=row, resume=False)
    result.thread_id, result.draft = outcome.thread_id, outcome.draft
    result.markdown = PlanFiles(settings.plans_dir).read_markdown(plan_date.isoformat())
    return result


def review_draft(rt: Runtime, thread_id: str) -> dict[str, Any]:
    """The draft plan a run waiting for review paused with."""
    from agent.inspect_runs import paused_value

    return paused_value(rt.checkpointer, thread_id)


def finish_review(rt: Runtime, scenario: Scenario | None, thread_id: str, edits: list[dict[str, Any]]) -> DayResult:
    """Continue a run paused for review with the user's edits: re-time the day and write the plan."""
    from langgraph.types import Command

    assert rt.store is not None
    with ThreadLock(rt.store.db, thread_id) as lock:
        if not lock.acquired:
            holder = lock_holder(rt.store.db, thread_id) or "another process"
            raise UsageError(f"Run {thread_id} is being reviewed by {holder}; finish there or stop it first.")
        row = rt.store.continue_review(thread_id)
        execute(rt, scenario, thread_id, attempt=row["attempts"], row=row, resume=True, command=Command(resume=edits))
    return DayResult(
        plan_date=row["plan_date"],
        thread_id=thread_id,
        markdown=PlanFiles(rt.settings.plans_dir).read_markdown(row["plan_date"].isoformat()),
    )
