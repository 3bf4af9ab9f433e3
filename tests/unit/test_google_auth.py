"""Google sign-in: token file permissions, missing client file, refresh and the browser flow.

Refreshes and the code exchange go to a loopback OAuth token endpoint through the real
google-auth / google-auth-oauthlib code; only the browser is replaced.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from agent.errors import ConfigError
from collectors.google_auth import (
    REAUTH_EXPIRED,
    SCOPES_GMAIL,
    authorize,
    load_credentials,
    refresh_if_needed,
    token_path,
    write_token,
)


class TokenEndpoint:
    """POST /token answers from a script (status, JSON body); every form body is recorded."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, dict]] = []
        self.forms: list[dict[str, str]] = []
        self.port = 0

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenEndpoint]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    state = TokenEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.forms.append(dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8"))))
            status, body = state.replies.pop(0) if state.replies else (500, {"error": "unscripted"})
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def saved_token(token_file: Path, token_uri: str, *, expired: bool, scopes: list[str] = SCOPES_GMAIL) -> Credentials:
    expiry = datetime.now(UTC).replace(tzinfo=None) + (timedelta(hours=-1) if expired else timedelta(hours=1))
    credentials = Credentials(
        token="ya29.old",
        refresh_token="1//refresh",
        token_uri=token_uri,
        client_id="client.apps.googleusercontent.com",
        client_secret="secret",
        scopes=scopes,
        expiry=expiry,
    )
    write_token(credentials, token_file)
    return credentials


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would make new files world-readable, to prove the mode does not depend on it."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_token_path_honours_xdg_config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert token_path() == tmp_path / "daily-task-planner" / "google_token.json"
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    assert token_path() == Path.home() / ".config" / "daily-task-planner" / "google_token.json"
    assert token_path(tmp_path / "cfg") == tmp_path / "cfg" / "daily-task-planner" / "google_token.json"


@pytest.mark.usefixtures("open_umask")
def test_token_file_is_created_owner_only(tmp_path: Path) -> None:
    token_file = tmp_path / "config" / "daily-task-planner" / "google_token.json"
    saved_token(token_file, "https://oauth2.googleapis.com/token", expired=False)

    assert mode(token_file) == 0o600
    assert json.loads(token_file.read_text())["refresh_token"] == "1//refresh"
    assert [p.name for p in token_file.parent.iterdir()] == ["google_token.json"]  # no temp file left over


@pytest.mark.usefixtures("open_umask")
def test_rewriting_a_loose_token_file_makes_it_owner_only(tmp_path: Path) -> None:
    token_file = tmp_path / "google_token.json"
    token_file.write_text("{}")
    token_file.chmod(0o644)
    saved_token(token_file, "https://oauth2.googleapis.com/token", expired=False)
    assert mode(token_file) == 0o600


def test_missing_credentials_file_explains_the_steps(tmp_path: Path) -> None:
    missing = tmp_path / "secrets" / "credentials.json"
    with pytest.raises(ConfigError) as caught:
        authorize(missing, tmp_path / "token.json", SCOPES_GMAIL)
    text = str(caught.value)
    assert str(missing) in text
    assert "Desktop app" in text and "credentials.json" in text and "python main.py auth gmail" in text
    assert "1." in text and "Google Cloud console" in text


def test_missing_token_asks_to_sign_in(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"python main\.py auth gmail"):
        load_credentials(tmp_path / "nope.json", SCOPES_GMAIL)


def test_token_for_other_scopes_asks_to_sign_in_again(tmp_path: Path) -> None:
    token_file = tmp_path / "token.json"
    saved_token(token_file, "https://oauth2.googleapis.com/token", expired=False, scopes=["openid"])
    with pytest.raises(ConfigError, match=r"python main\.py auth gmail"):
        load_credentials(token_file, SCOPES_GMAIL)


def test_valid_token_is_used_without_a_refresh(tmp_path: Path, endpoint: TokenEndpoint) -> None:
    token_file = tmp_path / "token.json"
    saved_token(token_file, endpoint.uri, expired=False)
    assert load_credentials(token_file, SCOPES_GMAIL).token == "ya29.old"
    assert endpoint.forms == []


@pytest.mark.usefixtures("open_umask")
def test_expired_token_is_refreshed_and_saved(tmp_path: Path, endpoint: TokenEndpoint) -> None:
    token_file = tmp_path / "token.json"
    credentials = saved_token(token_file, endpoint.uri, expired=True)
    endpoint.replies.append((200, {"access_token": "ya29.new", "expires_in": 3600, "token_type": "Bearer"}))

    refreshed = refresh_if_needed(credentials, token_file)

    assert refreshed.token == "ya29.new" and refreshed.valid
    assert endpoint.forms[0]["grant_type"] == "refresh_token"
    assert endpoint.forms[0]["refresh_token"] == "1//refresh"
    saved = json.loads(token_file.read_text())
    assert saved["token"] == "ya29.new" and saved["refresh_token"] == "1//refresh"
    assert mode(token_file) == 0o600


def test_revoked_token_asks_to_sign_in_again(tmp_path: Path, endpoint: TokenEndpoint) -> None:
    token_file = tmp_path / "token.json"
    credentials = saved_token(token_file, endpoint.uri, expired=True)
    endpoint.replies.append(
        (400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    )

    with pytest.raises(ConfigError) as caught:
        refresh_if_needed(credentials, token_file)
    assert str(caught.value) == REAUTH_EXPIRED
    assert "python main.py auth gmail" in REAUTH_EXPIRED and "7 days" in REAUTH_EXPIRED
    assert json.loads(token_file.read_text())["token"] == "ya29.old"  # a failed refresh never overwrites


def test_load_credentials_refreshes_an_expired_token_file(
    tmp_path: Path, endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # google-auth always refreshes token files at Google's endpoint (a stored token_uri is ignored
    # on purpose); point that constant at the loopback endpoint to run the whole load path.
    monkeypatch.setattr("google.oauth2.credentials._GOOGLE_OAUTH2_TOKEN_ENDPOINT", endpoint.uri)
    token_file = tmp_path / "token.json"
    saved_token(token_file, endpoint.uri, expired=True)
    endpoint.replies.append((200, {"access_token": "ya29.new", "expires_in": 3600}))
    endpoint.replies.append((400, {"error": "invalid_grant"}))

    assert load_credentials(token_file, SCOPES_GMAIL).token == "ya29.new"
    assert load_credentials(token_file, SCOPES_GMAIL).token == "ya29.new"  # saved: no second refresh
    assert len(endpoint.forms) == 1

    saved_token(token_file, endpoint.uri, expired=True)
    with pytest.raises(ConfigError, match="expired or was revoked"):
        load_credentials(token_file, SCOPES_GMAIL)


@pytest.mark.usefixtures("open_umask")
def test_authorize_runs_the_loopback_flow_and_saves_the_token(
    tmp_path: Path, endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # oauthlib insists on https; the loopback token endpoint is plain http.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client_file = tmp_path / "credentials.json"
    client_file.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "client.apps.googleusercontent.com",
                    "client_secret": "secret",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": endpoint.uri,
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    endpoint.replies.append(
        (
            200,
            {
                "access_token": "ya29.fresh",
                "refresh_token": "1//new",
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": SCOPES_GMAIL[0],
            },
        )
    )
    seen: list[str] = []

    class Browser:
        """Plays the user: approves at once, so Google redirects to the flow's loopback server."""

        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            seen.append(url)
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
            back = f"{query['redirect_uri']}?" + urllib.parse.urlencode({"state": query["state"], "code": "4/code"})
            threading.Thread(target=lambda: urllib.request.urlopen(back, timeout=10).read(), daemon=True).start()
            return True

    monkeypatch.setattr("webbrowser.get", lambda using=None: Browser())
    token_file = tmp_path / "cfg" / "google_token.json"

    credentials = authorize(client_file, token_file, SCOPES_GMAIL)

    assert credentials.token == "ya29.fresh" and credentials.refresh_token == "1//new"
    assert "gmail.readonly" in urllib.parse.unquote(seen[0])
    assert endpoint.forms[0]["grant_type"] == "authorization_code" and endpoint.forms[0]["code"] == "4/code"
    assert mode(token_file) == 0o600
    assert json.loads(token_file.read_text())["refresh_token"] == "1//new"
