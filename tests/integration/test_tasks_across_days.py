"""Tasks live across days: carried forward, closed by your reply, and managed by command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mocks.scenarios import FIXTURES_DIR
from tests.conftest import Home, said

TERRAFORM_THREAD = ("C01ENGPLT", "1794990000.000211")  # Lena's request, stored on 18 Nov 08:20 UTC


def _scenario(home: Home, fixtures: Path | str = "default") -> str:
    path = home.path / f"fixed_{Path(str(fixtures)).name}.yaml"
    path.write_text(f"description: fixed dates\nfixtures: {fixtures}\nshift_timestamps: false\n")
    return str(path)


def _with_reply(home: Home, text: str) -> Path:
    """The default fixtures plus Alex's reply in the Terraform thread on 19 Nov at 10:00 UTC."""
    target = home.path / "fixtures_replied"
    shutil.copytree(FIXTURES_DIR / "default", target)
    slack = json.loads((target / "slack.json").read_text())
    channel, thread_ts = TERRAFORM_THREAD
    reply = {"type": "message", "user": "U01ALEXR", "text": text, "ts": "1795082400.000900", "thread_ts": thread_ts}
    slack["replies"][f"{channel}:{thread_ts}"].append(reply)
    for message in slack["history"][channel]:
        if message["ts"] == thread_ts:
            message["reply_count"] += 1
            message["latest_reply"] = reply["ts"]
    (target / "slack.json").write_text(json.dumps(slack))
    return target


def _task_titled(plan: dict, words: str) -> dict:
    return next(t for t in plan["tasks"] if words in t["title"])


def test_tasks_carry_forward_close_on_reply_and_obey_commands(home: Home) -> None:
    assert home.run("--scenario", _scenario(home), "--date", "2026-11-19").returncode == 0
    day1 = home.plan_json("2026-11-19")
    terraform = _task_titled(day1, "Terraform")
    assert terraform.get("carried_from") is None

    day2 = home.run(
        "--scenario", _scenario(home, _with_reply(home, "Done, bumped to 5.80 and merged")), "--date", "2026-11-20"
    )
    assert day2.returncode == 0, day2.stderr
    plan2 = home.plan_json("2026-11-20")
    assert [c["task_id"] for c in plan2["closed"]] == [terraform["id"]]
    assert "you replied in the Slack thread" in plan2["closed"][0]["reason"]
    assert terraform["id"] not in {t["id"] for t in plan2["tasks"]}
    carried = [t for t in plan2["tasks"] if t.get("carried_from") == "2026-11-19"]
    assert carried and all(t["age_days"] == 1 for t in carried)
    assert "Closed automatically" in day2.stdout and "carried" in day2.stdout

    listing = home.run("tasks")
    assert listing.returncode == 0 and terraform["id"] not in listing.stdout
    ids = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    done, dropped, snoozed, *_ = ids
    assert home.run("done", done[:6]).returncode == 0
    assert home.run("drop", dropped[:6]).returncode == 0
    assert home.run("snooze", snoozed[:6], "--until", "2099-01-01").returncode == 0
    ambiguous = home.run("done", "")
    assert ambiguous.returncode == 2 and "Traceback" not in ambiguous.stderr

    assert home.run("--scenario", _scenario(home), "--date", "2026-11-21").returncode == 0
    plan3 = home.plan_json("2026-11-21")
    kept = {t["id"] for t in plan3["tasks"]}
    assert not {done, dropped, snoozed} & kept
    assert {t["id"] for t in carried} - {done, dropped, snoozed} <= kept
    assert all(t["age_days"] == 2 for t in plan3["tasks"] if t["id"] in {c["id"] for c in carried})


def test_an_acknowledgement_does_not_close_the_task(home: Home) -> None:
    assert home.run("--scenario", _scenario(home), "--date", "2026-11-19").returncode == 0
    terraform = _task_titled(home.plan_json("2026-11-19"), "Terraform")
    result = home.run(
        "--scenario", _scenario(home, _with_reply(home, "will look at it after lunch")), "--date", "2026-11-20"
    )
    assert result.returncode == 0, said(result)
    plan2 = home.plan_json("2026-11-20")
    assert plan2["closed"] == []
    assert _task_titled(plan2, "Terraform")["id"] == terraform["id"]
