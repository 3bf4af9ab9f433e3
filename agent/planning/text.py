"""Durations and "does not fit" reasons, worded for the plan's reader."""

from __future__ import annotations


def duration(minutes: int) -> str:
    """``40 min``, ``2 h``, ``2 h 15 min``: how people say it, not ``135 min``."""
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def no_fit_reason(
    needed: int, needed_text: str, *, left: int, usable: int, min_block: int, meeting_minutes: int
) -> str:
    """Why ``needed`` minutes do not fit; meetings are named when there are any.

    A task may be split over several free slots of at least ``min_block``, so what it misses is either
    time at all (``left``: every free minute) or time in pieces long enough to work in (``usable``).
    Without meetings and when time itself is short, the wording is the planner's original one.
    """
    meetings = f"meetings take {duration(meeting_minutes)} today" if meeting_minutes else ""
    if left < needed:
        if not meetings:
            return f"does not fit: {needed_text}, {left} min left today"
        return f"does not fit: {needed_text}, only {left} min left today ({meetings})"
    if not usable:
        gaps = f"{left} min left in shorter gaps" + (f"; {meetings}" if meetings else "")
        return f"does not fit: {needed_text}, no free block of at least {min_block} min is left ({gaps})"
    blocks = f"only {usable} min free in blocks of at least {min_block} min"
    return f"does not fit: {needed_text}, {blocks}" + (f" ({meetings})" if meetings else "")
