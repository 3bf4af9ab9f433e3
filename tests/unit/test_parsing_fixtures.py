"""Parser fixtures: each JSON file in tests/fixtures/parsing is one real API payload plus its expected parse.

A Gmail file holds a ``users.messages.get`` (format=full) ``resource``; a Slack file holds a
``conversations.history`` ``message`` with its ``channel``, ``users`` and ``workspace_url``. Either
``expected`` (the ``Message`` fields that matter for the case, compared exactly) or
``expected_skip`` (the ``SkipItem`` reason) says what the parser must do with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from collectors.base import Message
from collectors.parsing import SkipItem
from collectors.parsing.gmail import GMAIL_LINK, parse_gmail_message
from collectors.parsing.slack import parse_slack_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsing"
GMAIL_FILES = sorted((FIXTURES / "gmail").glob("*.json"))
SLACK_FILES = sorted((FIXTURES / "slack").glob("*.json"))
MAX_CHARS = 4000  # above every fixture's text: capping has its own tests
MESSAGE_FIELDS = frozenset(Message.__annotations__)


def load(path: Path) -> dict:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(case.get("description"), str) and case["description"].strip(), "every fixture says what it is"
    assert ("expected" in case) != ("expected_skip" in case), "exactly one of expected / expected_skip"
    if "expected" in case:
        assert {"sender", "subject", "text"} <= case["expected"].keys()
        assert case["expected"].keys() <= MESSAGE_FIELDS, case["expected"].keys() - MESSAGE_FIELDS
    return case


def check(parse: Callable[[], Message], case: dict) -> dict | None:
    """Run ``parse``; assert the skip reason or the expected fields. Returns the message when one is expected."""
    if "expected_skip" in case:
        with pytest.raises(SkipItem) as caught:
            parse()
        assert caught.value.reason == case["expected_skip"]
        return None
    message = dict(parse())
    expected = case["expected"]
    assert {field: message[field] for field in expected} == expected
    return message


@pytest.mark.parametrize("path", GMAIL_FILES, ids=lambda path: path.stem)
def test_gmail_fixture(path: Path) -> None:
    case = load(path)
    resource = case["resource"]
    message = check(lambda: parse_gmail_message(resource, max_chars=MAX_CHARS), case)
    if message is not None:
        assert (
            message["link"]
            == GMAIL_LINK.format(id=resource["id"])
            == f"https://mail.google.com/mail/u/0/#all/{resource['id']}"
        )
        assert message["id"] == f"email:{resource['id']}" and message["source"] == "email"
        assert message["channel"] == "" and message["channel_type"] == ""


@pytest.mark.parametrize("path", SLACK_FILES, ids=lambda path: path.stem)
def test_slack_fixture(path: Path) -> None:
    case = load(path)
    names: dict[str, str] = case["users"]
    message = check(
        lambda: parse_slack_message(
            case["message"],
            channel=case["channel"],
            users=lambda user_id: names.get(user_id, user_id),
            workspace_url=case["workspace_url"],
            max_chars=MAX_CHARS,
        ),
        case,
    )
    if message is not None:
        assert message["source"] == "slack" and message["channel"] == case["channel"]["id"]
        assert message["link"].startswith(case["workspace_url"] + "archives/" + case["channel"]["id"] + "/p")


def _body_data(part: dict) -> list[str]:
    found = [part["body"]["data"]] if "data" in part.get("body", {}) else []
    return found + [data for child in part.get("parts") or [] for data in _body_data(child)]


@pytest.mark.parametrize("path", GMAIL_FILES, ids=lambda path: path.stem)
def test_gmail_fixture_is_api_shaped(path: Path) -> None:
    resource = load(path)["resource"]
    assert {"id", "threadId", "labelIds", "snippet", "sizeEstimate", "historyId", "internalDate", "payload"} <= (
        resource.keys()
    )
    assert resource["internalDate"].isdigit()
    for data in _body_data(resource["payload"]):
        # Gmail's base64url: no padding, no "+" or "/" (bad_base64 breaks the alphabet on purpose, not these).
        assert not {"=", "+", "/"} & set(data)


def test_fixture_set_covers_the_cases() -> None:
    assert len(GMAIL_FILES) >= 20, [p.stem for p in GMAIL_FILES]
    assert len(SLACK_FILES) >= 12, [p.stem for p in SLACK_FILES]
    gmail_skips = {load(p).get("expected_skip") for p in GMAIL_FILES} - {None}
    slack_skips = {load(p).get("expected_skip") for p in SLACK_FILES} - {None}
    assert {"no text body", "undecodable body", "missing From header"} <= gmail_skips
    assert {"join/leave", "channel update", "bot message", "missing ts"} <= slack_skips
