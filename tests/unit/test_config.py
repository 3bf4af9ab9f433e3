from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.errors import ConfigError
from config.settings import load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return tmp_path


def test_shipped_config_loads_with_documented_defaults(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = load_settings(home)
    assert s.database_url is None  # embedded server
    assert (s.durability.enabled, s.durability.mode) == (True, "sync")
    assert (s.resume.auto_resume, s.resume.max_age_hours, s.resume.max_attempts) == (True, 24, 5)
    assert (s.mock.enabled, s.mock.active_scenario) == (True, "default")
    assert s.planner.min_block_minutes == 25
    assert s.plans_dir == home / "plans"


def test_missing_files_fall_back_to_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = load_settings(tmp_path)
    assert s.durability.mode == "sync" and s.user.timezone == "Europe/Berlin"


def test_database_url_env_wins_over_config(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "config" / "durability_config.yaml").write_text("postgres:\n  url: postgresql://a@h/db\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@h/db")
    assert load_settings(home).database_url == "postgresql://env@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert load_settings(home).database_url == "postgresql://a@h/db"


def test_env_substitution_with_default(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "config" / "planner_config.yaml").write_text("user:\n  email: ${MY_MAIL:-me@example.com}\n")
    monkeypatch.delenv("MY_MAIL", raising=False)
    assert load_settings(home).user.email == "me@example.com"
    monkeypatch.setenv("MY_MAIL", "you@example.com")
    assert load_settings(home).user.email == "you@example.com"


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        (
            "durability_config.yaml",
            "resume:\n  max_attempts: lots\n",
            "key 'resume.max_attempts': Input should be a valid integer",
        ),
        ("durability_config.yaml", "durability:\n  mode: maybe\n", "key 'durability.mode'"),
        ("mock_config.yaml", "enabled: [1]\n", "key 'enabled'"),
        ("planner_config.yaml", "user:\n  timezone: Mars/Olympus\n", "unknown IANA timezone 'Mars/Olympus'"),
        ("planner_config.yaml", "planner:\n  workday_start: '18:00'\n  workday_end: '09:00'\n", "earlier than"),
        ("planner_config.yaml", "colect: {}\n", "key 'colect' is not a known setting"),
        ("planner_config.yaml", "- just\n- a list\n", "must be a YAML mapping"),
        ("mock_config.yaml", "enabled: true\n  active_scenario: x\n", "is not valid YAML at line 2"),
    ],
)
def test_bad_config_names_file_key_and_expectation(home: Path, filename: str, text: str, expected: str) -> None:
    (home / "config" / filename).write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(home)
    message = str(err.value)
    assert filename in message and expected in message
    assert err.value.exit_code == 2
