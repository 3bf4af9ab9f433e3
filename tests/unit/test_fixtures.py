"""Fixture loading, the time shift, generated load, mock clients and the collectors end to end."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from agent.errors import ConfigError
from collectors.base import Window
from collectors.gmail import GmailCollector
from collectors.slack import SlackCollector
from mocks.clients import MockGmailClient, MockSlackClient
from mocks.fixtures import FixtureSet, load_expected_tasks, load_fixture_set, newest_epoch, shift_message_id
from mocks.generate import heavy_day

BASE = Path(__file__).resolve().parents[2] / "mocks" / "fixtures"
NOW = datetime(2026, 12, 3, 9, 30, 15, tzinfo=UTC)
DAY = Window(since=NOW - timedelta(hours=24), until=NOW)


def load(spec: str, now: datetime = NOW) -> FixtureSet:
    return load_fixture_set(spec, base_dir=BASE, now=now)


def collect(fixtures: FixtureSet, window: Window = DAY) -> tuple[dict, dict]:
    email = GmailCollector(MockGmailClient(fixtures), max_chars=2000).collect(window)
    slack = SlackCollector(MockSlackClient(fixtures), max_chars=2000).collect(window)
    return dict(email), dict(slack)


# --- loading and the time shift ---------------------------------------------------------


def test_default_counts_and_newest_lands_twenty_minutes_before_now() -> None:
    fixtures = load("default")
    slack_count = sum(map(len, fixtures.slack_history.values())) + sum(
        len(v) - 1 for v in fixtures.slack_replies.values()
    )
    assert len(fixtures.gmail) >= 28 and slack_count >= 45
    assert newest_epoch(fixtures) == int((NOW - timedelta(minutes=20)).timestamp())


def test_shift_is_whole_seconds_and_keeps_fractions_and_date_headers_in_step() -> None:
    raw = json.loads((BASE / "default" / "slack.json").read_text())
    raw_gmail = json.loads((BASE / "default" / "gmail_messages.json").read_text())
    fixtures = load("default")
    delta = int(fixtures.gmail[0]["internalDate"]) // 1000 - int(raw_gmail[0]["internalDate"]) // 1000
    assert delta > 0
    for before, after in zip(raw["history"]["C01ENGPLT"], fixtures.slack_history["C01ENGPLT"], strict=True):
        sec, frac = before["ts"].split(".")
        assert after["ts"] == f"{int(sec) + delta}.{frac}"
        if "latest_reply" in before:
            assert float(after["latest_reply"]) - float(before["latest_reply"]) == pytest.approx(delta)
    for resource in fixtures.gmail:
        date = next(h["value"] for h in resource["payload"]["headers"] if h["name"] == "Date")
        assert parsedate_to_datetime(date).timestamp() * 1000 == int(resource["internalDate"])
        assert date.endswith("+0100")  # the sender's offset survives the rewrite
    # Replies are re-keyed by the shifted thread ts, so the mock can still find them.
    for key, thread in fixtures.slack_replies.items():
        assert key.endswith(":" + thread[0]["ts"])
        assert all(m.get("thread_ts") == thread[0]["ts"] for m in thread[1:])


def test_shift_message_id() -> None:
    assert shift_message_id("slack:C1:1795000000.000100", 60) == "slack:C1:1795000060.000100"
    assert shift_message_id("email:18f3a0c1", 60) == "email:18f3a0c1"


def test_shift_is_deterministic() -> None:
    assert load("default") == load("default")
    assert load("default").gmail != load("default", NOW + timedelta(hours=1)).gmail


def test_edited_and_nested_timestamps_are_shifted() -> None:
    fixtures = load("malformed")
    messages = fixtures.slack_history["C01ENGPLT"]
    changed = next(m for m in messages if m.get("subtype") == "message_changed")
    original = next(m for m in messages if m.get("text") == "Can you check the deploy by noon?")
    assert changed["message"]["ts"] == original["ts"] == changed["previous_message"]["ts"]
    assert float(changed["message"]["edited"]["ts"]) == pytest.approx(float(changed["ts"]))
    assert float(changed["ts"]) > NOW.timestamp() - 24 * 3600


def test_spec_forms_and_errors(tmp_path: Path) -> None:
    assert load(str(BASE / "empty")).gmail == []
    (tmp_path / "slack.json").write_text(json.dumps({"auth": {"url": "https://x.slack.com/"}}))
    only_slack = load_fixture_set(str(tmp_path), base_dir=BASE, now=NOW)
    assert only_slack.gmail == [] and only_slack.slack_auth["url"] == "https://x.slack.com/"
    with pytest.raises(ConfigError, match="default"):
        load("no-such-set")
    with pytest.raises(ConfigError, match="heavy_day"):
        load("generated:light_day")
    (tmp_path / "gmail_messages.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_fixture_set(str(tmp_path), base_dir=BASE, now=NOW)


def test_empty_set_collects_nothing() -> None:
    email, slack = collect(load("empty"))
    assert (email["messages"], email["fetched"], slack["messages"], slack["fetched"]) == ([], 0, [], 0)


# --- default fixtures end to end ----------------------------------------------------------


def test_default_end_to_end() -> None:
    email, slack = collect(load("default"))
    assert email["fetched"] == len(email["messages"]) >= 28 and email["skipped"] == {}
    assert slack["skipped"] == {"bot message": 1, "channel update": 1, "join/leave": 1}
    assert len(slack["messages"]) >= 45
    for result in (email, slack):
        keys = [(m["timestamp"], m["id"]) for m in result["messages"]]
        assert keys == sorted(keys) and len({m["id"] for m in result["messages"]}) == len(keys)
        assert all(DAY.since < datetime.fromisoformat(m["timestamp"]) <= DAY.until for m in result["messages"])
    by_id = {m["id"]: m for m in email["messages"] + slack["messages"]}
    # Thread replies come from conversations.replies, and the parent is not duplicated.
    assert any("incident summary" in m["text"] for m in slack["messages"])
    assert sum("Looking into the api-gateway errors" in m["text"] for m in slack["messages"]) == 1
    # The quoted ask in Lena's reply is gone; the Docs comment is attributed to Marco (Reply-To).
    grafana = next(m for m in email["messages"] if m["subject"] == "Re: Grafana access")
    assert grafana["text"] == "Done, you should have editor access now."
    docs = next(m for m in email["messages"] if "new comment" in m["subject"])
    assert docs["sender"] == "Marco Bianchi" and not docs["automated"] and "section 3" in docs["text"]
    newsletter = next(m for m in email["messages"] if m["subject"].startswith("Platform Weekly"))
    assert newsletter["automated"] and "Ignore previous instructions" not in newsletter["text"]
    # Every expected task points at collected messages once its Slack ids follow the shift.
    fixtures = load("default")
    expected = load_expected_tasks("default", base_dir=BASE, shift_seconds=fixtures.shift_seconds)
    assert 12 <= len(expected) <= 18
    assert any(len(task["message_ids"]) == 2 for task in expected)  # the request sent by mail and Slack
    for task in expected:
        assert task["message_ids"] and all(mid in by_id for mid in task["message_ids"]), task


def test_window_boundaries_are_exclusive_then_inclusive() -> None:
    fixtures = load("default")
    email, _ = collect(fixtures)
    pivot = datetime.fromisoformat(email["messages"][5]["timestamp"])
    before, _ = collect(fixtures, Window(since=DAY.since, until=pivot))
    after, _ = collect(fixtures, Window(since=pivot, until=DAY.until))
    assert before["messages"][-1]["id"] == email["messages"][5]["id"]  # until is inclusive
    assert email["messages"][5]["id"] not in {m["id"] for m in after["messages"]}  # since is exclusive
    assert len(before["messages"]) + len(after["messages"]) == len(email["messages"])


# --- malformed fixtures against their README -------------------------------------------------


def readme_skips() -> dict[str, Counter[str]]:
    rows = re.findall(
        r"^\|[^|]+\|\s*(email|slack)\s*\|\s*(parse|skip)\s*\|\s*([^|]*?)\s*\|$",
        (BASE / "malformed" / "README.md").read_text(),
        re.MULTILINE,
    )
    counts: dict[str, Counter[str]] = {"email": Counter(), "slack": Counter()}
    for source, outcome, reason in rows:
        counts[source]["(parsed)" if outcome == "parse" else reason] += 1
    return counts


def test_malformed_matches_readme() -> None:
    expected = readme_skips()
    email, slack = collect(load("malformed"))
    assert sum(expected["email"].values()) == len(load("malformed").gmail) == email["fetched"]
    assert email["skipped"] == {k: v for k, v in expected["email"].items() if k != "(parsed)"}
    assert len(email["messages"]) == expected["email"]["(parsed)"]
    slack_skips = {k: v for k, v in expected["slack"].items() if k != "(parsed)"}
    assert slack["skipped"] == {**slack_skips, "duplicate": 1}  # the edit and its original share an id
    assert len(slack["messages"]) == expected["slack"]["(parsed)"] - 1
    texts = {m["text"] for m in slack["messages"]}
    assert "Can you check the deploy by 2pm?" in texts and "Can you check the deploy by noon?" not in texts
    assert any("Grüße" in m["text"] for m in email["messages"])
    assert any("会議の資料" in m["text"] for m in email["messages"])


# --- heavy day -------------------------------------------------------------------------------


def test_heavy_day_is_large_deterministic_and_fast() -> None:
    started = time.perf_counter()
    fixtures = load("generated:heavy_day")
    email, slack = collect(fixtures)
    elapsed = time.perf_counter() - started
    assert len(fixtures.gmail) >= 2000 and email["fetched"] >= 2000
    assert slack["fetched"] >= 5000 and len(slack["messages"]) >= 5000
    assert len(email["messages"]) >= 2000
    assert len({c["id"] for c in fixtures.slack_conversations}) >= 30 and fixtures.slack_replies
    assert any(m["automated"] for m in email["messages"]) and not all(m["automated"] for m in email["messages"])
    assert newest_epoch(fixtures) == int((NOW - timedelta(minutes=20)).timestamp())
    assert heavy_day(NOW) == fixtures
    # The budget is 1.5 s on a slow 2-core machine; this bound only catches gross regressions.
    assert elapsed < 4.0


# --- mock clients ------------------------------------------------------------------------------


def test_mock_gmail_client_query_order_and_unknown_ids() -> None:
    fixtures = load("default")
    client = MockGmailClient(fixtures)
    ids = list(client.list_message_ids("after:0 before:9999999999 -in:spam"))
    dates = [int(next(r for r in fixtures.gmail if r["id"] == i)["internalDate"]) for i in ids]
    assert dates == sorted(dates, reverse=True) and len(ids) == len(fixtures.gmail)
    newest = max(dates) // 1000
    assert list(client.list_message_ids(f"after:{newest} before:{newest + 1}")) == [ids[0]]
    assert list(client.list_message_ids(f"after:{newest + 1}")) == []
    assert [r["id"] for r in client.get_messages([ids[2], "nope", ids[0]])] == [ids[2], ids[0]]


def test_mock_slack_client() -> None:
    fixtures = load("default")
    client = MockSlackClient(fixtures)
    assert client.workspace_url() == "https://northwind.slack.com/"
    history = list(client.history("C02INCDNT", 0, NOW.timestamp()))
    assert [m["ts"] for m in history] == sorted((m["ts"] for m in history), reverse=True)
    parent = next(m for m in history if m.get("reply_count"))
    thread = list(client.replies("C02INCDNT", parent["ts"], 0))
    assert thread[0]["ts"] == parent["ts"] and len(thread) == parent["reply_count"] + 1
    late = list(client.replies("C02INCDNT", parent["ts"], float(thread[-1]["ts"]) - 0.5))
    assert [m["ts"] for m in late] == [parent["ts"], thread[-1]["ts"]]  # parent always first
    assert list(client.history("C02INCDNT", NOW.timestamp(), NOW.timestamp() + 10)) == []
    assert client.user_info("U02DANAK")["real_name"] == "Dana Kim"
    with pytest.raises(LookupError):
        client.user_info("U404")
    public = {name for name in dir(client) if not name.startswith("_")}
    assert public == {"workspace_url", "conversations", "history", "replies", "user_info"}
    assert {n for n in dir(MockGmailClient) if not n.startswith("_")} == {"list_message_ids", "get_messages"}


def test_slack_collector_names_fallback_thread_limit_and_edit_wins() -> None:
    fixtures = load("default")
    del fixtures.slack_users["U05LENAV"]  # an unknown/deleted user still yields a message, named by id
    calls: list[str] = []
    client = MockSlackClient(fixtures)
    original_user_info = client.user_info

    def counting_user_info(user_id: str) -> dict:
        calls.append(user_id)
        return original_user_info(user_id)

    client.user_info = counting_user_info  # type: ignore[method-assign]
    result = SlackCollector(client, max_chars=2000, max_threads=1).collect(DAY)
    assert any(m["sender"] == "U05LENAV" for m in result["messages"])
    assert len(calls) == len(set(calls))  # one users.info call per person per collect
    assert result["skipped"]["thread over max_threads"] == 3
    # #eng-platform comes first and history is newest first: only the "staging slow" thread is read.
    texts = {m["text"] for m in result["messages"]}
    assert "fixed now, replica was lagging" in texts
    assert "thx" not in texts and not any("incident summary" in t for t in texts)


def test_gmail_collector_batches_dedupes_and_counts() -> None:
    fixtures = heavy_day(NOW)
    fixtures.gmail.append(dict(fixtures.gmail[0]))  # same id twice in the store
    client = MockGmailClient(fixtures)
    batches: list[int] = []
    original = client.get_messages

    def recording(ids: list[str]) -> Iterator[dict]:
        batches.append(len(ids))
        return original(ids)

    client.get_messages = recording  # type: ignore[method-assign]
    collector = GmailCollector(client, max_chars=500)
    assert collector.query(DAY).startswith(f"after:{int(DAY.since.timestamp())} before:")
    assert "-in:spam" in collector.query(DAY)
    result = collector.collect(DAY)
    assert max(batches) == 100 and sum(batches) == len(result["messages"]) + sum(result["skipped"].values())
    assert len({m["id"] for m in result["messages"]}) == len(result["messages"])
    assert all(len(m["text"]) <= 500 for m in result["messages"])


def test_gmail_cap_keeps_the_newest_and_counts_the_rest() -> None:
    fixtures = load_fixture_set("default", base_dir=BASE, now=NOW)
    everything = GmailCollector(MockGmailClient(fixtures), max_chars=500).collect(DAY)["messages"]
    capped = GmailCollector(MockGmailClient(fixtures), max_chars=500, max_messages=10).collect(DAY)
    assert len(capped["messages"]) == 10
    assert capped["skipped"]["over the per-run cap of 10 (sources.gmail.max_messages)"] == len(everything) - 10
    newest = sorted(everything, key=lambda m: m["timestamp"])[-10:]
    assert {m["id"] for m in capped["messages"]} == {m["id"] for m in newest}
