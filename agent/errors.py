"""One small exception hierarchy. Every message is written for the person at the terminal:
what is wrong, and what to do about it. ``main.py`` prints it without a traceback."""

from __future__ import annotations


class PlannerError(Exception):
    """Root of every error the user can cause or fix. ``exit_code`` is what main.py returns."""

    exit_code = 1


class UsageError(PlannerError):
    """Bad command-line input: unknown scenario, thread id, date, ..."""

    exit_code = 2


class ConfigError(PlannerError):
    """A config file or setting is wrong, or a configured service cannot be reached."""

    exit_code = 2


class DatabaseUnavailable(ConfigError):
    """The configured PostgreSQL server cannot be reached."""


class TransientSourceError(PlannerError):
    """A temporary failure (timeout, rate limit, 5xx). Retried by the node's RetryPolicy."""


class SourceError(PlannerError):
    """A source failed in a way retrying inside this run will not fix. The run stays resumable."""


class RunFailed(PlannerError):
    """A run stopped with an error; its checkpoints are kept and the next start resumes it."""


class RunInterrupted(PlannerError):
    """SIGINT or SIGTERM arrived; the run stopped and will be resumed on the next start."""

    exit_code = 130
