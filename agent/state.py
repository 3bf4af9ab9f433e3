"""The graph state and the domain records that travel through it.

Everything here is a plain dict so checkpoints stay small and portable. Each node
writes its own key and nothing is appended by reducers, so a resumed node that runs
again replaces its output instead of duplicating it.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from collectors.base import SourceResult

Priority = Literal["P0", "P1", "P2", "P3"]


class TaskSource(TypedDict):
    source: Literal["email", "slack"]
    source_id: str
    link: str


class TimeRange(TypedDict):
    start: str  # ISO 8601 with offset
    end: str


class _TaskBase(TypedDict):
    id: str  # stable: derived from the sorted source ids
    title: str
    requester: str
    sources: list[TaskSource]
    due: str | None  # ISO date
    priority: Priority
    priority_reason: str
    estimate_minutes: int
    scheduled: TimeRange | None


class Task(_TaskBase, total=False):
    carried_from: str | None  # ISO date of the plan that first listed it; None when new today
    age_days: int  # days since it was first planned (0 = new)
    confidence: float  # 0..1; the LLM's, or the rule-based extractor's own estimate


class Meeting(TypedDict):
    """A calendar event the planner treats as fixed."""

    id: str
    title: str
    start: str  # ISO 8601 with offset
    end: str
    all_day: bool
    link: str


class DigestItem(TypedDict):
    """A notable message that is not a task: incidents, decisions, announcements, replies."""

    kind: Literal["incident", "decision", "announcement", "reply"]
    text: str  # one line
    link: str
    source_id: str


class ClosedTask(TypedDict):
    task_id: str
    title: str
    reason: str  # e.g. "you replied in the email thread on Thu 19 Nov"


class Block(TypedDict):
    start: str
    end: str
    kind: Literal["task", "lunch", "meeting"]
    task_id: str | None
    title: str


class Unscheduled(TypedDict):
    task_id: str
    reason: str


class _PlanBase(TypedDict):
    date: str
    timezone: str
    workday: TimeRange
    tasks: list[Task]  # ordered by priority, then deadline; ``scheduled`` filled in
    blocks: list[Block]  # the day in time order
    unscheduled: list[Unscheduled]  # tasks that do not fit today, and why
    free_minutes: int
    planned_minutes: int


class Plan(_PlanBase, total=False):
    meetings: list[Meeting]  # the day's fixed events
    effort_minutes: int  # total estimate of all tasks, to compare with the free time
    digest: list[DigestItem]  # "Worth knowing", at most 10, most important first
    closed: list[ClosedTask]  # tasks closed automatically since the last plan


class SourceCoverage(TypedDict):
    status: Literal["collected", "disabled"]
    fetched: int  # items the API returned
    messages: int  # items turned into messages
    skipped: dict[str, int]  # reason -> count


class ExtractionReport(TypedDict):
    method: Literal["rules", "llm"]
    model: str | None
    calls: int  # model calls made by this run
    input_tokens: int
    output_tokens: int
    cache_hits: int  # messages answered from the cache instead of the model
    fallback_messages: int  # messages the rule-based extractor handled after the model failed


class Coverage(TypedDict, total=False):
    """What the plan is based on; rendered as the plan's opening header."""

    scenario: str  # mock scenario name, or "live" for real accounts
    window: TimeRange  # the collection window
    sources: dict[str, SourceCoverage]  # "email" / "slack"
    durability: str  # e.g. "PostgreSQL checkpoints (sync)" or "disabled: nothing is checkpointed"
    attempts: int  # executions of this run (1 = no resume)
    resumed_steps: list[str]  # human sentences, e.g. "collect_slack failed in attempt 1, completed in attempt 2"
    retried_steps: list[str]  # e.g. "collect_slack retried 2 times after transient errors"
    notes: list[str]
    extraction: ExtractionReport
    calendar: SourceCoverage


class _RunInputBase(TypedDict):
    plan_date: str  # ISO date being planned
    now: str  # ISO datetime the run treats as "now"; fixed at start so resumes agree
    since: str  # ISO datetime: collect messages newer than this


class RunInput(_RunInputBase, total=False):
    review: bool  # pause before write_plan for the user's review


class CalendarResult(TypedDict):
    meetings: list[Meeting]
    coverage: SourceCoverage


class PlannerState(RunInput, total=False):
    email: SourceResult
    slack: SourceResult
    calendar: CalendarResult
    tasks: list[Task]
    extraction: ExtractionReport
    closed: list[ClosedTask]  # closed automatically by this run
    reviewed: list[str]  # the user's review edits, as sentences
    deferred: list[str]  # task ids the user moved to tomorrow
    dropped: list[str]  # task ids the user dropped in review
    task_threads: dict[str, list[dict[str, str]]]  # task id -> threads where your reply closes it
    plan: Plan
    outputs: dict[str, str]  # "markdown"/"json" -> written file path
