"""LLM extraction: the structured-output schema, the model call per batch, and output -> tasks.

The model only ever answers with ``ExtractionResult``: a list of tasks citing the ids of the
messages they came from. Everything else a Task has (stable id, sources and links, merging of the
same request across email and Slack) is computed here from the messages themselves, exactly as the
rule-based extractor does it, so a model can neither invent a link nor cite a message it was not shown.

``langchain_openai`` (and ``openai``) are imported only when a model is actually called: the mock
path and the rule-based path never load them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import ConfigError
from agent.extract.llm_cache import LlmCache, cache_key
from agent.extract.merge import Candidate, group_duplicates, source_order
from agent.extractor import task_id
from agent.nodes.extract_tasks_prompt import PROMPT_VERSION, render_message, render_messages, system_prompt
from agent.state import Priority, Task, TaskSource
from collectors.base import Message
from collectors.parsing import clean_text
from config.settings import LlmSettings, UserSettings

if TYPE_CHECKING:
    from langchain_core.runnables import Runnable

__all__ = ["BatchResult", "Extracted", "ExtractedTask", "ExtractionResult", "LlmExtractor", "accept", "build_tasks"]

_PRIORITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}
MIN_ESTIMATE, MAX_ESTIMATE = 5, 480


class ExtractedTask(BaseModel):
    """One task as the model reports it."""

    model_config = ConfigDict(extra="forbid")  # "additionalProperties": false in the JSON schema

    title: str = Field(description="Short imperative phrase: what the user should do")
    requester: str = Field(description="Display name of the person asking")
    is_for_user: bool = Field(description="True only when the user is expected to act")
    due: str | None = Field(description="Deadline as YYYY-MM-DD, resolved against the message's local date; or null")
    priority: Literal["P0", "P1", "P2", "P3"]
    priority_reason: str = Field(description="A few words explaining the priority")
    estimate_minutes: int = Field(description="Effort estimate in minutes")
    confidence: float = Field(description="0 to 1: how sure this is a real task for the user")
    message_ids: list[str] = Field(description="The id attributes of the messages asking for this task")


class ExtractionResult(BaseModel):
    """The tasks addressed to the user in the given messages; an empty list when there are none."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[ExtractedTask]


class Extracted(TypedDict):
    """An accepted model task: for the user, citing only messages of its batch. Stored in checkpoints
    and in the cache, so it is a plain dict."""

    title: str
    requester: str
    due: str | None
    priority: Priority
    priority_reason: str
    estimate_minutes: int
    confidence: float
    message_ids: list[str]


class BatchResult(TypedDict):
    ok: bool
    message_ids: list[str]
    extracted: list[Extracted]
    calls: int
    input_tokens: int
    output_tokens: int
    error: str | None


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None  # "next week" or garbage: no deadline beats a wrong one


