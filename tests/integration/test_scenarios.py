"""Each shipped scenario ends as its description says."""

from __future__ import annotations

import signal

import pytest

from tests.conftest import PLAN_DATE, Home, said

FAILS_IN = {
    "calendar_collection_failure": "collect_calendar",
    "slack_collection_failure": "collect_slack",
    "email_collection_failure": "collect_email",
    "task_extraction_failure": "extract_tasks",
    "planning_failure": "plan_day",
}


@pytest.mark.parametrize("scenario", sorted(FAILS_IN))
def test_failure_scenarios_fail_in_their_node_and_resume_with_default(home: Home, scenario: str) -> None:
    node = FAILS_IN[scenario]
    failed = home.run("--scenario", scenario, "--date", PLAN_DATE)
    assert failed.returncode == 1, failed.stderr
    assert f"failed in {node}" in said(failed) and "Traceback" not in said(failed)
    assert home.runs()[0]["failed_node"] == node
    resumed = home.run("--date", PLAN_DATE)  # active scenario from config: default
    assert resumed.returncode == 0, resumed.stderr
    expected = dict.fromkeys(
        (
            "collect_email",
            "collect_slack",
            "collect_calendar",
            "extract_tasks",
            "track_tasks",
            "plan_day",
            "write_plan",
        ),
        1,
    )
    expected[node] = 2  # only the failed node runs again; everything before it is restored
    assert home.executions() == expected


def test_flaky_slack_is_retried_inside_the_run(home: Home) -> None:
    done = home.run("--scenario", "flaky_slack", "--date", PLAN_DATE)
    assert done.returncode == 0, done.stderr
    assert home.executions()["collect_slack"] == 3  # two transient failures, then success
    assert home.runs()[0]["attempts"] == 1
    retried = home.plan_json()["coverage"]["retried_steps"]
    assert retried and "collect_slack retried 2 time(s)" in retried[0]


def test_crash_during_extraction_kills_the_process(home: Home) -> None:
    crashed = home.run("--scenario", "crash_during_extraction", "--date", PLAN_DATE)
    assert crashed.returncode == -signal.SIGKILL


def test_empty_day_completes_with_an_empty_plan(home: Home) -> None:
    done = home.run("--scenario", "empty_day", "--date", PLAN_DATE)
    assert done.returncode == 0, done.stderr
    plan = home.plan_json()
    assert plan["tasks"] == []
    assert plan["coverage"]["sources"]["email"]["messages"] == 0
    assert plan["coverage"]["notes"]


def test_heavy_day_completes(home: Home) -> None:
    done = home.run("--scenario", "heavy_day", "--date", PLAN_DATE)
    assert done.returncode == 0, done.stderr
    sources = home.plan_json()["coverage"]["sources"]
    assert sources["email"]["messages"] >= 2000 and sources["slack"]["messages"] >= 5000


def test_malformed_payloads_are_skipped_counted_and_the_run_completes(home: Home) -> None:
    done = home.run("--scenario", "malformed_payloads", "--date", PLAN_DATE)
    assert done.returncode == 0, done.stderr
    sources = home.plan_json()["coverage"]["sources"]
    assert sum(sources["email"]["skipped"].values()) >= 3
    assert sum(sources["slack"]["skipped"].values()) >= 3
    assert sources["email"]["messages"] > 0 and sources["slack"]["messages"] > 0
    assert "Skipped:" in done.stdout  # the plan header says what was left out, and why
