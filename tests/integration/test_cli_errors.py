"""Errors a user can cause: one readable paragraph, the right exit code, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PLAN_DATE, REPO, Home, said


def _assert_clean(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in said(result)
    return said(result)


def test_unknown_scenario_lists_the_valid_ones(home: Home) -> None:
    err = _assert_clean(home.run("--scenario", "no_such_thing"), 2)
    assert "Unknown scenario 'no_such_thing'" in err
    for name in ("default", "slack_collection_failure", "heavy_day", "malformed_payloads"):
        assert name in err


def test_malformed_yaml_names_the_file_and_line(home: Home) -> None:
    home.set_config("planner_config.yaml", "user:\n  name: Alex\n   email: [unclosed\n")
    err = _assert_clean(home.run("--date", PLAN_DATE), 2)
    assert "planner_config.yaml is not valid YAML at line" in err


def test_wrong_type_names_the_file_key_and_expectation(home: Home) -> None:
    home.set_config("durability_config.yaml", "resume:\n  max_attempts: lots\n")
    err = _assert_clean(home.run("--date", PLAN_DATE), 2)
    assert "durability_config.yaml" in err and "resume.max_attempts" in err and "integer" in err


def test_unknown_key_and_bad_mode(home: Home) -> None:
    home.set_config("durability_config.yaml", "durability:\n  mode: sometimes\n  enabeld: true\n")
    err = _assert_clean(home.run("--date", PLAN_DATE), 2)
    assert "durability.mode" in err and "'sync', 'async' or 'exit'" in err
    assert "durability.enabeld" in err and "not a known setting" in err


def test_unreachable_database_names_the_url_with_password_masked(home: Home) -> None:
    result = home.run("--date", PLAN_DATE, DATABASE_URL="postgresql://planner:s3cret@127.0.0.1:1/planner")
    err = _assert_clean(result, 2)
    assert "postgresql://planner:***@127.0.0.1:1/planner" in err and "s3cret" not in err
    assert not (home.plans / f"{PLAN_DATE}.md").exists()


def test_bad_date_and_bad_usage(home: Home) -> None:
    err = _assert_clean(home.run("--date", "20-11-2026"), 2)
    assert "YYYY-MM-DD" in err
    assert home.run("frobnicate").returncode == 2


def test_debug_shows_the_traceback(home: Home) -> None:
    result = home.run("--scenario", "no_such_thing", "--debug")
    assert result.returncode != 0 and "Traceback" in said(result)


def test_durability_disabled_runs_without_database_and_says_so(home: Home) -> None:
    home.set_config("durability_config.yaml", "durability:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PLANNER_HOME=str(home.path), DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--date", PLAN_DATE], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Durability is disabled" in said(result)
    assert home.plan_json()["coverage"]["durability"].startswith("disabled")
