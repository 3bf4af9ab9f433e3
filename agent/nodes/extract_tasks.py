"""extract_tasks: the messages of both sources -> tasks addressed to the user.

Without a model, the rule-based extractor does it all. With one (``llm``), the node:

1. looks every message up in the extraction cache (a LangGraph ``@task``, so the batch plan it
   returns is saved in the checkpoint and a resume replays exactly the same batches);
2. sends the uncached messages to the model, ``llm.batch_size`` per call, each batch its own
   ``@task``: a finished batch's result is a checkpoint write, so a resumed or replayed run never
   calls the model for it again;
3. hands messages of batches the model kept failing on to the rule-based extractor
   (``llm.fallback_to_rules``), or fails the node with ``SourceError`` so the run can be resumed;
4. merges everything into tasks and reports how it went (``extraction``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from langgraph.config import get_config
from langgraph.func import task

from agent.errors import SourceError
from agent.state import ExtractionReport, PlannerState, Task
from collectors.base import Message

if TYPE_CHECKING:
    from agent.extract.llm import BatchResult, LlmExtractor

__all__ = ["Extractor", "make_extract_node", "rules_report"]

_PRIORITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}


class Extractor(Protocol):
    def extract(self, messages: list[Message], *, plan_date: date, now: datetime) -> list[Task]: ...


def rules_report() -> ExtractionReport:
    return {
        "method": "rules",
        "model": None,
        "calls": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_hits": 0,
        "fallback_messages": 0,
    }


def _inputs(state: PlannerState) -> tuple[list[Message], date, datetime]:
    messages = [*state["email"]["messages"], *state["slack"]["messages"]]
    return messages, date.fromisoformat(state["plan_date"]), datetime.fromisoformat(state["now"])


def _in_graph() -> bool:
    # @task calls need a running graph; called directly (a script, a test), the node runs the same steps inline.
    try:
        get_config()
    except RuntimeError:
        return False
    return True


def make_extract_node(rules: Extractor, llm: LlmExtractor | None = None) -> Callable[[PlannerState], dict[str, Any]]:
    """The node function. ``llm`` None: rule-based extraction only."""
    if llm is None:

        def extract_tasks(state: PlannerState) -> dict[str, Any]:
            messages, plan_date, now = _inputs(state)
            return {"tasks": rules.extract(messages, plan_date=plan_date, now=now), "extraction": rules_report()}

        return extract_tasks

    model = llm.settings.model
    fallback = llm.settings.fallback_to_rules

    def batch(messages: list[Message]) -> BatchResult:
        result = llm.run_batch(messages)
        if not result["ok"] and not fallback:
            # Raised inside the task, so the failure is not saved as the batch's result: the resume asks again.
            raise SourceError(
                f"The model {model} failed on a batch of {len(messages)} messages ({result['error']}). "
                "Check llm.base_url, llm.model and the API key, or set llm.fallback_to_rules: true; "
                "the run is saved and the next start resumes it."
            )
        return result

    # Names distinct from graph nodes: they become checkpoint namespaces of the extract_tasks step.
    lookup_task = task(name="llm_cache_lookup")(llm.lookup)
    batch_task = task(name="llm_extract_batch")(batch)

    def extract_tasks(state: PlannerState) -> dict[str, Any]:
        messages, plan_date, now = _inputs(state)
        eligible = llm.prepare(messages, now)
        by_id = {m["id"]: m for m in eligible}
        in_graph = _in_graph()
        plan = (lookup_task(eligible).result() if in_graph else llm.lookup(eligible)) if eligible else None
        plan = plan or {"cached": {}, "batches": []}
        batches = [[by_id[i] for i in ids] for ids in plan["batches"]]
        if in_graph:
            # All batches are submitted before any result is awaited, so they run in parallel.
            futures = [batch_task(b) for b in batches]
            results: list[BatchResult] = [f.result() for f in futures]
        else:
            results = [batch(b) for b in batches]

        from agent.extract.llm import build_tasks  # keeps the module light for the rule-based path

        extracted = [e for cached in plan["cached"].values() for e in cached]
        extracted += [e for r in results if r["ok"] for e in r["extracted"]]
        tasks = build_tasks(extracted, by_id)
        failed = {i for r in results if not r["ok"] for i in r["message_ids"]}
        if failed:
            tasks = _with_fallback(tasks, rules.extract(messages, plan_date=plan_date, now=now), failed)
        report: ExtractionReport = {
            "method": "llm",
            "model": model,
            "calls": sum(r["calls"] for r in results),
            "input_tokens": sum(r["input_tokens"] for r in results),
            "output_tokens": sum(r["output_tokens"] for r in results),
            "cache_hits": len(plan["cached"]),
            "fallback_messages": len(failed),
        }
        return {"tasks": tasks, "extraction": report}

    return extract_tasks


def _with_fallback(llm_tasks: list[Task], rule_tasks: list[Task], failed: set[str]) -> list[Task]:
    """Add the rule-based tasks of the messages the model failed on.

    The rules run over all messages (a closing reply elsewhere must still close a request), and only
    tasks citing a failed message are taken; one that also cites a message the model did answer is
    left out when the model already made a task from it, so the same request is not listed twice.
    """
    covered = {f"{s['source']}:{s['source_id']}" for t in llm_tasks for s in t["sources"]}
    taken_ids = {t["id"] for t in llm_tasks}
    extra = []
    for t in rule_tasks:
        ids = {f"{s['source']}:{s['source_id']}" for s in t["sources"]}
        if ids & failed and not ids & covered and t["id"] not in taken_ids:
            extra.append(t)
    return sorted([*llm_tasks, *extra], key=lambda t: (_PRIORITY_RANK[t["priority"]], t["due"] or "~", t["id"]))
