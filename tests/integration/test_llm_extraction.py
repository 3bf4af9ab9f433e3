"""LLM extraction end to end: the real ChatOpenAI client against a loopback OpenAI-compatible server.

The server answers /v1/chat/completions from the request itself: it reads the delimited messages
out of the prompt and returns one task for each message that says "please". It counts calls, so
batching, caching, resuming and falling back are proven by how often the model was asked.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from agent.errors import SourceError, TransientSourceError
from agent.extract.llm import LlmExtractor
from agent.extract.llm_cache import LLM_CACHE_SCHEMA, LlmCache
from agent.extractor import RuleBasedExtractor, task_id
from agent.nodes.extract_tasks import make_extract_node
from agent.nodes.tracking import ExecutionTracker
from agent.state import PlannerState
from collectors.base import Message, Window
from collectors.gmail import GmailCollector
from collectors.slack import SlackCollector
from config.settings import LlmSettings, UserSettings
from mocks.clients import MockGmailClient, MockSlackClient
from mocks.fixtures import load_fixture_set
from mocks.scenarios import FIXTURES_DIR

pytestmark = pytest.mark.integration

USER = UserSettings()
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
# As agent.wiring.retry_policy builds it: SourceError is not retried.
APP_RETRY = RetryPolicy(max_attempts=3, retry_on=lambda e: isinstance(e, TransientSourceError | ConnectionError))
_MESSAGE = re.compile(r'<message id="([^"]+)">\n(.*?)\n</message>', re.S)


class FakeOpenAI:
    """A threaded HTTP server speaking just enough of the chat completions API."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = False  # answer 500 to everything
        self.fail_ids: set[str] = set()  # answer 500 to a batch holding any of these messages
        self.seen: list[list[str]] = []  # message ids per call
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.calls += 1
                blocks = _MESSAGE.findall(body["messages"][-1]["content"])
                ids = [mid for mid, _ in blocks]
                if fake.failing or fake.fail_ids & set(ids) or self.path != "/v1/chat/completions":
                    return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
                with fake._lock:
                    fake.seen.append(ids)
                tasks = [_task_for(mid, text) for mid, text in blocks if "please" in text.lower()]
                message = {"role": "assistant", "content": json.dumps({"tasks": tasks})}
                choice = {"index": 0, "message": message, "finish_reason": "stop"}
                usage = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
                reply = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"]}
                self._send(200, {**reply, "choices": [choice], "usage": usage})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _task_for(mid: str, text: str) -> dict[str, Any]:
    body = text.split("\n\n", 1)[-1]
    return {
        "title": body.strip().split("\n")[0][:60],
        "requester": "Dana Kim",
        "is_for_user": True,
        "due": None,
        "priority": "P2",
        "priority_reason": "a request",
        "estimate_minutes": 30,
        "confidence": 0.9,
        # A hallucinated id next to the real one: the extractor must drop it.
        "message_ids": [mid, "email:invented"],
    }


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool]:
    kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    with ConnectionPool(database_url, kwargs=kwargs, min_size=1, max_size=8, open=True) as p:
        with p.connection() as conn:
            conn.execute(LLM_CACHE_SCHEMA, prepare=False)
        yield p


def message(n: int, text: str) -> Message:
    sent = datetime(2026, 11, 19, 9, 0, tzinfo=UTC) + timedelta(minutes=n)
    return Message(
        id=f"email:m{n:03d}",
        source="email",
        source_id=f"m{n:03d}",
        sender="Dana Kim",
        sender_address="dana.kim@northwind.example",
        recipients=[USER.email],
        cc=[],
        subject=f"Topic {n}",
        text=text,
        timestamp=sent.isoformat(),
        thread=f"t{n}",
        channel="",
        channel_type="",
        automated=False,
        link=f"https://mail.google.com/mail/u/0/#all/m{n:03d}",
    )


# Distinct words per message, so the merge step does not see them as one repeated request.
WORDS = ("budget", "roadmap", "invoice", "contract", "slides", "hiring", "laptop", "badge", "vendor", "survey")


def messages(count: int) -> list[Message]:
    out = []
    for n in range(count):
        w = WORDS[n % len(WORDS)]
        text = f"Please review the {w} {n} document." if n % 2 == 0 else f"FYI the {w} {n} note is out."
        out.append(message(n, text))
    return out


def state(msgs: list[Message]) -> PlannerState:
    return {
        "plan_date": "2026-11-20",
        "now": NOW.isoformat(),
        "since": (NOW - timedelta(days=2)).isoformat(),
        "email": {"source": "email", "messages": msgs, "fetched": len(msgs), "skipped": {}},
        "slack": {"source": "slack", "messages": [], "fetched": 0, "skipped": {}},
    }


