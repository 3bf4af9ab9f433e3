"""Slack message -> Message: mrkdwn rendering, subtypes, edits, permalinks."""

from __future__ import annotations

import pytest

from collectors.parsing import SkipItem
from collectors.parsing.slack import parse_slack_message

NAMES = {"U01ALEXR": "Alex Rivera", "U02DANAK": "Dana Kim", "U05LENAV": "Lena Vogel"}
CHANNEL = {"id": "C01ENG", "name": "eng-platform", "is_channel": True}
IM = {"id": "D01DANA", "is_im": True, "user": "U02DANAK"}
MPIM = {"id": "G01MP", "name": "mpdm-a--b", "is_mpim": True, "is_group": True}
PRIVATE = {"id": "G02PRIV", "name": "secret-project", "is_group": True, "is_private": True}
URL = "https://northwind.slack.com/"


def users(user_id: str) -> str:
    return NAMES.get(user_id, user_id)


def parse(msg: dict, channel: dict = CHANNEL, max_chars: int = 2000) -> dict:
    base = {"type": "message", "user": "U02DANAK", "ts": "1795000000.000100"}
    return dict(
        parse_slack_message({**base, **msg}, channel=channel, users=users, workspace_url=URL, max_chars=max_chars)
    )


def test_basic_channel_message() -> None:
    message = parse({"text": "hello"})
    assert message["id"] == "slack:C01ENG:1795000000.000100"
    assert message["source_id"] == "C01ENG:1795000000.000100"
    assert message["thread"] == "C01ENG:1795000000.000100"
    assert message["sender"] == "Dana Kim" and message["sender_address"] == "U02DANAK"
    assert message["subject"] == "#eng-platform" and message["channel_type"] == "channel"
    assert message["channel"] == "C01ENG" and message["cc"] == [] and message["automated"] is False
    assert message["timestamp"] == "2026-11-18T11:06:40.000100+00:00"
    assert message["link"] == "https://northwind.slack.com/archives/C01ENG/p1795000000000100"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U01ALEXR> can you look?", "@Alex Rivera can you look?"),
        ("<@U99GONE> hi", "@U99GONE hi"),
        ("<!here> standup", "@here standup"),
        ("<!channel> and <!everyone>", "@channel and @everyone"),
        ("<!here|here> x", "@here x"),
        ("see <#C02INC|incidents>", "see #incidents"),
        ("doc: <https://docs.example/d|the doc>", "doc: the doc (https://docs.example/d)"),
        ("<https://docs.example/d>", "https://docs.example/d"),
        ("<mailto:a@x.example|a@x.example>", "a@x.example"),
        ("<!subteam^S123|@platform> ping", "@platform ping"),
        ("a &lt;b&gt; &amp;amp; c", "a <b> &amp; c"),
        ("<https://x.example/?a=1&amp;b=2|q&amp;a>", "q&a (https://x.example/?a=1&b=2)"),
    ],
)
def test_rendering(raw: str, expected: str) -> None:
    assert parse({"text": raw})["text"] == expected


def test_recipients_are_mentions_in_order_without_duplicates() -> None:
    message = parse({"text": "<@U05LENAV> and <@U01ALEXR>, <@U05LENAV> again"})
    assert message["recipients"] == ["U05LENAV", "U01ALEXR"]


def test_im_partner_is_a_recipient_when_the_token_owner_writes() -> None:
    mine = parse({"user": "U01ALEXR", "text": "ok"}, channel=IM)
    assert mine["recipients"] == ["U02DANAK"]
    assert mine["subject"] == "DM with Dana Kim" and mine["channel_type"] == "im"
    # The partner writing to the token owner: no self id is known, channel_type says it is direct.
    theirs = parse({"text": "can you?"}, channel=IM)
    assert theirs["recipients"] == [] and theirs["channel_type"] == "im"


