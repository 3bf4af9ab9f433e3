"""The extractor against the hand-labelled default fixtures, read through the real collectors and parsers.

``mocks/fixtures/default/expected_tasks.json`` lists which messages hold a task for Alex (one entry
per task; a request sent by both mail and Slack lists both message ids). The extractor should find
them and little else.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.extractor import RuleBasedExtractor
from agent.state import Task
from collectors.base import Message, Window
from collectors.gmail import GmailCollector
from collectors.slack import SlackCollector
from config.settings import UserSettings
from mocks.clients import MockGmailClient, MockSlackClient
from mocks.fixtures import NEWEST_BEFORE_NOW, FixtureSet, load_fixture_set, newest_epoch

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "mocks" / "fixtures"
EXPECTED = FIXTURES / "default" / "expected_tasks.json"
TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=TZ)
# Alex is on eng-all; the fixtures send one company-wide request there.
USER = UserSettings(mailing_lists=("eng-all@northwind.example",))

pytestmark = pytest.mark.skipif(not EXPECTED.exists(), reason="default fixtures not present")


def _slack_shift() -> int:
    """Seconds every Slack ts moves when the fixtures are shifted to ``NOW`` (expected ids are unshifted)."""
    raw = json.loads((FIXTURES / "default" / "slack.json").read_text(encoding="utf-8"))
    gmail = json.loads((FIXTURES / "default" / "gmail_messages.json").read_text(encoding="utf-8"))
    unshifted = FixtureSet(gmail=gmail, slack_history=raw.get("history") or {}, slack_replies=raw.get("replies") or {})
    newest = newest_epoch(unshifted)
    assert newest is not None
    return int((NOW - NEWEST_BEFORE_NOW).timestamp()) - newest


def _shifted(message_id: str, delta: int) -> str:
    if not message_id.startswith("slack:"):
        return message_id
    prefix, _, ts = message_id.rpartition(":")
    seconds, _, fraction = ts.partition(".")
    return f"{prefix}:{int(seconds) + delta}.{fraction}"


def _expected() -> list[frozenset[str]]:
    delta = _slack_shift()
    entries = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return [frozenset(_shifted(i, delta) for i in e["message_ids"]) for e in entries]


def _messages() -> list[Message]:
    fixtures = load_fixture_set("default", base_dir=FIXTURES, now=NOW)
    window = Window(since=NOW - timedelta(hours=24), until=NOW)
    email = GmailCollector(MockGmailClient(fixtures), max_chars=2000).collect(window)
    slack = SlackCollector(MockSlackClient(fixtures), max_chars=2000).collect(window)
    return email["messages"] + slack["messages"]


def _tasks() -> list[Task]:
    return RuleBasedExtractor(USER).extract(_messages(), plan_date=NOW.date(), now=NOW)


def _ids(task: Task) -> frozenset[str]:
    return frozenset(f"{s['source']}:{s['source_id']}" for s in task["sources"])


def test_default_fixture_precision_and_recall() -> None:
    expected = _expected()
    tasks = _tasks()
    found = [_ids(t) for t in tasks]
    # A task is right when it covers messages of exactly one expected task (and nothing unexpected).
    expected_ids = frozenset().union(*expected)
    true_positive_tasks = [f for f in found if f <= expected_ids and any(f & e for e in expected)]
    recalled = [e for e in expected if any(e & f for f in found)]
    precision = len(true_positive_tasks) / len(found) if found else 0.0
    recall = len(recalled) / len(expected)
    print(f"default fixture: {len(found)} tasks, precision {precision:.2f}, recall {recall:.2f}")
    for task in tasks:
        marker = "ok " if _ids(task) <= expected_ids else "FP "
        print(marker, task["priority"], task["due"], task["title"], sorted(_ids(task)))
    for e in expected:
        if e not in recalled:
            print("MISSED", sorted(e))
    assert recall >= 0.8
    assert precision >= 0.8


def test_default_fixture_merges_the_mail_and_dm_request() -> None:
    pair = next(e for e in _expected() if "email:18f3a0c1d2e4b008" in e)
    assert len(pair) == 2
    tasks = _tasks()
    merged = [t for t in tasks if _ids(t) & pair]
    assert len(merged) == 1 and _ids(merged[0]) == pair
    assert [s["source"] for s in merged[0]["sources"]] == ["email", "slack"]
    assert merged[0]["requester"] == "Dana Kim"


def test_default_fixture_is_deterministic() -> None:
    messages = _messages()
    extractor = RuleBasedExtractor(USER)
    first = extractor.extract(messages, plan_date=date(2026, 11, 20), now=NOW)
    again = extractor.extract(list(reversed(messages)), plan_date=date(2026, 11, 20), now=NOW)
    assert first == again
