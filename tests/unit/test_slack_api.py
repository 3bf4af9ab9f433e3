"""SlackApiClient through the real slack_sdk.WebClient against a loopback Slack Web API server.

The server speaks what slack_sdk sends (form-encoded ``POST /api/<method>``) and answers with
Slack's JSON shapes, status codes and headers, so retries, pagination and error mapping run
exactly as they would against slack.com.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest

from agent.errors import ConfigError, SourceError, TransientSourceError
from collectors.base import Window
from collectors.slack import SlackCollector
from collectors.slack_api import SCOPES, SlackApiClient, token_from_env
from mocks.clients import MockSlackClient
from mocks.fixtures import FixtureSet, load_fixture_set

FIXTURES = Path(__file__).resolve().parents[2] / "mocks" / "fixtures"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))

Reply = tuple[int, dict[str, str], dict]  # status, headers, JSON body
Handler = Callable[[dict[str, str]], Reply]


def ok(**body: object) -> Reply:
    return 200, {}, {"ok": True, **body}


def fail(error: str, status: int = 200, headers: dict[str, str] | None = None, **extra: object) -> Reply:
    return status, headers or {}, {"ok": False, "error": error, **extra}


class SlackServer:
    """Per-method handlers, plus scripted one-off replies that are served first (429s, 500s)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []  # method, form params, headers
        self.handlers: dict[str, Handler] = {}
        self.scripted: dict[str, list[Reply]] = {}
        self.port = 0

    def answer(self, method: str, params: dict[str, str]) -> Reply:
        queue = self.scripted.get(method)
        if queue:
            return queue.pop(0)
        handler = self.handlers.get(method)
        return handler(params) if handler else fail("unknown_method", status=404)

    def calls(self, method: str) -> list[dict[str, str]]:
        return [params for name, params, _ in self.requests if name == method]


@pytest.fixture
def server() -> Iterator[SlackServer]:
    state = SlackServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            method = self.path.removeprefix("/api/")
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
            state.requests.append((method, params, dict(self.headers.items())))
            status, headers, body = state.answer(method, params)
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def client(server: SlackServer, **options: object) -> SlackApiClient:
    return SlackApiClient(token="xoxb-test", base_url=f"http://127.0.0.1:{server.port}/api/", **options)  # type: ignore[arg-type]


def paged(items_key: str, pages: list[list[dict]]) -> Handler:
    """A cursor-paginated method: page i is served for cursor "page<i>"; the first has no cursor."""

    def handle(params: dict[str, str]) -> Reply:
        index = int(params.get("cursor", "page0").removeprefix("page"))
        next_cursor = f"page{index + 1}" if index + 1 < len(pages) else ""
        return ok(
            **{items_key: pages[index]}, has_more=bool(next_cursor), response_metadata={"next_cursor": next_cursor}
        )

    return handle


def test_history_follows_cursors_and_sends_the_window(server: SlackServer) -> None:
    server.handlers["conversations.history"] = paged(
        "messages", [[{"ts": "1700000300.000300"}, {"ts": "1700000200.000200"}], [{"ts": "1700000100.000100"}]]
    )
    got = list(client(server).history("C01", 1700000000.0, 1700000300.0))

    assert [m["ts"] for m in got] == ["1700000300.000300", "1700000200.000200", "1700000100.000100"]
    first, second = server.calls("conversations.history")
    assert first["channel"] == "C01" and first["limit"] == "200" and first["inclusive"] == "0"
    assert float(first["oldest"]) == 1700000000.0
    assert 1700000300.0 < float(first["latest"]) <= 1700000300.000001  # ``latest`` itself stays in the window
    assert "cursor" not in first and second["cursor"] == "page1"
    assert server.requests[0][2]["Authorization"] == "Bearer xoxb-test"


