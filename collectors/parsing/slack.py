"""Slack conversations.history / conversations.replies message -> ``Message``.

Slack's mrkdwn control sequences (``<@U1>``, ``<!here>``, ``<#C1|name>``, ``<url|label>``)
become readable text; system messages (joins, topic changes, bots) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from collectors.base import Message
from collectors.parsing import SkipItem, cap_text, clean_text, iso_utc

# Subtypes written by a person; everything else is Slack or an integration talking.
_USER_SUBTYPES = {None, "", "thread_broadcast", "file_share", "me_message", "reply_broadcast"}
_JOIN_LEAVE = {"channel_join", "channel_leave", "group_join", "group_leave", "member_joined_channel"}
_CHANNEL_UPDATE = {
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "channel_archive",
    "channel_unarchive",
    "group_topic",
    "group_purpose",
    "group_name",
    "group_archive",
    "group_unarchive",
    "pinned_item",
    "unpinned_item",
}
_CONTROL = re.compile(r"<([^<>\n]+)>")
_TS = re.compile(r"^(\d+)(?:\.(\d{1,6}))?$")


def split_ts(ts: str) -> tuple[int, int]:
    """Slack ts "1763456789.123456" -> (seconds, microseconds); SkipItem if it is not one."""
    match = _TS.match(ts.strip())
    if not match:
        raise SkipItem("missing ts")
    return int(match.group(1)), int((match.group(2) or "0").ljust(6, "0"))


def channel_type(channel: dict) -> str:
    if channel.get("is_im"):
        return "im"
    # mpims also carry is_group, so they must be recognised first.
    if channel.get("is_mpim"):
        return "mpim"
    if channel.get("is_group") or channel.get("is_private"):
        return "group"
    return "channel"


def _unescape(text: str) -> str:
    # Slack escapes only these three; &amp; last so "&amp;lt;" stays "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_text(text: str, users: Callable[[str], str]) -> tuple[str, list[str]]:
    """Slack mrkdwn -> plain text, plus the ids of users mentioned (first-seen order)."""
    mentioned: list[str] = []

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user_id = target[1:]
            if user_id not in mentioned:
                mentioned.append(user_id)
            return "@" + users(user_id)
        if target.startswith("!"):
            command = target[1:]
            if command in ("here", "channel", "everyone"):
                return "@" + command
            # <!subteam^S1|@team>, <!date^...|fallback>: Slack gives a readable label.
            return _unescape(label) if label else "@" + command.split("^", 1)[0]
        if target.startswith("#"):
            return "#" + _unescape(label or target[1:])
        url = _unescape(target)
        if not label:
            return url
        label = _unescape(label)
        if label == url or url == "mailto:" + label:
            return label
        return f"{label} ({url})"

    rendered = _CONTROL.sub(replace, text)
    return _unescape(rendered), mentioned


def _effective(msg: dict) -> dict:
    """The message a person wrote: message_changed events carry the edited message inside."""
    subtype = msg.get("subtype")
    if subtype == "message_changed":
        inner = msg.get("message")
        if not isinstance(inner, dict):
            raise SkipItem("malformed edit")
        return inner
    if subtype == "message_deleted":
        raise SkipItem("deleted message")
    return msg


def _check_subtype(msg: dict) -> None:
    subtype = msg.get("subtype")
    if subtype in _JOIN_LEAVE:
        raise SkipItem("join/leave")
    if subtype in _CHANNEL_UPDATE:
        raise SkipItem("channel update")
    if subtype == "bot_message" or msg.get("bot_id"):
        raise SkipItem("bot message")
    if subtype not in _USER_SUBTYPES:
        raise SkipItem("system message")


def permalink(workspace_url: str, channel_id: str, ts: str, thread_ts: str | None) -> str:
    """The link Slack's chat.getPermalink would return, built without an API call."""
    base = workspace_url if workspace_url.endswith("/") else workspace_url + "/"
    link = f"{base}archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link


def parse_slack_message(
    msg: dict,
    *,
    channel: dict,
    users: Callable[[str], str],
    workspace_url: str,
    max_chars: int,
) -> Message:
    """Turn one Slack message into a ``Message``; raise ``SkipItem`` if it cannot be one."""
    msg = _effective(msg)
    _check_subtype(msg)
    ts = str(msg.get("ts") or "")
    seconds, micros = split_ts(ts)
    user_id = str(msg.get("user") or "")
    if not user_id:
        raise SkipItem("missing user")

    text, mentioned = render_text(str(msg.get("text") or ""), users)
    files = [str(f.get("title") or f.get("name") or "file") for f in msg.get("files") or [] if isinstance(f, dict)]
    if files:
        text = (text + "\n" if text else "") + "\n".join(f"[shared file: {name}]" for name in files)
    text = cap_text(clean_text(text), max_chars)
    if not text:
        raise SkipItem("empty message")

    channel_id = str(channel.get("id") or "")
    kind = channel_type(channel)
    recipients = list(mentioned)
    partner = str(channel.get("user") or "")
    # In an IM the other side is the addressee; when the partner writes, the addressee is the
    # token owner, whose id the parser does not know: channel_type "im" already says it.
    if kind == "im" and partner and partner != user_id and partner not in recipients:
        recipients.append(partner)

    if kind == "im":
        subject = f"DM with {users(partner)}" if partner else "DM"
    elif kind == "mpim":
        subject = "group DM"
    else:
        subject = "#" + str(channel.get("name") or channel_id)

    thread_ts = str(msg.get("thread_ts") or "") or None
    return Message(
        id=f"slack:{channel_id}:{ts}",
        source="slack",
        source_id=f"{channel_id}:{ts}",
        sender=users(user_id),
        sender_address=user_id,
        recipients=recipients,
        cc=[],
        subject=subject,
        text=text,
        timestamp=iso_utc(seconds, micros),
        thread=f"{channel_id}:{thread_ts or ts}",
        channel=channel_id,
        channel_type=kind,
        automated=False,
        link=permalink(workspace_url, channel_id, ts, thread_ts),
    )
