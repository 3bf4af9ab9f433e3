"""Resolve deadline phrases ("by Friday", "EOD", "Nov 27th", "by 3pm tomorrow") to ISO dates.

Every phrase is resolved against the *message's* local date, never the wall clock, so a
message read on Monday that said "tomorrow" on Friday still means Saturday.

Rules (documented because several phrases are ambiguous):
- "today", "tonight", "EOD", "end of (the) day", "COB", "close of business" -> the message date.
- "tomorrow" -> message date + 1.
- "EOW", "end of (the) week", "this week", "before the weekend" -> the Friday on or after the message date.
- a weekday name ("by Friday", "on Monday", "Friday") -> the next such day on or after the message date
  (the message date itself when it falls on that weekday).
- "next <weekday>" -> that weekday in the following Monday-based week.
- "next week" -> Monday of the following week; "end of next week" -> Friday of the following week.
- "end of (the) month", "EOM" -> the last day of the message's month.
- ISO dates "2026-11-27"; written dates "November 27", "Nov 27th", "27 Nov", "27th of November". A written
  date without a year takes the message's year, or the next year when that would put it more than 60
  days before the message (a December message saying "Jan 5" means next January).
- "by the 25th" -> that day of the message's month, or of the next month when it has passed. Only after
  "by"/"before"/"until"/"on"/"due": "the 1st draft" is not a date.
- a weekday before a date ("Wednesday 25 Nov", "Mon, Nov 23") -> the date; the weekday only confirms it.
- past references ("last Friday", "yesterday", "past week") are never deadlines; a later phrase still counts.
- "by noon", "before midday", "by lunchtime" are times like "by 12:00".
- a time ("by 3pm", "before 15:00") belongs to the day the text names ("by 3pm tomorrow"), else to the
  message date, even when that hour had already passed when the message was sent (the request is then
  simply overdue; guessing "tomorrow" would hide that).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# "sat"/"sun" are left out: as words ("sat down", "the sun") they are far more common than as days.
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_WEEKDAY_RE = "|".join(_WEEKDAYS) + "|" + "|".join(sorted(_WEEKDAY_ABBR, key=len, reverse=True))
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
# "Wednesday 25 Nov", "Mon, Nov 23": the weekday belongs to the date that follows it.
_WD_PREFIX = rf"(?:(?:{_WEEKDAY_RE})\.?,?\s+)?"

# The lookahead lists every first character a phrase can start with, so most word starts are
# rejected before any branch is tried (patterns run on lower-cased text).
# One alternation, tried left to right at each position, so the earliest phrase in the text wins
# and longer forms ("end of next week") are listed before their prefixes ("next week").
_PHRASE = re.compile(
    rf"""
    \b(?=[\dabcdefjlmnopstwy])(?:
    (?P<iso>{_WD_PREFIX}(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})\b)
  | (?P<md>{_WD_PREFIX}(?P<md_m>{_MONTH_RE})\.?\s+(?P<md_d>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<md_y>\d{{4}}))?)
  | (?P<dm>{_WD_PREFIX}(?P<dm_d>\d{{1,2}}){_ORD}(?:\s+of)?\s+(?P<dm_m>{_MONTH_RE})\b\.?(?:,?\s+(?P<dm_y>\d{{4}}))?)
  | (?P<nth>(?:(?<=by\s)|(?<=before\s)|(?<=until\s)|(?<=on\s)|(?<=due\s))the\s+(?P<nth_d>\d{{1,2}})(?:st|nd|rd|th)\b)
  | (?P<past>(?:last|past|previous)\s+(?:{_WEEKDAY_RE}|week|month)\b|yesterday\b)
  | (?P<eonw>end\s+of\s+next\s+week\b)
  | (?P<eow>eow\b|end\s+of\s+(?:the\s+|this\s+)?week\b|this\s+week\b|before\s+the\s+weekend\b)
  | (?P<eom>eom\b|end\s+of\s+(?:the\s+|this\s+)?month\b)
  | (?P<nextwd>next\s+(?P<nwd>{_WEEKDAY_RE})\b)
  | (?P<nextweek>next\s+week\b)
  | (?P<today>today\b|tonight\b|eod\b|end\s+of\s+(?:the\s+)?day\b|cob\b|close\s+of\s+business\b)
  | (?P<tomorrow>tomorrow\b|tmrw?\b)
  | (?P<wd>(?P<wdn>{_WEEKDAY_RE})\b\.?)
    )(?!['\u2019]s\b)  # "next week's review", "Friday's notes" name a thing, not a deadline
    """,
    re.VERBOSE,
)

# A clock time: "3pm", "9:30 am", "15:00". Whether it is a deadline depends on the words before it.
_TIME = re.compile(r"\b(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?(?![\d:])\s*(?P<ap>am\b|pm\b|a\.m\.|p\.m\.)?")
_TIME_PREP = re.compile(r"\b(?:by|before|until|till|at|due)\s+$")


def _on_or_after(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _weekday_index(name: str) -> int:
    name = name.lower().rstrip(".")
    if name in _WEEKDAYS:
        return _WEEKDAYS.index(name)
    return _WEEKDAY_ABBR[name]


def _written(day: str, month: str, year: str | None, base: date) -> date | None:
    try:
        if year:
            return date(int(year), _MONTHS[month.lower()], int(day))
        found = date(base.year, _MONTHS[month.lower()], int(day))
    except ValueError:
        return None  # "Feb 30" or "Nov 99": not a date
    if found < base - timedelta(days=60):
        try:
            return found.replace(year=base.year + 1)
        except ValueError:
            return None
    return found


def _nth_of_month(day: int, base: date) -> date | None:
    """ "by the 25th": this month's 25th, or next month's once it has passed."""
    year, month = base.year, base.month
    if day < base.day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    try:
        return date(year, month, day)
    except ValueError:
        return None  # "by the 31st" in a 30-day month: not a date we can trust


def _resolve(match: re.Match[str], base: date) -> date | None:
    kind = match.lastgroup
    g = match.group
    if g("iso"):
        try:
            return date(int(g("iy")), int(g("im")), int(g("id")))
        except ValueError:
            return None
    if g("nth"):
        return _nth_of_month(int(g("nth_d")), base)
    if g("past"):
        return None  # "the report from last Friday": a reference, not a deadline
    if g("md"):
        return _written(g("md_d"), g("md_m"), g("md_y"), base)
    if g("dm"):
        return _written(g("dm_d"), g("dm_m"), g("dm_y"), base)
    if g("eonw"):
        return base + timedelta(days=7 - base.weekday() + 4)
    if g("eow"):
        return _on_or_after(base, 4)
    if g("eom"):
        return base.replace(day=calendar.monthrange(base.year, base.month)[1])
    if g("nextwd"):
        next_monday = base + timedelta(days=7 - base.weekday())
        return next_monday + timedelta(days=_weekday_index(g("nwd")))
    if g("nextweek"):
        return base + timedelta(days=7 - base.weekday())
    if g("today"):
        return base
    if g("tomorrow"):
        return base + timedelta(days=1)
    if g("wd"):
        return _on_or_after(base, _weekday_index(g("wdn")))
    raise AssertionError(f"unhandled date phrase group {kind}")  # pragma: no cover - the regex lists every group


def _deadline_time(low: str) -> time | None:
    """The first clock time in lower-cased text that reads as a deadline, or None."""
    for m in _TIME.finditer(low):
        hour = int(m.group("h"))
        minute = int(m.group("mi") or 0)
        ampm = (m.group("ap") or "").replace(".", "")
        # A bare number ("3 files") is not a time; "15:00" is one only after "by"/"at"/... ("the 10:30 standup").
        if not ampm and not (m.group("mi") and _TIME_PREP.search(low, max(0, m.start() - 8), m.start())):
            continue
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            continue
        return time(hour, minute)
    return None


def find_due(text: str, sent_local: datetime) -> date | None:
    """The deadline the text names, resolved against the local time the message was sent; None if none."""
    base = sent_local.date()
    low = text.lower()
    for match in _PHRASE.finditer(low):
        day = _resolve(match, base)
        if day is not None:
            return day  # the earliest phrase that names a day; past references are skipped
    return base if _deadline_time(low) is not None or _NOON.search(low) else None


def strip_due_phrases(text: str) -> str:
    """The text without its deadline phrases (and the "by"/"before" leading into them), for a task title."""
    low = text.lower()
    if len(low) != len(text):  # a few non-ASCII letters change length when lower-cased; keep spans aligned
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    # Past references stay: "the report from last Friday" names which report.
    spans = [_with_part_of_day(low, m.span()) for m in _PHRASE.finditer(low) if not m.group("past")]
    spans += [m.span() for m in _NOON.finditer(low)]
    if _DIGIT.search(low):
        for m in _CLOCK.finditer(low):
            # "3pm" always reads as a time; "15:00" only after "by"/"at" ("the 10:30 standup" stays).
            if m.group("ap") or (m.group("mi") and _lead_in_end(low[: m.start()]) < m.start()):
                spans.append(m.span())
    for start, end in sorted(spans, reverse=True):
        text = text[: _lead_in_end(text[:start])] + " " + text[end:]
    return re.sub(r"\s+(?=[,;:!?])", "", re.sub(r"\s{2,}", " ", text)).strip()


_NOON = re.compile(r"\b(?:by|before|until|till|at|due)\s+(?:noon|midday|lunch(?:time)?)\b")
_PART_OF_DAY = re.compile(r"\s+(?:morning|afternoon|evening|night)\b")


def _with_part_of_day(low: str, span: tuple[int, int]) -> tuple[int, int]:
    """ "by Thursday morning": the part of the day goes with the deadline phrase out of the title."""
    m = _PART_OF_DAY.match(low, span[1])
    return (span[0], m.end()) if m else span


_DIGIT = re.compile(r"\d")
_CLOCK = re.compile(r"\b\d{1,2}(?P<mi>:\d{2})?(?![\d:])\s*(?P<ap>am\b|pm\b|a\.m\.|p\.m\.)?")
_LEAD_INS = ("by", "before", "until", "till", "on", "for", "due", "at", "no later than")


def _lead_in_end(head: str) -> int:
    """Where the words leading into a deadline ("by", "by the", "no later than") start at the end of ``head``.

    Returns ``len(head)`` when there are none. Plain string checks: an end-anchored regex would be
    tried at every position of the text.
    """
    kept = head.rstrip()
    lowered = kept.lower()
    if lowered == "the" or lowered.endswith(" the"):
        lowered = lowered[:-3].rstrip()
    for word in _LEAD_INS:
        if lowered == word or lowered.endswith(" " + word):
            return len(lowered) - len(word)
    return len(head)