def test_rate_limit_is_retried_after_retry_after(server: SlackServer) -> None:
    server.scripted["auth.test"] = [fail("ratelimited", status=429, headers={"Retry-After": "0"})]
    server.handlers["auth.test"] = lambda params: ok(url="https://northwind.slack.com/")

    assert client(server).workspace_url() == "https://northwind.slack.com/"
    assert len(server.calls("auth.test")) == 2


def test_rate_limit_after_the_last_retry_is_transient(server: SlackServer) -> None:
    server.handlers["users.info"] = lambda params: fail("ratelimited", status=429, headers={"Retry-After": "0"})

    with pytest.raises(TransientSourceError, match="rate-limited"):
        client(server, max_retries=1).user_info("U01")
    assert len(server.calls("users.info")) == 2


def test_server_errors_are_retried_then_transient(server: SlackServer) -> None:
    server.handlers["conversations.replies"] = lambda params: fail("internal_error", status=500)

    with pytest.raises(TransientSourceError):
        list(client(server, max_retries=1).replies("C01", "1700000000.000100", 0.0))
    assert len(server.calls("conversations.replies")) == 2


def test_invalid_auth_names_the_token_variables_and_scopes(server: SlackServer) -> None:
    server.handlers["auth.test"] = lambda params: fail("invalid_auth")  # Slack answers auth errors with HTTP 200

    with pytest.raises(ConfigError) as caught:
        client(server).workspace_url()
    text = str(caught.value)
    assert "SLACK_USER_TOKEN" in text and "SLACK_BOT_TOKEN" in text and ".env" in text
    assert all(scope in text for scope in SCOPES)
    assert len(server.calls("auth.test")) == 1  # never retried


def test_missing_scope_names_the_needed_scope(server: SlackServer) -> None:
    server.handlers["conversations.history"] = lambda params: fail(
        "missing_scope", needed="im:history", provided="channels:history"
    )

    with pytest.raises(ConfigError, match="im:history"):
        list(client(server).history("D01", 0.0, 1.0))


def test_other_errors_fail_the_source(server: SlackServer) -> None:
    server.handlers["conversations.history"] = lambda params: fail("channel_not_found")

    with pytest.raises(SourceError, match="channel_not_found"):
        list(client(server).history("C404", 0.0, 1.0))


def test_thread_replies_follow_cursors(server: SlackServer) -> None:
    parent = {"ts": "1700000000.000100", "thread_ts": "1700000000.000100", "reply_count": 2}
    replies = [{"ts": "1700000050.000100", "thread_ts": parent["ts"]}, {"ts": "1700000060.000100"}]
    server.handlers["conversations.replies"] = paged("messages", [[parent, replies[0]], [replies[1]]])

    got = list(client(server).replies("C01", parent["ts"], 1700000001.5))

    assert got == [parent, *replies]
    first, second = server.calls("conversations.replies")
    assert first["ts"] == parent["ts"] and first["channel"] == "C01" and float(first["oldest"]) == 1700000001.5
    assert second["cursor"] == "page1"


def test_user_info_and_unknown_users(server: SlackServer) -> None:
    users = {"U01": {"id": "U01", "name": "dana", "profile": {"display_name": "Dana Kim"}}}
    server.handlers["users.info"] = lambda p: (
        ok(user=users[p["user"]]) if p["user"] in users else fail("user_not_found")
    )

    api = client(server)
    assert api.user_info("U01") == users["U01"]
    with pytest.raises(LookupError):
        api.user_info("U99")


CONVERSATIONS = [
    {"id": "C01", "name": "eng", "is_channel": True, "is_member": True},
    {"id": "C02", "name": "random", "is_channel": True, "is_member": False},
    {"id": "D01", "is_im": True, "user": "U02"},
    {"id": "G01", "name": "mpdm-a--b-1", "is_mpim": True},
]