def extractor(fake: FakeOpenAI, cache: LlmCache | None, **overrides: Any) -> LlmExtractor:
    settings = LlmSettings(
        enabled=True, model="gpt-4o-mini", base_url=fake.url, max_retries=0, timeout_seconds=10, batch_size=4
    )
    return LlmExtractor(settings.model_copy(update=overrides), USER, cache)


def graph(node: Any, saver: PostgresSaver, fail_after: dict[str, bool]) -> Any:
    """START -> extract_tasks -> after -> END; ``after`` fails while fail_after["on"] is true."""

    def after(state: PlannerState) -> dict[str, Any]:
        if fail_after["on"]:
            raise RuntimeError("planning failed")
        return {}

    g = StateGraph(PlannerState)
    g.add_node("extract_tasks", node)
    g.add_node("after", after)
    g.add_edge(START, "extract_tasks")
    g.add_edge("extract_tasks", "after")
    g.add_edge("after", END)
    return g.compile(checkpointer=saver)


def test_batches_of_batch_size_and_tasks_from_the_real_client(fake: FakeOpenAI, pool: ConnectionPool) -> None:
    msgs = messages(10)
    node = make_extract_node(RuleBasedExtractor(USER), extractor(fake, LlmCache(pool)))
    out = node(state(msgs))
    assert fake.calls == 3  # ceil(10 / 4)
    assert sorted(len(ids) for ids in fake.seen) == [2, 4, 4]
    report = out["extraction"]
    assert report == {
        "method": "llm",
        "model": "gpt-4o-mini",
        "calls": 3,
        "input_tokens": 300,
        "output_tokens": 30,
        "cache_hits": 0,
        "fallback_messages": 0,
    }
    tasks = out["tasks"]
    assert sorted(t["id"] for t in tasks) == sorted(task_id([f"email:m{n:03d}"]) for n in range(0, 10, 2))
    for t in tasks:  # the invented id is gone: every source is a real message with its link
        assert len(t["sources"]) == 1 and t["sources"][0]["link"].endswith(t["sources"][0]["source_id"])
        assert t["scheduled"] is None and t["confidence"] == 0.9


def test_cache_answers_known_messages_and_only_new_ones_reach_the_model(fake: FakeOpenAI, pool: ConnectionPool) -> None:
    msgs = messages(9)
    first = make_extract_node(RuleBasedExtractor(USER), extractor(fake, LlmCache(pool)))(state(msgs))
    assert fake.calls == 3

    # The same day again, in a new extractor (a new process would look the same): no model call.
    again = make_extract_node(RuleBasedExtractor(USER), extractor(fake, LlmCache(pool)))(state(msgs))
    assert fake.calls == 3
    assert again["extraction"]["cache_hits"] == 9 and again["extraction"]["calls"] == 0
    assert again["tasks"] == first["tasks"]

    # One new message: one call, with only that message in it.
    more = [*msgs, message(50, "Please sign the vendor NDA.")]
    later = make_extract_node(RuleBasedExtractor(USER), extractor(fake, LlmCache(pool)))(state(more))
    assert fake.calls == 4 and fake.seen[-1] == ["email:m050"]
    assert later["extraction"]["cache_hits"] == 9 and later["extraction"]["calls"] == 1
    assert len(later["tasks"]) == len(first["tasks"]) + 1

    # Another model is another cache.
    make_extract_node(RuleBasedExtractor(USER), extractor(fake, LlmCache(pool), model="gpt-4.1-mini"))(state(msgs))
    assert fake.calls == 7


def test_resume_after_a_later_node_fails_calls_the_model_zero_times(fake: FakeOpenAI, pool: ConnectionPool) -> None:
    saver = PostgresSaver(pool)
    saver.setup()
    fail = {"on": True}
    # No cache: only the checkpoint can keep the resume from asking again.
    app = graph(make_extract_node(RuleBasedExtractor(USER), extractor(fake, None)), saver, fail)
    config = {"configurable": {"thread_id": "run-1"}}
    with pytest.raises(RuntimeError, match="planning failed"):
        app.invoke(state(messages(10)), config)
    assert fake.calls == 3

    fail["on"] = False
    done = app.invoke(None, config)
    assert fake.calls == 3
    assert done["extraction"]["calls"] == 3 and len(done["tasks"]) == 5


