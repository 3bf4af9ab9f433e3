"""Calendar events -> meetings: parsing rules, the collector over the mock client, fixture day shift."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collectors.calendar import CalendarCollector, day_bounds
from collectors.parsing import SkipItem
from collectors.parsing.calendar import parse_calendar_event
from mocks.calendar_shift import fixture_day, shift_calendar
from mocks.clients import MockCalendarClient
from mocks.fixtures import FixtureSet, load_fixture_set
from mocks.generate import heavy_day

BASE = Path(__file__).resolve().parents[2] / "mocks" / "fixtures"
TZ = ZoneInfo("Europe/Berlin")
ME = "alex.rivera@northwind.example"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def event(**overrides: object) -> dict:
    base: dict = {
        "id": "ev1",
        "status": "confirmed",
        "summary": "Design review",
        "htmlLink": "https://www.google.com/calendar/event?eid=ev1",
        "start": {"dateTime": "2026-11-20T14:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-11-20T15:00:00+01:00", "timeZone": "Europe/Berlin"},
    }
    base.update(overrides)
    return base


def parse(e: dict, tz: ZoneInfo = TZ) -> dict:
    return dict(parse_calendar_event(e, tz=tz, user_email=ME))


def skip_reason(e: dict) -> str:
    with pytest.raises(SkipItem) as caught:
        parse_calendar_event(e, tz=TZ, user_email=ME)
    return caught.value.reason


def collector(fixtures: FixtureSet) -> CalendarCollector:
    return CalendarCollector(MockCalendarClient(fixtures), calendar_id="primary", tz=TZ, user_email=ME)


# --- parsing --------------------------------------------------------------------------------


def test_timed_event_becomes_a_meeting_in_the_user_timezone() -> None:
    m = parse(event(start={"dateTime": "2026-11-20T13:00:00Z"}, end={"dateTime": "2026-11-20T14:00:00Z"}))
    assert m == {
        "id": "ev1",
        "title": "Design review",
        "start": "2026-11-20T14:00:00+01:00",
        "end": "2026-11-20T15:00:00+01:00",
        "all_day": False,
        "link": "https://www.google.com/calendar/event?eid=ev1",
    }


def test_all_day_event_is_flagged() -> None:
    m = parse(event(start={"date": "2026-11-20"}, end={"date": "2026-11-21"}))
    assert m["all_day"] and m["start"] == "2026-11-20T00:00:00+01:00" and m["end"] == "2026-11-21T00:00:00+01:00"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"status": "cancelled"}, "cancelled"),
        ({"attendees": [{"email": ME, "self": True, "responseStatus": "declined"}]}, "declined by you"),
        ({"attendees": [{"email": ME.upper(), "responseStatus": "declined"}]}, "declined by you"),
        ({"transparency": "transparent"}, "marked as free"),
        ({"start": None}, "missing start"),
        ({"start": {"timeZone": "Europe/Berlin"}}, "missing start"),
        ({"start": {"dateTime": "2026-11-20T25:61:00+01:00"}}, "unreadable start or end time"),
        ({"end": {"dateTime": "2026-11-20T13:00:00+01:00"}}, "ends before it starts"),
    ],
)
def test_events_that_take_no_time_are_skipped_with_a_reason(overrides: dict, reason: str) -> None:
    assert skip_reason(event(**overrides)) == reason


def test_others_declining_does_not_skip_and_titles_are_cleaned() -> None:
    attendees = [
        {"email": "dana.kim@northwind.example", "responseStatus": "declined"},
        {"email": ME, "self": True, "responseStatus": "tentative"},
    ]
    assert parse(event(attendees=attendees))["id"] == "ev1"
    assert parse(event(summary="  Sync\u200b\n with   Dana "))["title"] == "Sync with Dana"
    assert parse(event(summary=None))["title"] == "(no title)"


# --- collector ------------------------------------------------------------------------------


def test_default_day_meetings_and_coverage() -> None:
    meetings, coverage = collector(load_fixture_set("default", base_dir=BASE, now=NOW)).collect(NOW.date())
    timed = [(m["start"][11:16], m["end"][11:16], m["title"]) for m in meetings if not m["all_day"]]
    assert timed == [
        ("09:30", "09:45", "Platform standup"),
        ("11:00", "11:30", "1:1 Alex / Dana"),
        ("14:00", "15:00", "Design review: billing migration"),
    ]
    assert [m["title"] for m in meetings if m["all_day"]] == ["Company offsite planning"]
    assert all(m["start"].startswith("2026-11-20") for m in meetings)
    assert coverage == {
        "status": "collected",
        "fetched": 7,
        "messages": 4,
        "skipped": {"cancelled": 1, "declined by you": 1, "marked as free": 1},
    }


def test_malformed_and_empty_fixtures() -> None:
    meetings, coverage = collector(load_fixture_set("malformed", base_dir=BASE, now=NOW)).collect(NOW.date())
    assert [m["title"] for m in meetings] == ["(no title)", "Team retro"]
    assert coverage["fetched"] == 6 and coverage["skipped"] == {
        "cancelled": 1,
        "ends before it starts": 1,
        "missing start": 1,
        "unreadable start or end time": 1,
    }
    assert collector(load_fixture_set("empty", base_dir=BASE, now=NOW)).collect(NOW.date()) == (
        [],
        {"status": "collected", "fetched": 0, "messages": 0, "skipped": {}},
    )


def test_collector_asks_for_local_midnight_bounds_and_drops_other_days() -> None:
    asked: list[tuple[str, str, str]] = []

    class Recording:
        def events(self, calendar_id: str, time_min: str, time_max: str) -> Iterator[dict]:
            asked.append((calendar_id, time_min, time_max))
            yield event(id="yesterday", start={"dateTime": "2026-11-19T10:00:00+01:00"},
                        end={"dateTime": "2026-11-19T11:00:00+01:00"})  # fmt: skip
            yield event()
            yield event()

    meetings, coverage = CalendarCollector(Recording(), calendar_id="team@x", tz=TZ, user_email=ME).collect(
        date(2026, 11, 20)
    )
    assert asked == [("team@x", "2026-11-20T00:00:00+01:00", "2026-11-21T00:00:00+01:00")]
    assert [m["id"] for m in meetings] == ["ev1"]
    assert coverage["skipped"] == {"duplicate": 1, "not on the plan date": 1}


def test_day_bounds_on_a_dst_change_day() -> None:
    start, end = day_bounds(date(2026, 10, 25), TZ)
    # The strings the API gets carry each midnight's own offset: the day is 25 hours long.
    assert (start.isoformat(), end.isoformat()) == ("2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00")


# --- fixture day shift -------------------------------------------------------------------------


def test_calendar_moves_by_whole_days_and_keeps_the_time_of_day_across_dst() -> None:
    raw = json.loads((BASE / "default" / "calendar.json").read_text())
    summer = datetime(2027, 7, 1, 8, 0, tzinfo=TZ)
    fixtures = load_fixture_set("default", base_dir=BASE, now=summer)
    assert fixtures.calendar_shift_days == (summer.date() - fixture_day(raw)).days  # type: ignore[operator]
    standup = next(e for e in fixtures.calendar if e["summary"] == "Platform standup")
    assert standup["start"]["dateTime"] == "2027-07-01T09:30:00+02:00"  # 09:30 Berlin, now in summer time
    offsite = next(e for e in fixtures.calendar if e["summary"] == "Company offsite planning")
    assert offsite["start"] == {"date": "2027-07-01"} and offsite["end"] == {"date": "2027-07-02"}


def test_calendar_shift_is_deterministic_and_independent_of_the_hour() -> None:
    early = load_fixture_set("default", base_dir=BASE, now=NOW)
    late = load_fixture_set("default", base_dir=BASE, now=NOW.replace(hour=23, minute=59))
    assert early.calendar == late.calendar and early.calendar_shift_days == late.calendar_shift_days
    kept = load_fixture_set("default", base_dir=BASE, now=NOW, shift=False)
    assert kept.calendar_shift_days == 0
    assert kept.calendar == json.loads((BASE / "default" / "calendar.json").read_text())


def test_broken_times_are_left_for_the_parser() -> None:
    events = [
        {"start": {"dateTime": "2026-11-19T10:00:00+01:00"}, "end": {"dateTime": "2026-11-19T10:30:00+01:00"}},
        {"start": {"dateTime": "not a time"}},
        {"summary": "no start"},
    ]
    assert shift_calendar(events, date(2026, 11, 21)) == 2
    assert events[0]["start"]["dateTime"] == "2026-11-21T10:00:00+01:00"
    assert events[1]["start"] == {"dateTime": "not a time"} and "start" not in events[2]
    assert shift_calendar([], date(2026, 11, 21)) == 0


def test_heavy_day_has_about_eight_meetings_on_the_plan_date() -> None:
    fixtures = heavy_day(NOW)
    meetings, coverage = collector(fixtures).collect(NOW.date())
    assert len(meetings) == 8 and coverage["skipped"] == {"cancelled": 1, "declined by you": 1}
    assert all(m["start"].startswith("2026-11-20") for m in meetings)
    assert heavy_day(NOW).calendar == fixtures.calendar
