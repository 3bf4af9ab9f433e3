"""GmailApiClient through the real googleapiclient with HttpMockSequence (static discovery, no network).

Answers are what Gmail sends: JSON pages for users.messages.list, and multipart/mixed batch
bodies whose parts are whole HTTP responses for users.messages.get. googleapiclient parses them
exactly as it parses Google's.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.http import HttpMockSequence

from agent.errors import ConfigError, SourceError, TransientSourceError
from collectors.base import Window
from collectors.gmail import GmailCollector
from collectors.gmail_api import GmailApiClient
from collectors.google_auth import REAUTH_EXPIRED
from mocks.clients import MockGmailClient
from mocks.fixtures import load_fixture_set

FIXTURES = Path(__file__).resolve().parents[2] / "mocks" / "fixtures"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))
BOUNDARY = "batch_7Rq2ZkYgXbQ"

Response = tuple[dict[str, str], str]


def reply(body: dict, status: int = 200, **headers: str) -> Response:
    return {"status": str(status), "content-type": "application/json; charset=UTF-8", **headers}, json.dumps(body)


def error(status: int, reason: str, message: str = "error", **headers: str) -> Response:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason, "domain": "global"}]}}
    return reply(body, status, **headers)


def batch(*parts: tuple[str, int, dict] | tuple[str, int, dict, dict[str, str]]) -> Response:
    """A multipart/mixed batch answer: one application/http part per (id, status, body[, headers])."""
    chunks = []
    for part in parts:
        gmail_id, status, body = part[0], part[1], part[2]
        extra = "".join(f"{k}: {v}\r\n" for k, v in (part[3] if len(part) > 3 else {}).items())  # type: ignore[misc]
        chunks.append(
            f"--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <response-b29c5de2 + {gmail_id}>\r\n\r\n"
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json; charset=UTF-8\r\n"
            f"{extra}\r\n{json.dumps(body)}\r\n"
        )
    return {"status": "200", "content-type": f"multipart/mixed; boundary={BOUNDARY}"}, "".join(
        chunks
    ) + f"--{BOUNDARY}--"


def resource(gmail_id: str) -> dict:
    return {"id": gmail_id, "threadId": gmail_id, "internalDate": "1700000000000", "payload": {"headers": []}}


def not_found(gmail_id: str) -> tuple[str, int, dict]:
    return gmail_id, 404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}


def asked_ids(body: str) -> list[tuple[str, str]]:
    """(message id, query string) of every users.messages.get inside a batch request body."""
    return re.findall(r"GET /gmail/v1/users/me/messages/(\w+)\?(\S*) HTTP/1\.1", body)


def api(responses: list[Response], sleeps: list[float] | None = None, **options: object) -> GmailApiClient:
    http = HttpMockSequence(responses)
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    return GmailApiClient.from_http(http, sleep=sleep, **options)  # type: ignore[arg-type]


def sent(client: GmailApiClient) -> list[tuple[str, str, str]]:
    """(uri, method, body) of every HTTP request the client made."""
    return [(uri, method, body or "") for uri, method, body, _ in client.service._http.request_sequence]


def test_list_follows_next_page_token() -> None:
    client = api(
        [
            reply(
                {"messages": [{"id": "a1", "threadId": "a1"}, {"id": "b2", "threadId": "b2"}], "nextPageToken": "p2"}
            ),
            reply({"messages": [{"id": "c3", "threadId": "c3"}], "resultSizeEstimate": 3}),
        ]
    )

    assert list(client.list_message_ids("after:1 before:2")) == ["a1", "b2", "c3"]
    first, second = (parse_qs(urlsplit(uri).query) for uri, _, _ in sent(client))
    assert first["q"] == ["after:1 before:2"] and first["maxResults"] == ["500"] and "pageToken" not in first
    assert second["pageToken"] == ["p2"]
    assert urlsplit(sent(client)[0][0]).path == "/gmail/v1/users/me/messages"


def test_empty_list() -> None:
    assert list(api([reply({"resultSizeEstimate": 0})]).list_message_ids("x")) == []


def test_batch_get_yields_in_requested_order_and_skips_missing() -> None:
    # Gmail may answer batch parts in any order; a message deleted since the list answers 404.
    client = api([batch(("c3", 200, resource("c3")), not_found("b2"), ("a1", 200, resource("a1")))])

    assert [r["id"] for r in client.get_messages(["a1", "b2", "c3"])] == ["a1", "c3"]
    ((uri, method, body),) = sent(client)
    assert (uri, method) == ("https://gmail.googleapis.com/batch", "POST")
    assert [(i, "format=full" in q) for i, q in asked_ids(body)] == [("a1", True), ("b2", True), ("c3", True)]


def test_batches_hold_at_most_100_calls() -> None:
    ids = [f"m{n:03d}" for n in range(150)]
    client = api(
        [batch(*((i, 200, resource(i)) for i in ids[:100])), batch(*((i, 200, resource(i)) for i in ids[100:]))]
    )

    assert [r["id"] for r in client.get_messages(ids)] == ids
    assert [len(asked_ids(body)) for _, _, body in sent(client)] == [100, 50]


def test_rate_limited_items_are_retried_alone_after_retry_after() -> None:
    sleeps: list[float] = []
    limited = {
        "error": {"code": 429, "message": "Too many concurrent requests for user", "status": "RESOURCE_EXHAUSTED"}
    }
    client = api(
        [
            batch(("a1", 200, resource("a1")), ("b2", 429, limited, {"Retry-After": "3"}), ("c3", 503, {})),
            batch(("b2", 200, resource("b2")), ("c3", 200, resource("c3"))),
        ],
        sleeps,
    )

    assert [r["id"] for r in client.get_messages(["a1", "b2", "c3"])] == ["a1", "b2", "c3"]
    assert [[i for i, _ in asked_ids(body)] for _, _, body in sent(client)] == [["a1", "b2", "c3"], ["b2", "c3"]]
    assert sleeps == [3.0]


def test_items_rate_limited_past_the_retries_are_transient() -> None:
    limited = ("a1", 429, {"error": {"code": 429, "message": "slow down"}})
    client = api([batch(limited), batch(limited), batch(limited)], max_retries=2)
    with pytest.raises(TransientSourceError):
        list(client.get_messages(["a1"]))
    assert len(sent(client)) == 3


def test_whole_request_429_then_success_honours_retry_after() -> None:
    sleeps: list[float] = []
    client = api([error(429, "rateLimitExceeded", **{"retry-after": "2"}), reply({"messages": [{"id": "a1"}]})], sleeps)

    assert list(client.list_message_ids("q")) == ["a1"]
    assert sleeps == [2.0] and len(sent(client)) == 2


def test_whole_batch_503_is_retried() -> None:
    sleeps: list[float] = []
    client = api([error(503, "backendError"), batch(("a1", 200, resource("a1")))], sleeps)

    assert [r["id"] for r in client.get_messages(["a1"])] == ["a1"]
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 1.0  # first backoff step, with jitter


def test_500_until_the_retries_run_out_is_transient() -> None:
    sleeps: list[float] = []
    client = api([error(500, "backendError")] * 4, sleeps, max_retries=3)

    with pytest.raises(TransientSourceError, match="HTTP 500"):
        list(client.list_message_ids("q"))
    assert len(sent(client)) == 4 and len(sleeps) == 3
    assert sleeps[0] < sleeps[2]  # the backoff grows


def test_insufficient_scope_is_permanent_and_names_the_scope() -> None:
    client = api([error(403, "insufficientPermissions", "Request had insufficient authentication scopes.")])

    with pytest.raises(SourceError, match=r"gmail\.readonly"):
        list(client.list_message_ids("q"))
    assert len(sent(client)) == 1  # never retried


def test_403_rate_limit_is_retried() -> None:
    client = api([error(403, "userRateLimitExceeded"), reply({"messages": [{"id": "a1"}]})])
    assert list(client.list_message_ids("q")) == ["a1"]


def test_revoked_sign_in_is_a_config_error_with_the_reauth_command() -> None:
    expired = Credentials(
        token="ya29.old",
        refresh_token="1//refresh",
        token_uri="https://oauth2.googleapis.com/token",
        client_id="client.apps.googleusercontent.com",
        client_secret="secret",
        expiry=datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1),
    )
    # AuthorizedHttp refreshes through the http it wraps, so the token endpoint's answer comes from the sequence.
    token_answer = ({"status": "400", "content-type": "application/json"}, '{"error": "invalid_grant"}')
    http = AuthorizedHttp(expired, http=HttpMockSequence([token_answer]))

    with pytest.raises(ConfigError) as caught:
        list(GmailApiClient.from_http(http, sleep=lambda s: None).list_message_ids("q"))
    assert str(caught.value) == REAUTH_EXPIRED
    assert "python main.py auth gmail" in str(caught.value)


def test_gmail_collector_over_the_real_client_matches_the_mock() -> None:
    fixtures = load_fixture_set("default", base_dir=FIXTURES, now=NOW)
    window = Window(since=NOW - timedelta(hours=24), until=NOW)
    collector_query = GmailCollector(MockGmailClient(fixtures), max_chars=2000).query(window)
    # Gmail's side: the ids matching the query (newest first) on two pages, then one batch of resources.
    ids = list(MockGmailClient(fixtures).list_message_ids(collector_query))
    by_id = {r["id"]: r for r in fixtures.gmail}
    half = len(ids) // 2
    client = api(
        [
            reply(
                {"messages": [{"id": i, "threadId": by_id[i]["threadId"]} for i in ids[:half]], "nextPageToken": "n"}
            ),
            reply({"messages": [{"id": i, "threadId": by_id[i]["threadId"]} for i in ids[half:]]}),
            reply({"resultSizeEstimate": 0}),  # in:sent: none of your own replies in this window
            batch(*((i, 200, by_id[i]) for i in reversed(ids))),
        ]
    )

    real = GmailCollector(client, max_chars=2000).collect(window)
    mock = GmailCollector(MockGmailClient(fixtures), max_chars=2000).collect(window)

    assert len(ids) > 10 and real["fetched"] == len(ids)
    assert real == mock
    assert parse_qs(urlsplit(sent(client)[0][0]).query)["q"] == [collector_query]
    assert parse_qs(urlsplit(sent(client)[2][0]).query)["q"][0].endswith(" in:sent")
    dana = [m for m in real["messages"] if m["sender_address"] == "dana.kim@northwind.example"]
    assert dana and all(m["source"] == "email" and m["link"].startswith("https://mail.google.com/") for m in dana)
