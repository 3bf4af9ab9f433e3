"""Builds the graph's dependencies for one execution from settings and the scenario."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from langgraph.types import RetryPolicy

from agent.durability.db import Database
from agent.durability.tasks import TaskStore
from agent.errors import TransientSourceError
from agent.graph import GraphDeps
from agent.nodes.tracking import ExecutionTracker
from agent.output import PlanFiles
from config.settings import Settings
from mocks.faults import FaultInjector
from mocks.scenarios import Scenario


class _Lazy:
    """Creates the wrapped object on first use: a resumed run whose collectors are restored
    from checkpoints never loads (or generates) their fixtures."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._obj: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._obj is None:
            self._obj = self._factory()
        return getattr(self._obj, name)


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, TransientSourceError | ConnectionError | TimeoutError)


def retry_policy(settings: Settings) -> RetryPolicy:
    r = settings.retry
    return RetryPolicy(
        max_attempts=r.max_attempts,
        initial_interval=r.initial_interval_seconds,
        max_interval=r.max_interval_seconds,
        retry_on=_retryable,
    )


def durability_label(settings: Settings) -> str:
    if not settings.durability.enabled:
        return "disabled: nothing is checkpointed and this run cannot be resumed"
    return f"PostgreSQL checkpoints ({settings.durability.mode})"


def build_deps(
    settings: Settings,
    scenario: Scenario | None,
    *,
    tracker: ExecutionTracker,
    as_of: datetime,
    db: Database | None = None,
) -> GraphDeps:
    """``scenario`` None means real accounts (mock.enabled: false); ``db`` None means durability is off."""
    from agent.digest import build_digest
    from agent.extractor import RuleBasedExtractor
    from agent.planner import plan_day
    from collectors.calendar import CalendarCollector
    from collectors.gmail import GmailCollector
    from collectors.slack import SlackCollector

    sources = settings.sources
    faults = FaultInjector(list(scenario.faults) if scenario else [], tracker.attempt)
    if scenario is None:
        from collectors import live

        gmail_client: Any = _Lazy(lambda: live.gmail_client(settings))
        slack_client: Any = _Lazy(lambda: live.slack_client(settings))
        calendar_client: Any = _Lazy(lambda: live.calendar_client(settings))
    else:
        from mocks.clients import MockCalendarClient, MockGmailClient, MockSlackClient
        from mocks.fixtures import load_fixture_set
        from mocks.scenarios import FIXTURES_DIR

        loaded: list[Any] = []
        lock = threading.Lock()

        def fixtures() -> Any:
            # The collectors run in parallel threads: build (or generate) the fixtures once.
            with lock:
                if not loaded:
                    loaded.append(
                        load_fixture_set(
                            scenario.fixtures, base_dir=FIXTURES_DIR, now=as_of, shift=scenario.shift_timestamps
                        )
                    )
                return loaded[0]

        gmail_client = _Lazy(lambda: MockGmailClient(fixtures()))
        slack_client = _Lazy(lambda: MockSlackClient(fixtures()))
        calendar_client = _Lazy(lambda: MockCalendarClient(fixtures()))

    max_chars = settings.collect.max_text_chars
    user, planner_settings = settings.user, settings.planner
    rules = RuleBasedExtractor(user)
    account = "live" if scenario is None else "mock"
    return GraphDeps(
        email=GmailCollector(
            faults.wrap("collect_email", gmail_client),
            max_chars=max_chars,
            query_filter=sources.gmail.query_filter,
            max_messages=sources.gmail.max_messages,
        )
        if sources.gmail.enabled
        else None,
        slack=SlackCollector(
            faults.wrap("collect_slack", slack_client),
            max_chars=max_chars,
            max_threads=sources.slack.max_threads,
            thread_lookback_days=settings.collect.max_lookback_days,
        )
        if sources.slack.enabled
        else None,
        calendar=CalendarCollector(
            faults.wrap("collect_calendar", calendar_client),
            calendar_id=sources.calendar.calendar_id,
            tz=user.tz,
            user_email=user.email,
        )
        if sources.calendar.enabled
        else None,
        extractor=faults.wrap("extract_tasks", rules),
        llm=faults.wrap("extract_tasks", _llm_extractor(settings, db)) if settings.llm.active else None,
        task_store=TaskStore(db, account) if db is not None else None,
        user=user,
        planner=faults.wrap(
            "plan_day",
            lambda tasks, day, meetings: plan_day(
                tasks, settings=planner_settings, plan_date=day, tz=user.tz, meetings=meetings
            ),
        ),
        digest=lambda messages, tasks: build_digest(messages, tasks, user=user),
        files=faults.wrap("write_plan", PlanFiles(settings.plans_dir)),
        tracker=tracker,
        retry=retry_policy(settings),
        scenario=scenario.name if scenario else "live",
        durability=durability_label(settings),
    )


def _llm_extractor(settings: Settings, db: Database | None) -> Any:
    from agent.extract.llm import LlmExtractor
    from agent.extract.llm_cache import LlmCache

    return LlmExtractor(settings.llm, settings.user, cache=LlmCache(db.pool) if db else None)
