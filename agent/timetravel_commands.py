"""CLI commands for time travel: ``history``, ``show`` and ``replay``. main.py parses; this prints."""

from __future__ import annotations

import signal
from pathlib import Path

from agent.commands import active_scenario, durable_runtime, echo
from agent.errors import UsageError
from agent.runner import abort_on_signal
from config.settings import Settings


def _require_durability(settings: Settings) -> None:
    if not settings.durability.enabled:
        raise UsageError("Durability is disabled (durability.enabled: false), so no checkpoints are kept.")


def cmd_history(settings: Settings, thread: str) -> int:
    from agent.timetravel import load_history, render_history, resolve_run

    _require_durability(settings)
    with durable_runtime(settings) as rt:
        run = resolve_run(rt, thread)
        rows = load_history(rt, run["thread_id"])
    if not rows:
        print(f"Run {run['thread_id']} has no checkpoints.")
        return 0
    print(render_history(run, rows))
    return 0


def cmd_show(settings: Settings, thread: str, checkpoint: str | None) -> int:
    from agent.timetravel import show_state

    _require_durability(settings)
    with durable_runtime(settings) as rt:
        text = show_state(rt, thread, checkpoint)
    print(text)
    return 0


def cmd_replay(settings: Settings, thread: str, checkpoint: str, scenario_name: str | None) -> int:
    from agent.timetravel import replay

    _require_durability(settings)
    scenario = active_scenario(settings, scenario_name)
    if scenario is None:
        from collectors.live import check_credentials

        check_credentials(settings)  # a replay from before collection reads the real accounts again
    # As for a run: SIGINT/SIGTERM mark the run interrupted (resumable) and free the lock.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, abort_on_signal)
    with durable_runtime(settings) as rt:
        result = replay(rt, scenario, thread, checkpoint)
    if result.outcome == "skipped":
        echo(f"Not replayed: {result.detail}. Try again when it has finished ('python main.py status').")
        return 1
    echo(f"Replayed run {result.thread_id} from checkpoint {result.from_checkpoint} into a new branch.")
    plan = Path(result.detail) if result.detail else None
    if plan is not None and plan.exists():
        echo()
        print(plan.read_text(encoding="utf-8"))
    return 0
