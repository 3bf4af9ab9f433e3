"""API payload -> ``Message`` parsers, shared by the real and the mock clients.

The helpers here are the text clean-up both sources need: hidden characters out,
whitespace normalized, length capped. ``SkipItem`` is how a parser says "this item
cannot become a message"; collectors count the reasons instead of failing the run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["SkipItem", "cap_text", "clean_text", "iso_utc"]


class SkipItem(Exception):  # a signal, not a failure: the item is skipped and counted
    """Raised by a parser for an item that cannot become a message; ``reason`` is a short label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Zero-width characters are a classic way to hide text from humans but not from a model,
# and they break keyword matching ("to\u200bday"), so they go before anything else.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Remove zero-width characters and normalize whitespace, keeping at most one blank line."""
    text = _ZERO_WIDTH.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def cap_text(text: str, max_chars: int) -> str:
    """Cut ``text`` to at most ``max_chars`` characters at a word boundary, ending with "…"."""
    if len(text) <= max_chars:
        return text
    head = text[: max(max_chars - 1, 0)]
    # Prefer a word boundary, but not at the price of throwing most of the text away.
    boundary = max(head.rfind(" "), head.rfind("\n"))
    if boundary > max_chars // 2:
        head = head[:boundary]
    return head.rstrip() + "…"


def iso_utc(seconds: int, fraction_us: int = 0) -> str:
    """ISO 8601 UTC timestamp from whole epoch seconds plus microseconds.

    Integer arithmetic on purpose: a Slack ts like 1763456789.123456 has more digits
    than a float holds exactly, and the timestamp must not drift from the id.
    """
    moment = datetime.fromtimestamp(seconds, tz=UTC) + timedelta(microseconds=fraction_us)
    return moment.isoformat()
