"""Real Gmail and Slack clients for mock.enabled: false, with one up-front credentials check.

The client libraries are imported only here and in gmail_api.py / slack_api.py, and only
when a real source is used, so mock runs never pay for them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agent.errors import ConfigError
from config.settings import Settings


def gmail_token_file(settings: Settings) -> Path:
    from collectors.google_auth import token_path

    configured = settings.sources.gmail.token_file
    return settings.resolve(configured) if configured else token_path()


def check_credentials(settings: Settings) -> None:
    """Fail before a run starts when an enabled source has no credentials, naming what to set up for each."""
    problems: list[str] = []
    gmail = settings.sources.gmail
    if (gmail.enabled or settings.sources.calendar.enabled) and not gmail_token_file(settings).exists():
        credentials = settings.resolve(gmail.credentials_file)
        step = "" if credentials.exists() else f"save your OAuth client file as {credentials}, then "
        problems.append(f"Google (Gmail and Calendar) is not signed in: {step}run 'python main.py auth gmail'")
    if settings.sources.slack.enabled and not (os.environ.get("SLACK_USER_TOKEN") or os.environ.get("SLACK_BOT_TOKEN")):
        problems.append(
            "Slack has no token: set SLACK_USER_TOKEN (or SLACK_BOT_TOKEN) in the environment or in .env "
            "(scopes: channels:history, groups:history, im:history, mpim:history, channels:read, groups:read, "
            "im:read, mpim:read, users:read)"
        )
    if problems:
        raise ConfigError(
            "mock.enabled is false, so the planner reads your real accounts, but " + "; and ".join(problems) + ". "
            "Or turn a source off with sources.gmail.enabled / sources.slack.enabled in config/sources_config.yaml, "
            "or set mock.enabled: true to use the mock scenarios."
        )


def google_scopes(settings: Settings) -> list[str]:
    """Read-only scopes for the enabled Google sources; one sign-in covers both."""
    from collectors.google_auth import SCOPES_GMAIL

    scopes = list(SCOPES_GMAIL) if settings.sources.gmail.enabled else []
    if settings.sources.calendar.enabled:
        from collectors.calendar_api import SCOPES_CALENDAR

        scopes += SCOPES_CALENDAR
    return scopes


def gmail_client(settings: Settings) -> Any:
    from collectors.gmail_api import GmailApiClient
    from collectors.google_auth import load_credentials

    return GmailApiClient.from_credentials(load_credentials(gmail_token_file(settings), google_scopes(settings)))


def calendar_client(settings: Settings) -> Any:
    from collectors.calendar_api import GoogleCalendarClient
    from collectors.google_auth import load_credentials

    return GoogleCalendarClient.from_credentials(load_credentials(gmail_token_file(settings), google_scopes(settings)))


def slack_client(settings: Settings) -> Any:
    from collectors.slack_api import SlackApiClient, token_from_env

    channels = list(settings.sources.slack.channels) or None
    return SlackApiClient(token_from_env(), channels=channels)


def authorize_gmail(settings: Settings) -> Path:
    """Run Google's installed-app sign-in and store the token (mode 0600); returns where."""
    from collectors.google_auth import authorize

    token_file = gmail_token_file(settings)
    authorize(settings.resolve(settings.sources.gmail.credentials_file), token_file, google_scopes(settings))
    return token_file
