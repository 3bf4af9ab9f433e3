"""Watermarks: a run collects exactly what arrived since the last completed run of an earlier day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from collectors.base import Window
from collectors.gmail import GmailCollector
from collectors.slack import SlackCollector
from mocks.clients import MockGmailClient, MockSlackClient
from mocks.fixtures import load_fixture_set
from mocks.scenarios import FIXTURES_DIR
from tests.conftest import Home, said

# The default fixtures as stored (not moved to "now") span 17-18 Nov 2026.
DAY1, DAY2 = "2026-11-18", "2026-11-19"
MARK1 = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)  # 08:00 Europe/Berlin
MARK2 = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)


def _fixed_scenario(home: Home, faults: str = "") -> str:
    path = home.path / ("fixed_failing.yaml" if faults else "fixed.yaml")
    path.write_text(f"description: default at its stored dates\nfixtures: default\nshift_timestamps: false\n{faults}")
    return str(path)


def _marks(home: Home) -> dict[str, datetime]:
    rows = home.query("SELECT source, max(planned_until) AS until FROM watermarks GROUP BY source")
    return {r["source"]: r["until"] for r in rows}


def _messages_in(since: datetime, until: datetime) -> dict[str, int]:
    fixtures = load_fixture_set("default", base_dir=FIXTURES_DIR, now=until, shift=False)
    window = Window(since=since, until=until)
    return {
        "email": len(GmailCollector(MockGmailClient(fixtures), max_chars=2000).collect(window)["messages"]),
        "slack": len(SlackCollector(MockSlackClient(fixtures), max_chars=2000).collect(window)["messages"]),
    }


def _collected(home: Home, day: str) -> dict[str, int]:
    sources = home.plan_json(day)["coverage"]["sources"]
    return {name: sources[name]["messages"] for name in ("email", "slack")}


def test_completed_runs_advance_marks_and_the_next_run_gets_exactly_the_new_messages(home: Home) -> None:
    fixed = _fixed_scenario(home)
    assert home.run("--scenario", fixed, "--date", DAY1).returncode == 0
    assert _marks(home) == {"email": MARK1, "slack": MARK1}

    second = home.run("--scenario", fixed, "--date", DAY2)
    assert second.returncode == 0, second.stderr
    assert home.runs()[-1]["window_start"] == MARK1  # not a fixed 24 hours: since the last run
    assert _marks(home) == {"email": MARK2, "slack": MARK2}

    first, later = _collected(home, DAY1), _collected(home, DAY2)
    assert later == _messages_in(MARK1, MARK2)
    both = _messages_in(MARK1 - timedelta(hours=24), MARK2)
    assert {k: first[k] + later[k] for k in both} == both  # no message twice, none missed
    assert later["email"] > 0 and later["slack"] > 0


def test_a_failed_run_does_not_move_the_marks_and_its_resume_does(home: Home) -> None:
    assert home.run("--scenario", _fixed_scenario(home), "--date", DAY1).returncode == 0
    failing = _fixed_scenario(home, "faults:\n  - {node: plan_day, kind: error}\n")
    assert home.run("--scenario", failing, "--date", DAY2).returncode == 1
    assert _marks(home) == {"email": MARK1, "slack": MARK1}

    resumed = home.run("--scenario", _fixed_scenario(home), "--date", DAY2)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming failed run" in said(resumed)
    assert _marks(home) == {"email": MARK2, "slack": MARK2}
    assert _collected(home, DAY2) == _messages_in(MARK1, MARK2)


def test_lookback_is_capped_and_since_overrides_the_window(home: Home) -> None:
    fixed = _fixed_scenario(home)
    assert home.run("--scenario", fixed, "--date", "2026-11-05").returncode == 0
    assert home.run("--scenario", fixed, "--date", DAY2).returncode == 0
    assert home.runs()[-1]["window_start"] == MARK2 - timedelta(days=4)  # collect.max_lookback_days

    again = home.run("--scenario", fixed, "--date", DAY2, "--since", "36h")
    assert again.returncode == 0, again.stderr
    assert home.runs()[-1]["window_start"] == MARK2 - timedelta(hours=36)
    assert home.run("--since", "yesterday-ish").returncode == 2


def test_disabled_source_is_not_collected_and_keeps_its_mark(home: Home) -> None:
    fixed = _fixed_scenario(home)
    assert home.run("--scenario", fixed, "--date", DAY1).returncode == 0
    home.set_config("sources_config.yaml", "slack:\n  enabled: false\n")
    assert home.run("--scenario", fixed, "--date", DAY2).returncode == 0
    coverage = home.plan_json(DAY2)["coverage"]["sources"]
    assert coverage["slack"]["status"] == "disabled" and coverage["slack"]["messages"] == 0
    assert _marks(home) == {"email": MARK2, "slack": MARK1}


def test_real_accounts_without_credentials_say_what_to_set_up_for_each(home: Home, tmp_path: Path) -> None:
    home.set_config("mock_config.yaml", "enabled: false\n")
    result = home.run("--date", DAY2, XDG_CONFIG_HOME=str(tmp_path / "xdg"), SLACK_USER_TOKEN="", SLACK_BOT_TOKEN="")
    assert result.returncode == 2
    message = said(result)
    assert "python main.py auth gmail" in message and "credentials.json" in message
    assert "SLACK_USER_TOKEN" in message and "users:read" in message
    assert "Traceback" not in result.stderr
    assert not home.plans.exists()  # checked before anything runs