def _short(text: str, limit: int) -> str:
    text = " ".join(clean_text(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def accept(result: ExtractionResult, batch_ids: Iterable[str]) -> list[Extracted]:
    """The model's tasks worth keeping: for the user, citing at least one message of the batch.

    Ids the batch did not contain are dropped (a model may invent or mistype them); a task left with
    none is dropped entirely, since it could not be traced to a message. Numbers are clamped rather
    than rejected so one out-of-range value does not cost the whole batch.
    """
    known = set(batch_ids)
    kept: list[Extracted] = []
    for t in result.tasks:
        ids = [i for i in dict.fromkeys(t.message_ids) if i in known]
        title = _short(t.title, 120)
        if not t.is_for_user or not ids or not title:
            continue
        kept.append(
            {
                "title": title,
                "requester": _short(t.requester, 80),
                "due": _iso_date(t.due),
                "priority": t.priority,
                "priority_reason": _short(t.priority_reason, 160) or "set by the model",
                "estimate_minutes": min(max(int(t.estimate_minutes), MIN_ESTIMATE), MAX_ESTIMATE),
                "confidence": round(min(max(float(t.confidence), 0.0), 1.0), 3),
                "message_ids": ids,
            }
        )
    return kept


def build_tasks(extracted: Iterable[Extracted], messages: Mapping[str, Message]) -> list[Task]:
    """Tasks from accepted model output: duplicates across batches and sources merged with the rule-based
    extractor's merge code, ids and sources derived from the cited messages, sorted like the rules sort."""
    candidates: list[Candidate] = []
    by_key: dict[str, Extracted] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for e in extracted:
        ids = tuple(sorted(i for i in e["message_ids"] if i in messages))
        if not ids or (e["title"], ids) in seen:  # the cache can hand back one task under each of its messages
            continue
        seen.add((e["title"], ids))
        first = min((messages[i] for i in ids), key=lambda m: (m["source"] != "email", m["source_id"]))
        # merge keys candidates by message id, but one message can ask for two things: give each its own key.
        key, n = first["id"], 1
        while key in by_key:
            key, n = f"{first['id']}#{n}", n + 1
        by_key[key] = e
        candidates.append(
            Candidate(
                message={**first, "id": key},
                sent=datetime.fromisoformat(first["timestamp"]),
                title=e["title"],
                due=date.fromisoformat(e["due"]) if e["due"] else None,
                urgency=None,
                addressing="direct",
            )
        )
    tasks: list[Task] = []
    used: set[str] = set()
    groups = [[by_key[c.message["id"]] for c in sorted(g, key=source_order)] for g in group_duplicates(candidates)]
    for group in sorted(groups, key=lambda g: (sorted({i for e in g for i in e["message_ids"]}), g[0]["title"])):
        tasks.append(_task(group, messages, used))
    return sorted(tasks, key=lambda t: (_PRIORITY_RANK[t["priority"]], t["due"] or "~", t["id"]))


def _task(group: list[Extracted], messages: Mapping[str, Message], used: set[str]) -> Task:
    ids = sorted({i for e in group for i in e["message_ids"] if i in messages})
    cited = sorted((messages[i] for i in ids), key=lambda m: (m["source"] != "email", m["source_id"]))
    sources: list[TaskSource] = [{"source": m["source"], "source_id": m["source_id"], "link": m["link"]} for m in cited]
    first = group[0]
    top = min(group, key=lambda e: _PRIORITY_RANK[e["priority"]])
    dues = sorted(e["due"] for e in group if e["due"])
    tid = task_id(ids)
    if tid in used:  # two different tasks from the same messages: keep both, with distinct stable ids
        tid = task_id([*ids, f"title:{first['title'].lower()}"])
    used.add(tid)
    return {
        "id": tid,
        "title": first["title"],
        "requester": first["requester"] or cited[0]["sender"],
        "sources": sources,
        "due": dues[0] if dues else None,
        "priority": top["priority"],
        "priority_reason": top["priority_reason"],
        "estimate_minutes": max(e["estimate_minutes"] for e in group),
        "scheduled": None,
        "confidence": max(e["confidence"] for e in group),
    }


class LlmExtractor:
    """Extracts tasks with an OpenAI-compatible chat model, a batch of messages per call, cached per message."""

    def __init__(self, settings: LlmSettings, user: UserSettings, cache: LlmCache | None = None) -> None:
        self.settings = settings
        self.user = user
        self.cache = cache
        self._tz = user.tz
        self._system = system_prompt(user)
        self._api_key = os.environ.get(settings.api_key_env) or None
        if self._api_key is None and settings.base_url is None:
            raise ConfigError(
                f"LLM extraction is enabled but {settings.api_key_env} is not set. Set it, point llm.base_url "
                "at a local OpenAI-compatible server, or set llm.enabled: false to use the rule-based extractor."
            )
        self._runnable: Runnable[Any, Any] | None = None
        self._lock = threading.Lock()  # batches run in parallel threads; build the client once

    @property
    def model(self) -> str:
        return self.settings.model

    def prepare(self, messages: list[Message], now: datetime) -> list[Message]:
        """The messages to extract from: none sent after ``now`` (a resume sees what the first attempt saw),
        each id once, oldest first so batches and prompts do not depend on collector order."""
        unique = {m["id"]: m for m in messages if datetime.fromisoformat(m["timestamp"]) <= now}
        return sorted(unique.values(), key=lambda m: (m["timestamp"], m["id"]))

    def _key(self, message: Message) -> str:
        return cache_key(self.model, PROMPT_VERSION, self._system, render_message(message, self._tz))

    def lookup(self, messages: list[Message]) -> dict[str, Any]:
        """Cached results, and the batches of uncached message ids still to ask the model about."""
        keys = {m["id"]: self._key(m) for m in messages}
        hits = self.cache.get_many(keys.values()) if self.cache is not None else {}
        cached = {mid: hits[key] for mid, key in keys.items() if key in hits}
        todo = [m["id"] for m in messages if m["id"] not in cached]
        size = self.settings.batch_size
        return {"cached": cached, "batches": [todo[i : i + size] for i in range(0, len(todo), size)]}

    def _structured(self) -> Runnable[Any, Any]:
        with self._lock:
            if self._runnable is None:
                from langchain_openai import ChatOpenAI

                chat = ChatOpenAI(
                    model=self.settings.model,
                    base_url=self.settings.base_url,
                    # Local servers (Ollama, vLLM) ignore the key, but the client refuses to start without one.
                    api_key=self._api_key or "unused",
                    timeout=self.settings.timeout_seconds,
                    max_retries=self.settings.max_retries,
                    temperature=0,
                )
                self._runnable = chat.with_structured_output(ExtractionResult, method="json_schema", include_raw=True)
            return self._runnable

    def run_batch(self, batch: list[Message]) -> BatchResult:
        """One batch through the model. Transport errors are retried by the client (llm.max_retries);
        unusable structured output is asked again up to the same number of times. Never raises for a
        model failure: the result says ``ok: False`` and the caller falls back or fails the node."""
        from langchain_core.exceptions import OutputParserException
        from openai import OpenAIError
        from pydantic import ValidationError

        ids = [m["id"] for m in batch]
        prompt = [("system", self._system), ("human", render_messages([render_message(m, self._tz) for m in batch]))]
        result: BatchResult = {
            "ok": False,
            "message_ids": ids,
            "extracted": [],
            "calls": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "error": None,
        }
        for _ in range(1 + self.settings.max_retries):
            result["calls"] += 1
            try:
                answer = self._structured().invoke(prompt)
            except OpenAIError as exc:  # already retried by the client: asking again would only repeat that
                result["error"] = f"{type(exc).__name__}: {exc}"
                return result
            except (OutputParserException, ValidationError, ValueError) as exc:
                result["error"] = f"unusable structured output: {type(exc).__name__}: {exc}"
                continue
            usage = getattr(answer.get("raw"), "usage_metadata", None) or {}
            result["input_tokens"] += int(usage.get("input_tokens", 0))
            result["output_tokens"] += int(usage.get("output_tokens", 0))
            parsed = answer.get("parsed")
            if answer.get("parsing_error") is not None or not isinstance(parsed, ExtractionResult):
                result["error"] = f"unusable structured output: {answer.get('parsing_error') or 'no tasks list'}"
                continue
            result.update(ok=True, error=None, extracted=accept(parsed, ids))
            self._store(batch, result["extracted"])
            return result
        return result

    def _store(self, batch: list[Message], extracted: list[Extracted]) -> None:
        if self.cache is None:
            return
        entries = {self._key(m): (m["id"], [e for e in extracted if m["id"] in e["message_ids"]]) for m in batch}
        self.cache.put_many(self.model, PROMPT_VERSION, entries)
