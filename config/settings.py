"""Typed, validated, frozen settings loaded from the YAML files in ``config/``.

Each YAML file maps onto one section model, so a validation error can name the file,
the key and what was expected. ``${VAR}`` and ``${VAR:-default}`` are substituted from
the environment (and ``.env``) before validation; secrets therefore never need to live
in the YAML files themselves.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- durability_config.yaml -------------------------------------------------------


class PostgresSettings(_Section):
    url: str | None = None  # DATABASE_URL wins over this
    embedded_dir: str = ".data/postgres"
    pool_max_size: int = Field(4, ge=1, le=64)
    connect_timeout_seconds: int = Field(5, ge=1, le=120)


class DurabilitySettings(_Section):
    enabled: bool = True
    mode: Literal["sync", "async", "exit"] = "sync"


class ResumeSettings(_Section):
    auto_resume: bool = True
    max_age_hours: float = Field(24, gt=0)
    max_attempts: int = Field(5, ge=1)


class RetrySettings(_Section):
    """LangGraph RetryPolicy for transient errors inside one run."""

    max_attempts: int = Field(3, ge=1, le=20)
    initial_interval_seconds: float = Field(0.2, ge=0)
    max_interval_seconds: float = Field(5.0, ge=0)


class RetentionSettings(_Section):
    days: float | None = Field(None, gt=0)  # after a completed run, clean up finished runs older than this


class DurabilityFile(_Section):
    postgres: PostgresSettings = PostgresSettings()
    durability: DurabilitySettings = DurabilitySettings()
    resume: ResumeSettings = ResumeSettings()
    retry: RetrySettings = RetrySettings()
    retention: RetentionSettings = RetentionSettings()


# --- mock_config.yaml ---------------------------------------------------------------


class MockFile(_Section):
    enabled: bool = True
    active_scenario: str = "default"


# --- planner_config.yaml ------------------------------------------------------------


class UserSettings(_Section):
    name: str = "Alex Rivera"
    email: str = "alex.rivera@northwind.example"
    slack_id: str = "U01ALEXR"
    timezone: str = "Europe/Berlin"
    mailing_lists: tuple[str, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. 'Europe/Berlin', 'America/New_York')") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CollectSettings(_Section):
    lookback_hours: float = Field(24, gt=0, le=24 * 14)  # the first run's window (no watermark yet)
    max_lookback_days: float = Field(4, gt=0, le=60)  # a window since the last run never reaches further
    max_text_chars: int = Field(2000, ge=200, le=100_000)


class PlannerSettings(_Section):
    workday_start: time = time(9, 0)
    workday_end: time = time(17, 30)
    lunch_start: time = time(12, 30)
    lunch_minutes: int = Field(45, ge=0, le=180)
    min_block_minutes: int = Field(25, ge=5, le=240)
    default_estimate_minutes: int = Field(30, ge=5, le=480)
    buffer_after_meetings_minutes: int = Field(5, ge=0, le=60)
    focus_blocks: bool = True  # put long tasks (>= focus_min_minutes) in the morning
    focus_min_minutes: int = Field(60, ge=15, le=480)

    @model_validator(mode="after")
    def _ordered(self) -> PlannerSettings:
        if not self.workday_start < self.workday_end:
            raise ValueError("workday_start must be earlier than workday_end")
        return self


class LlmSettings(_Section):
    """An OpenAI-compatible chat model for extraction (OpenAI, Ollama, vLLM, LM Studio...)."""

    enabled: bool | None = None  # None: on when OPENAI_API_KEY is set
    model: str = "gpt-4o-mini"
    base_url: str | None = None  # e.g. http://localhost:11434/v1 for Ollama
    api_key_env: str = "OPENAI_API_KEY"  # the key is read from this variable, never from a file here
    timeout_seconds: float = Field(60, gt=0, le=600)
    max_retries: int = Field(2, ge=0, le=10)
    batch_size: int = Field(20, ge=1, le=200)
    fallback_to_rules: bool = True  # when the model keeps failing; false fails the node (resumable)

    @property
    def active(self) -> bool:
        return self.enabled if self.enabled is not None else bool(os.environ.get(self.api_key_env))


class CalendarSettings(_Section):
    enabled: bool = True
    calendar_id: str = "primary"


class ReviewSettings(_Section):
    enabled: bool = False  # pause every run for your review before the plan is written


class OutputSettings(_Section):
    dir: str = "plans"


class PlannerFile(_Section):
    user: UserSettings = UserSettings()
    collect: CollectSettings = CollectSettings()
    planner: PlannerSettings = PlannerSettings()
    llm: LlmSettings = LlmSettings()
    review: ReviewSettings = ReviewSettings()
    output: OutputSettings = OutputSettings()


# --- sources_config.yaml -----------------------------------------------------------


class GmailSettings(_Section):
    enabled: bool = True
    credentials_file: str = "credentials.json"  # OAuth client of type "Desktop app", from Google Cloud
    token_file: str | None = None  # default: <user config dir>/daily-task-planner/google_token.json
    query_filter: str = "-category:promotions -category:social -in:sent -in:drafts -in:spam -in:trash"
    max_messages: int = Field(3000, ge=1, le=100_000)


class SlackSettings(_Section):
    enabled: bool = True
    channels: tuple[str, ...] = ()  # ids or names; empty = every channel you are in, plus DMs
    max_threads: int = Field(200, ge=0, le=10_000)


class SourcesFile(_Section):
    gmail: GmailSettings = GmailSettings()
    slack: SlackSettings = SlackSettings()
    calendar: CalendarSettings = CalendarSettings()


# --- the whole --------------------------------------------------------------------


class Settings(BaseModel):
    """Everything the app reads from config, plus where it lives on disk."""

    model_config = ConfigDict(frozen=True)

    home: Path  # relative paths in config resolve against this
    config_dir: Path
    database_url: str | None  # DATABASE_URL, else postgres.url; None = embedded server
    durability_file: DurabilityFile
    mock: MockFile
    planner_file: PlannerFile
    sources: SourcesFile

    @property
    def postgres(self) -> PostgresSettings:
        return self.durability_file.postgres

    @property
    def durability(self) -> DurabilitySettings:
        return self.durability_file.durability

    @property
    def resume(self) -> ResumeSettings:
        return self.durability_file.resume

    @property
    def retry(self) -> RetrySettings:
        return self.durability_file.retry

    @property
    def retention(self) -> RetentionSettings:
        return self.durability_file.retention

    @property
    def user(self) -> UserSettings:
        return self.planner_file.user

    @property
    def collect(self) -> CollectSettings:
        return self.planner_file.collect

    @property
    def planner(self) -> PlannerSettings:
        return self.planner_file.planner

    @property
    def llm(self) -> LlmSettings:
        return self.planner_file.llm

    @property
    def plans_dir(self) -> Path:
        return self.resolve(self.planner_file.output.dir)

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.home / p


FILES: dict[str, type[_Section]] = {
    "durability_config.yaml": DurabilityFile,
    "mock_config.yaml": MockFile,
    "planner_config.yaml": PlannerFile,
    "sources_config.yaml": SourcesFile,
}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _substitute(value: Any) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: _substitute(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v) for v in value]
    return value


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{path} is not valid YAML{where}: {problem}. Fix the syntax (indentation, a missing "
            "colon or an unclosed quote are the usual causes) and run again."
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a YAML mapping of keys to values, but it holds a {type(data).__name__}.")
    return _substitute(data)


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"key '{key}' is not a known setting (check its spelling)"
    given = error.get("input")
    shown = f" (got {given!r})" if not isinstance(given, dict | list) else ""
    return f"key '{key}': {error['msg']}{shown}"


def _validate(path: Path, model: type[_Section], data: dict[str, Any]) -> _Section:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors(include_url=False))
        raise ConfigError(f"{path} has an invalid setting: {problems}. Correct it and run again.") from None


def load_settings(home: Path, config_dir: Path | None = None) -> Settings:
    """Load and validate every config file; raise ConfigError naming file and key."""
    config_dir = config_dir or home / "config"
    sections = {
        name: _validate(config_dir / name, model, _read_yaml(config_dir / name)) for name, model in FILES.items()
    }
    durability_file = sections["durability_config.yaml"]
    assert isinstance(durability_file, DurabilityFile)
    database_url = os.environ.get("DATABASE_URL") or durability_file.postgres.url or None
    return Settings(
        home=home,
        config_dir=config_dir,
        database_url=database_url,
        durability_file=durability_file,
        mock=sections["mock_config.yaml"],
        planner_file=sections["planner_config.yaml"],
        sources=sections["sources_config.yaml"],
    )