def test_mpim_and_private_channel_subjects() -> None:
    assert (parse({"text": "x"}, channel=MPIM)["subject"], parse({"text": "x"}, channel=MPIM)["channel_type"]) == (
        "group DM",
        "mpim",
    )
    private = parse({"text": "x"}, channel=PRIVATE)
    assert (private["subject"], private["channel_type"]) == ("#secret-project", "group")


def test_thread_reply_link_and_thread() -> None:
    reply = parse({"text": "reply", "ts": "1795000100.000200", "thread_ts": "1795000000.000100"})
    assert reply["thread"] == "C01ENG:1795000000.000100"
    assert reply["link"] == (
        "https://northwind.slack.com/archives/C01ENG/p1795000100000200?thread_ts=1795000000.000100&cid=C01ENG"
    )
    parent = parse({"text": "parent", "thread_ts": "1795000000.000100", "reply_count": 2})
    assert "?thread_ts" not in parent["link"]  # a thread parent links like any message


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        ({"subtype": "channel_join", "text": "<@U1> has joined"}, "join/leave"),
        ({"subtype": "channel_leave", "text": "left"}, "join/leave"),
        ({"subtype": "group_join", "text": "joined"}, "join/leave"),
        ({"subtype": "channel_topic", "text": "set the topic"}, "channel update"),
        ({"subtype": "channel_purpose", "text": "set the purpose"}, "channel update"),
        ({"subtype": "channel_name", "text": "renamed"}, "channel update"),
        ({"subtype": "bot_message", "bot_id": "B1", "text": "build passed"}, "bot message"),
        ({"bot_id": "B2", "text": "app post without subtype"}, "bot message"),
        ({"subtype": "huddle_thread", "text": "huddle"}, "system message"),
        ({"subtype": "message_deleted"}, "deleted message"),
        ({"ts": None, "text": "no ts"}, "missing ts"),
        ({"ts": "yesterday", "text": "bad ts"}, "missing ts"),
        ({"user": None, "text": "no user"}, "missing user"),
        ({"text": "   "}, "empty message"),
    ],
)
def test_skips(msg: dict, reason: str) -> None:
    with pytest.raises(SkipItem) as caught:
        parse(msg)
    assert caught.value.reason == reason


def test_message_changed_uses_the_edited_inner_message() -> None:
    event = {
        "subtype": "message_changed",
        "ts": "1795000300.000009",
        "message": {
            "type": "message",
            "user": "U05LENAV",
            "text": "by 2pm",
            "ts": "1795000000.000100",
            "edited": {"user": "U05LENAV", "ts": "1795000300.000000"},
        },
        "previous_message": {"type": "message", "user": "U05LENAV", "text": "by noon", "ts": "1795000000.000100"},
    }
    message = parse(event)
    assert message["text"] == "by 2pm"
    assert message["id"] == "slack:C01ENG:1795000000.000100"  # the original message's identity
    assert message["sender"] == "Lena Vogel"


def test_message_changed_wrapping_a_bot_message_is_skipped() -> None:
    with pytest.raises(SkipItem, match="bot message"):
        parse({"subtype": "message_changed", "message": {"bot_id": "B1", "text": "x", "ts": "1795000000.000100"}})


def test_edited_message_and_file_share_and_thread_broadcast_parse() -> None:
    assert parse({"text": "latest", "edited": {"user": "U02DANAK", "ts": "1795000050.000000"}})["text"] == "latest"
    shared = parse({"subtype": "file_share", "text": "see this", "files": [{"title": "plan.pdf"}]})
    assert shared["text"] == "see this\n[shared file: plan.pdf]"
    assert (
        parse({"subtype": "thread_broadcast", "text": "also here", "thread_ts": "1794999000.000001"})["text"]
        == "also here"
    )


def test_hidden_characters_whitespace_and_cap() -> None:
    assert parse({"text": "to\u200bday  \u2060please\n\n\n\nok"})["text"] == "today please\n\nok"
    capped = parse({"text": "alpha beta gamma delta epsilon"}, max_chars=15)["text"]
    assert capped == "alpha beta…" and len(capped) <= 15
