"""Builds the graph's dependencies for one execution from settings and the scenario."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from langgraph.types import RetryPolicy

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
    settings: Settings, scenario: Scenario | None, *, tracker: ExecutionTracker, as_of: datetime
) -> GraphDeps:
    """``scenario`` None means real accounts (mock.enabled: false)."""
    from agent.extractor import RuleBasedExtractor
    from agent.planner import plan_day
    from collectors.gmail import GmailCollector
    from collectors.slack import SlackCollector

    gmail, slack = settings.sources.gmail, settings.sources.slack
    faults = FaultInjector(list(scenario.faults) if scenario else [], tracker.attempt)
    if scenario is None:
        from collectors import live

        gmail_client: Any = _Lazy(lambda: live.gmail_client(settings))
        slack_client: Any = _Lazy(lambda: live.slack_client(settings))
    else:
        from mocks.clients import MockGmailClient, MockSlackClient
        from mocks.fixtures import load_fixture_set
        from mocks.scenarios import FIXTURES_DIR

        @cache
        def fixtures() -> Any:
            return load_fixture_set(
                scenario.fixtures, base_dir=FIXTURES_DIR, now=as_of, shift=scenario.shift_timestamps
            )

        gmail_client = _Lazy(lambda: MockGmailClient(fixtures()))
        slack_client = _Lazy(lambda: MockSlackClient(fixtures()))

    max_chars = settings.collect.max_text_chars
    planner_settings, tz = settings.planner, settings.user.tz
    return GraphDeps(
        email=GmailCollector(
            faults.wrap("collect_email", gmail_client),
            max_chars=max_chars,
            query_filter=gmail.query_filter,
            max_messages=gmail.max_messages,
        )
        if gmail.enabled
        else None,
        slack=SlackCollector(
            faults.wrap("collect_slack", slack_client), max_chars=max_chars, max_threads=slack.max_threads
        )
        if slack.enabled
        else None,
        extractor=faults.wrap("extract_tasks", RuleBasedExtractor(settings.user)),
        planner=faults.wrap(
            "plan_day", lambda tasks, day: plan_day(tasks, settings=planner_settings, plan_date=day, tz=tz)
        ),
        files=faults.wrap("write_plan", PlanFiles(settings.plans_dir)),
        tracker=tracker,
        retry=retry_policy(settings),
        scenario=scenario.name if scenario else "live",
        durability=durability_label(settings),
    )
