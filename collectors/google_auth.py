"""Installed-app OAuth for Gmail: sign in once in a browser, then load and refresh silently.

The token file holds a refresh token, which is as good as a password for the mailbox: it
is only ever created with mode 0600 (never world-readable, not even for a moment) and
replaced atomically so a crash mid-write cannot leave a truncated token behind.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import ConfigError, PlannerError, TransientSourceError

if TYPE_CHECKING:  # google.auth is imported lazily: only Gmail runs pay for it
    from google.auth.exceptions import RefreshError
    from google.auth.transport import Request
    from google.oauth2.credentials import Credentials

SCOPES_GMAIL = ["https://www.googleapis.com/auth/gmail.readonly"]
APP_DIR_NAME = "daily-task-planner"
TOKEN_FILE_NAME = "google_token.json"
REAUTH_COMMAND = "python main.py auth gmail"

REAUTH_EXPIRED = (
    "Your Google sign-in has expired or was revoked. "
    f"Run '{REAUTH_COMMAND}' to sign in again. "
    "(Apps left in Google's 'Testing' publishing status lose their tokens after 7 days.)"
)


def user_config_home() -> Path:
    """$XDG_CONFIG_HOME, or ~/.config when it is unset or empty (as the XDG spec says)."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return Path(xdg) if xdg else Path.home() / ".config"


def token_path(config_home: Path | None = None) -> Path:
    """Where the Google token lives: <config home>/daily-task-planner/google_token.json."""
    return (config_home if config_home is not None else user_config_home()) / APP_DIR_NAME / TOKEN_FILE_NAME


def missing_client_secrets_message(credentials_file: Path) -> str:
    return (
        f"Gmail needs an OAuth client file, and there is none at {credentials_file}.\n"
        "To create one:\n"
        "  1. Open the Google Cloud console (https://console.cloud.google.com/) and pick or create a project.\n"
        "  2. Enable the Gmail API (APIs & Services > Library > Gmail API > Enable).\n"
        "  3. Under APIs & Services > Credentials, choose Create credentials > OAuth client ID,\n"
        "     application type 'Desktop app' (set up the consent screen first if asked).\n"
        "  4. Download the client's JSON and save it as credentials.json.\n"
        f"  5. Put it at {credentials_file} (the path set in the config).\n"
        f"  6. Run '{REAUTH_COMMAND}' and sign in in the browser window that opens."
    )


def write_token(credentials: Credentials, token_file: Path) -> None:
    """Save ``credentials`` as JSON, readable by the owner only, replacing any old token atomically."""
    token_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = token_file.with_name(f".{token_file.name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL + mode 0600 at creation: the file never exists with wider permissions.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # the umask can only narrow the mode; make it exact anyway
            out.write(credentials.to_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, token_file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def signin_error(exc: RefreshError) -> PlannerError:
    """What a failed token refresh means for the user: sign in again, or just try later."""
    text = str(exc)
    if "invalid_grant" in text:
        return ConfigError(REAUTH_EXPIRED)
    if getattr(exc, "retryable", False):
        return TransientSourceError(f"Google sign-in could not be refreshed right now: {text}")
    return ConfigError(f"Google sign-in could not be refreshed ({text}). Run '{REAUTH_COMMAND}' to sign in again.")


def authorize(credentials_file: Path, token_file: Path, scopes: Sequence[str] = tuple(SCOPES_GMAIL)) -> Credentials:
    """Run the browser sign-in (a loopback redirect on a free port) and save the token."""
    if not credentials_file.is_file():
        raise ConfigError(missing_client_secrets_message(credentials_file))
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(credentials_file), scopes=list(scopes))
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{credentials_file} is not an OAuth client file for a 'Desktop app' ({exc}). "
            "Download it again from the Google Cloud console (APIs & Services > Credentials)."
        ) from exc
    credentials = flow.run_local_server(port=0)
    write_token(credentials, token_file)
    return credentials


def load_credentials(
    token_file: Path, scopes: Sequence[str] = tuple(SCOPES_GMAIL), *, request: Request | None = None
) -> Credentials:
    """The saved credentials, refreshed (and re-saved) when the access token has expired.

    ``request`` is the HTTP transport for the refresh; the default uses ``requests``.
    """
    from google.oauth2.credentials import Credentials

    if not token_file.is_file():
        raise ConfigError(f"You are not signed in to Google (no token at {token_file}). Run '{REAUTH_COMMAND}'.")
    try:
        info = json.loads(token_file.read_text(encoding="utf-8"))
        # No ``scopes`` argument: it would replace the stored scopes and hide a token granted for others.
        # (google-auth ignores a token_uri stored in the file: a tampered file cannot redirect the refresh token.)
        credentials = Credentials.from_authorized_user_info(info)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"The Google token at {token_file} is unreadable ({exc}). Run '{REAUTH_COMMAND}'.") from exc
    if not credentials.has_scopes(list(scopes)):
        raise ConfigError(
            f"The Google token at {token_file} was granted for other permissions than {', '.join(scopes)}. "
            f"Run '{REAUTH_COMMAND}' to sign in again."
        )
    return refresh_if_needed(credentials, token_file, request=request)


def refresh_if_needed(credentials: Credentials, token_file: Path, *, request: Request | None = None) -> Credentials:
    """``credentials`` with a usable access token: refreshed at the token endpoint and re-saved if expired."""
    from google.auth.exceptions import RefreshError, TransportError

    if credentials.valid:
        return credentials
    if not credentials.refresh_token:
        raise ConfigError(f"The Google token at {token_file} cannot be renewed. Run '{REAUTH_COMMAND}'.")
    if request is None:
        from google.auth.transport.requests import Request as RequestsRequest

        request = RequestsRequest()
    try:
        credentials.refresh(request)
    except RefreshError as exc:
        raise signin_error(exc) from exc
    except TransportError as exc:  # network trouble reaching the token endpoint: worth another try
        raise TransientSourceError(f"Could not reach Google to renew the sign-in: {exc}") from exc
    write_token(credentials, token_file)
    return credentials