def test_resume_inside_extraction_repeats_only_the_batch_that_failed(fake: FakeOpenAI, pool: ConnectionPool) -> None:
    saver = PostgresSaver(pool)
    saver.setup()
    llm = extractor(fake, None, fallback_to_rules=False)
    fake.fail_ids = {"email:m008"}  # the third batch hits an outage; the first two succeed
    app = graph(make_extract_node(RuleBasedExtractor(USER), llm), saver, {"on": False})
    config = {"configurable": {"thread_id": "run-2"}}
    with pytest.raises(SourceError, match="failed on a batch of 2 messages"):
        app.invoke(state(messages(10)), config)
    assert fake.calls == 3

    fake.fail_ids = set()
    done = app.invoke(None, config)
    # Batches 1 and 2 come back from the checkpoint; only batch 3 is asked again.
    assert fake.calls == 4 and fake.seen[-1] == ["email:m008", "email:m009"]
    assert len(done["tasks"]) == 5


def test_model_failure_falls_back_to_rules_or_fails_the_node(fake: FakeOpenAI, pool: ConnectionPool) -> None:
    fake.failing = True
    msgs = messages(6)
    rules = RuleBasedExtractor(USER)
    out = make_extract_node(rules, extractor(fake, LlmCache(pool)))(state(msgs))
    assert out["extraction"]["fallback_messages"] == 6
    assert out["extraction"]["calls"] == 2 and fake.calls == 2
    expected = rules.extract(msgs, plan_date=date(2026, 11, 20), now=NOW)
    assert expected and out["tasks"] == expected

    # Nothing was cached from the failed calls: the next run asks the model again.
    fake.failing = False
    healed = make_extract_node(rules, extractor(fake, LlmCache(pool)))(state(msgs))
    assert healed["extraction"]["cache_hits"] == 0 and healed["extraction"]["fallback_messages"] == 0

    fake.failing = True
    with pytest.raises(SourceError, match="failed on a batch"):
        make_extract_node(rules, extractor(fake, None, fallback_to_rules=False))(state(msgs))


def test_default_scenario_in_a_checkpointed_graph_resumes_without_calling_the_model(
    fake: FakeOpenAI, pool: ConnectionPool
) -> None:
    """The default fixtures read through the real collectors, the node wrapped like the app wraps it
    (execution tracking, the app's RetryPolicy); a later node fails, the resume asks the model nothing."""
    as_of = datetime(2026, 11, 20, 8, 0, tzinfo=USER.tz)
    fixtures = load_fixture_set("default", base_dir=FIXTURES_DIR, now=as_of)
    window = Window(since=as_of - timedelta(days=3), until=as_of)
    collected = {
        "email": GmailCollector(MockGmailClient(fixtures), max_chars=2000).collect(window),
        "slack": SlackCollector(MockSlackClient(fixtures), max_chars=2000).collect(window),
    }
    count = len(collected["email"]["messages"]) + len(collected["slack"]["messages"])
    assert count > 10

    saver = PostgresSaver(pool)
    saver.setup()
    tracker = ExecutionTracker("default-run", 1, None)
    node = make_extract_node(RuleBasedExtractor(USER), extractor(fake, LlmCache(pool), batch_size=5))
    fail = {"on": True}

    def after(state: PlannerState) -> dict[str, Any]:
        if fail["on"]:
            raise SourceError("planning is down")
        return {}

    g = StateGraph(PlannerState)
    g.add_node("extract_tasks", tracker.track("extract_tasks", node), retry_policy=APP_RETRY)
    g.add_node("plan_day", after)
    g.add_edge(START, "extract_tasks")
    g.add_edge("extract_tasks", "plan_day")
    g.add_edge("plan_day", END)
    app = g.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "default-run"}}
    graph_input = {
        "plan_date": "2026-11-20",
        "now": as_of.astimezone(UTC).isoformat(),
        "since": window.since.astimezone(UTC).isoformat(),
        **collected,
    }
    with pytest.raises(SourceError, match="planning is down"):
        app.invoke(graph_input, config)
    asked = sum(len(ids) for ids in fake.seen)
    assert asked == count and fake.calls == -(-count // 5)  # every message once, in batches of 5

    calls = fake.calls
    fail["on"] = False
    done = app.invoke(None, config)
    assert fake.calls == calls
    assert done["extraction"]["calls"] == calls and done["extraction"]["fallback_messages"] == 0
    please = [m for r in collected.values() for m in r["messages"] if "please" in m["text"].lower()]
    cited = {f"{s['source']}:{s['source_id']}" for t in done["tasks"] for s in t["sources"]}
    assert please and cited <= {m["id"] for m in please}
    assert [e["node"] for e in tracker.history()].count("extract_tasks") == 1
