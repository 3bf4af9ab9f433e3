"""Durations and "does not fit" reasons, worded for the plan's reader."""

from __future__ import annotations


def duration(minutes: int) -> str:
    """``40 min``, ``2 h``, ``2 h 15 min``: how people say it, not ``135 min``."""
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def no_fit_reason(needed: int, needed_text: str, *, left: int, longest: int, meeting_minutes: int) -> str:
    """Why ``needed`` minutes do not fit; meetings are named when they are what ate the day.

    Without meetings the wording is the planner's original one (tests and saved plans rely on it).
    """
    if not meeting_minutes:
        if left >= needed:
            return f"does not fit: {needed_text}, longest free slot is {longest} min ({left} min left today)"
        return f"does not fit: {needed_text}, {left} min left today"
    meetings = f"meetings take {duration(meeting_minutes)} today"
    if left >= needed:
        return f"does not fit: {needed_text}, the longest free slot left is {longest} min ({meetings})"
    return f"does not fit: {needed_text}, only {left} min left today ({meetings})"