def test_conversations_keeps_memberships_and_dms(server: SlackServer) -> None:
    server.handlers["conversations.list"] = paged("channels", [CONVERSATIONS[:2], CONVERSATIONS[2:]])

    assert [c["id"] for c in client(server).conversations()] == ["C01", "D01", "G01"]
    first = server.calls("conversations.list")[0]
    assert first["types"] == "public_channel,private_channel,mpim,im" and first["exclude_archived"] == "1"


def test_configured_channels_by_name_or_id(server: SlackServer) -> None:
    server.handlers["conversations.list"] = paged("channels", [CONVERSATIONS])
    archived = {"id": "C09", "name": "old", "is_channel": True, "is_archived": True}
    server.handlers["conversations.info"] = lambda p: (
        ok(channel=archived) if p["channel"] == "C09" else fail("channel_not_found")
    )

    chosen = client(server, channels=["#random", "D01", "C09"]).conversations()
    assert [c["id"] for c in chosen] == ["C02", "D01", "C09"]
    with pytest.raises(ConfigError, match="nope"):
        client(server, channels=["nope"]).conversations()
    with pytest.raises(ConfigError, match="C77"):
        client(server, channels=["C77"]).conversations()


def test_token_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_USER_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-bot")
    assert token_from_env() == "xoxb-bot"
    monkeypatch.setenv("SLACK_USER_TOKEN", "xoxp-user")
    assert token_from_env() == "xoxp-user"  # a user token sees the user's own DMs, so it wins
    monkeypatch.delenv("SLACK_USER_TOKEN")
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    with pytest.raises(ConfigError, match=r"\.env"):
        token_from_env()


def serve_fixtures(server: SlackServer, fx: FixtureSet) -> None:
    """Answer like Slack from a FixtureSet: the same data MockSlackClient reads."""

    def history(p: dict[str, str]) -> Reply:
        oldest, latest = float(p["oldest"]), float(p["latest"])
        inside = [m for m in fx.slack_history.get(p["channel"], []) if oldest < float(m["ts"]) < latest]
        inside.sort(key=lambda m: float(m["ts"]), reverse=True)
        pages = [inside[i : i + 3] for i in range(0, len(inside), 3)] or [[]]  # small pages: cursors get used
        return paged("messages", pages)(p)

    def replies(p: dict[str, str]) -> Reply:
        thread = fx.slack_replies.get(f"{p['channel']}:{p['ts']}", [])
        parent = [m for m in thread if m["ts"] == p["ts"]]
        rest = sorted(
            (m for m in thread if m["ts"] != p["ts"] and float(m["ts"]) > float(p["oldest"])),
            key=lambda m: float(m["ts"]),
        )
        return ok(messages=parent[:1] + rest, has_more=False, response_metadata={"next_cursor": ""})

    def user(p: dict[str, str]) -> Reply:
        found = fx.slack_users.get(p["user"])
        return ok(user=found) if found else fail("user_not_found")

    server.handlers.update(
        {
            "auth.test": lambda p: ok(**fx.slack_auth),
            "conversations.list": paged("channels", [fx.slack_conversations[:2], fx.slack_conversations[2:]]),
            "conversations.history": history,
            "conversations.replies": replies,
            "users.info": user,
        }
    )


def test_slack_collector_over_the_real_client_matches_the_mock(server: SlackServer) -> None:
    fixtures = load_fixture_set("default", base_dir=FIXTURES, now=NOW)
    serve_fixtures(server, fixtures)
    window = Window(since=NOW - timedelta(hours=24), until=NOW)

    real = SlackCollector(client(server), max_chars=2000).collect(window)
    mock = SlackCollector(MockSlackClient(fixtures), max_chars=2000).collect(window)

    assert real["messages"], "the default fixtures have Slack messages in the window"
    assert real == mock
    assert all(m["link"].startswith("https://northwind.slack.com/archives/") for m in real["messages"])
    assert len(server.calls("conversations.replies")) >= 1
    # The collector caches names: one users.info per person, however many messages they sent.
    asked = [p["user"] for p in server.calls("users.info")]
    assert len(asked) == len(set(asked))
