"""GoogleCalendarClient through the real googleapiclient with HttpMockSequence (static discovery, no network)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from googleapiclient.http import HttpMockSequence

from agent.errors import ConfigError, SourceError, TransientSourceError
from collectors.calendar import CalendarCollector
from collectors.calendar_api import SCOPES_CALENDAR, GoogleCalendarClient
from mocks.clients import MockCalendarClient
from mocks.fixtures import load_fixture_set

FIXTURES = Path(__file__).resolve().parents[2] / "mocks" / "fixtures"
TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=TZ)
DAY = ("2026-11-20T00:00:00+01:00", "2026-11-21T00:00:00+01:00")

Response = tuple[dict[str, str], str]


def reply(body: dict, status: int = 200, **headers: str) -> Response:
    return {"status": str(status), "content-type": "application/json; charset=UTF-8", **headers}, json.dumps(body)


def error(status: int, reason: str, message: str = "error", **headers: str) -> Response:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason, "domain": "global"}]}}
    return reply(body, status, **headers)


def api(responses: list[Response], sleeps: list[float] | None = None, **options: object) -> GoogleCalendarClient:
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    return GoogleCalendarClient.from_http(HttpMockSequence(responses), sleep=sleep, **options)  # type: ignore[arg-type]


def queries(client: GoogleCalendarClient) -> list[tuple[str, dict[str, list[str]]]]:
    return [
        (urlsplit(uri).path, parse_qs(urlsplit(uri).query)) for uri, _, _, _ in client.service._http.request_sequence
    ]


def test_events_list_parameters_and_pagination() -> None:
    client = api([reply({"items": [{"id": "a"}, {"id": "b"}], "nextPageToken": "p2"}), reply({"items": [{"id": "c"}]})])

    assert [e["id"] for e in client.events("primary", *DAY)] == ["a", "b", "c"]
    (path, first), (_, second) = queries(client)
    assert path == "/calendar/v3/calendars/primary/events"
    assert first["timeMin"] == [DAY[0]] and first["timeMax"] == [DAY[1]]
    assert first["singleEvents"] == ["true"] and first["orderBy"] == ["startTime"] and "pageToken" not in first
    assert second["pageToken"] == ["p2"]


def test_calendar_id_is_escaped_in_the_path_and_empty_day() -> None:
    client = api([reply({"kind": "calendar#events"})])
    assert list(client.events("team@group.calendar.google.com", *DAY)) == []
    assert queries(client)[0][0] == "/calendar/v3/calendars/team%40group.calendar.google.com/events"


def test_429_then_success_honours_retry_after() -> None:
    sleeps: list[float] = []
    client = api([error(429, "rateLimitExceeded", **{"retry-after": "2"}), reply({"items": [{"id": "a"}]})], sleeps)
    assert [e["id"] for e in client.events("primary", *DAY)] == ["a"]
    assert sleeps == [2.0] and len(queries(client)) == 2


def test_5xx_until_the_retries_run_out_is_transient() -> None:
    sleeps: list[float] = []
    client = api([error(503, "backendError")] * 3, sleeps, max_retries=2)
    with pytest.raises(TransientSourceError, match="HTTP 503"):
        list(client.events("primary", *DAY))
    assert len(sleeps) == 2


def test_insufficient_scope_asks_to_sign_in_again_for_calendar() -> None:
    client = api([error(403, "insufficientPermissions", "Request had insufficient authentication scopes.")])
    with pytest.raises(ConfigError) as caught:
        list(client.events("primary", *DAY))
    assert "python main.py auth gmail" in str(caught.value) and "calendar.readonly" in str(caught.value)
    assert len(queries(client)) == 1  # never retried
    assert SCOPES_CALENDAR == ["https://www.googleapis.com/auth/calendar.readonly"]


def test_unknown_calendar_and_other_errors() -> None:
    with pytest.raises(ConfigError, match="calendar_id"):
        list(api([error(404, "notFound")]).events("nope", *DAY))
    with pytest.raises(ConfigError, match="Calendar API is not enabled"):
        list(api([error(403, "accessNotConfigured")]).events("primary", *DAY))
    with pytest.raises(SourceError, match="HTTP 400"):
        list(api([error(400, "badRequest")]).events("primary", *DAY))


def test_collector_over_the_real_client_matches_the_mock() -> None:
    fixtures = load_fixture_set("default", base_dir=FIXTURES, now=NOW)
    items = list(MockCalendarClient(fixtures).events("primary", *DAY))
    client = api([reply({"items": items[:3], "nextPageToken": "n"}), reply({"items": items[3:]})])

    def collect(c: object) -> object:
        return CalendarCollector(c, calendar_id="primary", tz=TZ, user_email="alex.rivera@northwind.example").collect(  # type: ignore[arg-type]
            NOW.date()
        )

    assert collect(client) == collect(MockCalendarClient(fixtures))
