"""The rule-based extractor against a hand-labelled suite: ``tests/fixtures/extraction/*.json``.

Each file is one small scenario (a message or a conversation) with the tasks a careful human would
write down for the user. File format::

    {
      "description": "...",
      "user": {"mailing_lists": ["..."]},          # optional UserSettings overrides
      "plan_date": "2026-11-18",
      "now": "2026-11-18T18:00:00+01:00",
      "messages": [ {Message fields; see _message() for the defaults filled in} ],
      "expected": [
        {"message_ids": ["email:e1", "slack:D01:1"], "due": "2026-11-20" | null,
         "title_contains": "...", "requester": "..."}
      ]
    }

``expected: []`` labels non-tasks. ``due: null`` means "no deadline"; leaving ``due`` out means the
deadline is not judged. Matching is one to one: a predicted task matches an expected one when their
message id sets overlap, the requester agrees and the due date agrees (a wrong due date is a miss),
so a duplicate task for one request counts against precision.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.extractor import RuleBasedExtractor
from agent.state import Task
from collectors.base import Message
from config.settings import UserSettings
from tests.conftest import SUMMARY

SUITE = Path(__file__).resolve().parents[1] / "fixtures" / "extraction"
FILES = sorted(SUITE.glob("*.json"))


def _message(raw: dict[str, Any], user: UserSettings) -> Message:
    """A full Message from a fixture entry; only the fields that matter to the scenario need to be written."""
    source = raw.get("source", "email")
    source_id = raw["source_id"]
    if source == "email":
        defaults: dict[str, Any] = {
            "recipients": [user.email],
            "cc": [],
            "subject": "(no subject)",
            "thread": source_id,
            "channel": "",
            "channel_type": "",
            "sender_address": raw["sender"].lower().replace(" ", ".") + "@northwind.example",
            "link": f"https://mail.google.com/mail/u/0/#all/{source_id}",
        }
    else:
        channel, _, ts = source_id.partition(":")
        kind = raw.get("channel_type", "im")
        defaults = {
            "recipients": [],
            "cc": [],
            "subject": "DM" if kind == "im" else ("group DM" if kind == "mpim" else "#channel"),
            "thread": source_id,
            "channel": channel,
            "channel_type": kind,
            "sender_address": "U" + raw["sender"].upper().replace(" ", "")[:8],
            "link": f"https://northwind.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }
    fields = {**defaults, **raw}
    return Message(
        id=f"{source}:{source_id}",
        source=source,
        source_id=source_id,
        sender=fields["sender"],
        sender_address=fields["sender_address"],
        recipients=list(fields["recipients"]),
        cc=list(fields["cc"]),
        subject=fields["subject"],
        text=fields["text"],
        timestamp=fields["timestamp"],
        thread=fields["thread"],
        channel=fields["channel"],
        channel_type=fields["channel_type"],
        automated=bool(fields.get("automated", False)),
        link=fields["link"],
    )


def load_case(path: Path) -> tuple[dict[str, Any], UserSettings, list[Message]]:
    case = json.loads(path.read_text(encoding="utf-8"))
    user = UserSettings(**case.get("user", {}))
    return case, user, [_message(m, user) for m in case["messages"]]


def _ids(task: Task) -> set[str]:
    return {f"{s['source']}:{s['source_id']}" for s in task["sources"]}


def _matches(task: Task, want: dict[str, Any]) -> bool:
    if not _ids(task) & set(want["message_ids"]):
        return False
    if "due" in want and task["due"] != want["due"]:
        return False  # a wrong deadline is a miss: the plan would schedule it on the wrong day
    return "requester" not in want or task["requester"] == want["requester"]


def run_suite() -> dict[str, Any]:
    """Extract every case; return counts and the human-readable problems found."""
    predicted = matched_predicted = expected_total = matched_expected = messages = 0
    titles_ok = titles_total = 0
    problems: list[str] = []
    for path in FILES:
        case, user, msgs = load_case(path)
        messages += len(msgs)
        tasks = RuleBasedExtractor(user).extract(
            msgs, plan_date=date.fromisoformat(case["plan_date"]), now=datetime.fromisoformat(case["now"])
        )
        predicted += len(tasks)
        expected_total += len(case["expected"])
        unmatched = list(tasks)
        for want in case["expected"]:
            hit = next((t for t in unmatched if _matches(t, want)), None)
            if hit is None:
                near = [(t["title"], t["due"], sorted(_ids(t))) for t in tasks if _ids(t) & set(want["message_ids"])]
                problems.append(f"{path.name}: MISSED {want} (nearest: {near})")
                continue
            unmatched.remove(hit)
            matched_expected += 1
            if "title_contains" in want:
                titles_total += 1
                if want["title_contains"].lower() in hit["title"].lower():
                    titles_ok += 1
                else:
                    problems.append(f"{path.name}: TITLE {hit['title']!r} lacks {want['title_contains']!r}")
        matched_predicted += len(tasks) - len(unmatched)
        problems += [f"{path.name}: EXTRA {t['title']!r} due {t['due']} {sorted(_ids(t))}" for t in unmatched]
    return {
        "precision": matched_predicted / predicted if predicted else 1.0,
        "recall": matched_expected / expected_total if expected_total else 1.0,
        "titles": titles_ok / titles_total if titles_total else 1.0,
        "messages": messages,
        "expected": expected_total,
        "predicted": predicted,
        "problems": problems,
    }


def test_suite_is_large_and_well_formed() -> None:
    total = 0
    for path in FILES:
        case, _, msgs = load_case(path)
        ids = [m["id"] for m in msgs]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate message ids"
        for want in case["expected"]:
            assert set(want["message_ids"]) <= set(ids), f"{path.name}: expected ids not among the messages"
        total += len(msgs)
    assert total >= 60


def test_extraction_suite_precision_and_recall(request: pytest.FixtureRequest) -> None:
    result = run_suite()
    summary = (
        f"extraction suite: precision {result['precision']:.2f} recall {result['recall']:.2f} "
        f"on {result['messages']} messages ({result['expected']} expected tasks, {result['predicted']} predicted, "
        f"titles {result['titles']:.2f}, {len(FILES)} files)"
    )
    print("\n" + summary)
    request.config.stash[SUMMARY] = summary  # shown at the end of every pytest run by tests/conftest.py
    for problem in result["problems"]:
        print("  " + problem)
    detail = summary + "".join("\n  " + p for p in result["problems"])
    assert result["precision"] >= 0.9, detail
    assert result["recall"] >= 0.9, detail
    assert result["titles"] >= 0.85, detail


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_case_is_deterministic(path: Path) -> None:
    case, user, msgs = load_case(path)
    extractor = RuleBasedExtractor(user)
    kwargs = {"plan_date": date.fromisoformat(case["plan_date"]), "now": datetime.fromisoformat(case["now"])}
    assert extractor.extract(msgs, **kwargs) == extractor.extract(list(reversed(msgs)), **kwargs)
