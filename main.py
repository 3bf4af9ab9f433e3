"""Daily task-planner agent: `python main.py` plans today from your email and Slack.

Parses arguments, loads settings, hands over to agent.commands, and turns errors into one
readable paragraph (a traceback only with --debug).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

HOME = Path(os.environ.get("PLANNER_HOME") or Path(__file__).resolve().parent)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    common.add_argument("--config-dir", type=Path, help="directory of the YAML config files (default: ./config)")

    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Plan your day from your recent email, Slack and calendar. With no command: resume "
        "unfinished runs, then plan today (or show today's plan if it is already made).",
        parents=[common],
    )
    parser.add_argument("--scenario", metavar="NAME_OR_PATH", help="mock scenario for this run (see 'scenarios')")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="plan this date as if run at 08:00 that morning")
    parser.add_argument("--new", action="store_true", help="plan again even if a completed plan exists")
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="collect from this point for one run: a duration (2d, 36h) or an ISO date/date-time; implies --new",
    )
    parser.add_argument(
        "--review", action="store_true", help="review the draft plan in the terminal before it is written"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    review = commands.add_parser("review", parents=[common], help="review a run that waits for you")
    review.add_argument("thread", nargs="?", metavar="THREAD_ID", help="which run (default: the latest waiting)")
    commands.add_parser("scenarios", parents=[common], help="list the mock scenarios")
    status = commands.add_parser("status", parents=[common], help="show recent runs")
    status.add_argument("--limit", type=int, default=15, help="how many runs to show (default 15)")
    plan = commands.add_parser("plan", parents=[common], help="print a saved plan")
    plan.add_argument("plan_date", nargs="?", metavar="DATE", help="YYYY-MM-DD (default: today)")
    commands.add_parser("tasks", parents=[common], help="list open tasks")
    for name, what in (("done", "mark a task done"), ("drop", "drop a task")):
        cmd = commands.add_parser(name, parents=[common], help=what)
        cmd.add_argument("task_id", metavar="TASK_ID", help="the task's id, or a unique prefix of it")
    snooze = commands.add_parser("snooze", parents=[common], help="hide a task until a date")
    snooze.add_argument("task_id", metavar="TASK_ID", help="the task's id, or a unique prefix of it")
    snooze.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="show it again from this date")
    auth = commands.add_parser("auth", parents=[common], help="sign in to a real account")
    auth.add_argument("service", choices=["gmail"], help="gmail: Google's browser sign-in, read-only scope")
    history = commands.add_parser("history", parents=[common], help="list a run's checkpoints and replay branches")
    history.add_argument("thread_id", metavar="THREAD_ID", help="the run's thread id, or a unique prefix of it")
    show = commands.add_parser("show", parents=[common], help="show a run's state at a checkpoint")
    show.add_argument("thread_id", metavar="THREAD_ID", help="the run's thread id, or a unique prefix of it")
    show.add_argument("--checkpoint", metavar="ID", help="checkpoint id or a unique prefix (default: the latest)")
    replay = commands.add_parser(
        "replay", parents=[common], help="re-run a run from a checkpoint with the current settings, as a new branch"
    )
    replay.add_argument("thread_id", metavar="THREAD_ID", help="the run's thread id, or a unique prefix of it")
    replay.add_argument(
        "--from", dest="from_checkpoint", required=True, metavar="CHECKPOINT_ID", help="checkpoint id or unique prefix"
    )
    # Its own dest: the subparser's default would otherwise overwrite a --scenario given before 'replay'.
    replay.add_argument("--scenario", dest="replay_scenario", metavar="NAME_OR_PATH", help="mock scenario to use")
    db = commands.add_parser(
        "db", parents=[common], help="the database: start or stop the embedded server, or show sizes and runs"
    )
    db.add_argument(
        "action",
        choices=["start", "stop", "info"],
        help="start it (and show where it is), stop it, or show sizes and runs",
    )
    cleanup = commands.add_parser("cleanup", parents=[common], help="delete the checkpoints of old finished runs")
    cleanup.add_argument(
        "--older-than", required=True, metavar="AGE", help="finished longer ago than this: 14d, 36h, 2w"
    )
    cleanup.add_argument("--dry-run", action="store_true", help="show what would be removed; delete nothing")
    return parser


def dispatch(args: argparse.Namespace) -> int:
    env_file = HOME / ".env"
    if env_file.exists():  # secrets stay in the environment or .env; skip the import when there is none
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)
    from agent import commands
    from config.settings import load_settings

    settings = load_settings(HOME, args.config_dir)
    if args.command == "scenarios":
        return commands.cmd_scenarios(settings)
    if args.command == "status":
        return commands.cmd_status(settings, args.limit)
    if args.command == "plan":
        return commands.cmd_plan(settings, args.plan_date)
    if args.command == "cleanup" or (args.command == "db" and args.action == "info"):
        from agent import maintenance_commands

        if args.command == "cleanup":
            return maintenance_commands.cmd_cleanup(settings, args.older_than, args.dry_run)
        return maintenance_commands.cmd_db_info(settings)
    if args.command == "db":
        return commands.cmd_db(settings, args.action)
    if args.command in ("history", "show", "replay"):
        from agent import timetravel_commands

        if args.command == "history":
            return timetravel_commands.cmd_history(settings, args.thread_id)
        if args.command == "show":
            return timetravel_commands.cmd_show(settings, args.thread_id, args.checkpoint)
        return timetravel_commands.cmd_replay(
            settings, args.thread_id, args.from_checkpoint, args.replay_scenario or args.scenario
        )
    if args.command == "review":
        return commands.cmd_review(settings, args.thread)
    if args.command == "tasks":
        return commands.cmd_tasks(settings)
    if args.command in ("done", "drop", "snooze"):
        status = {"done": "done", "drop": "dropped", "snooze": "snoozed"}[args.command]
        return commands.cmd_task_status(settings, args.task_id, status, getattr(args, "until", None))
    if args.command == "auth":
        return commands.cmd_auth(settings, args.service)
    return commands.cmd_run(
        settings, scenario_name=args.scenario, plan_date=args.date, new=args.new, since=args.since, review=args.review
    )


def _paragraph(text: str) -> str:
    """Wrapped for the terminal; lines the message breaks on purpose (numbered steps) stay."""
    return "\n".join(
        textwrap.fill(line, width=100, subsequent_indent="  " if line[:1] == " " else "") for line in text.splitlines()
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # exits with code 2 on bad usage
    from agent.errors import PlannerError, RunInterrupted

    try:
        return dispatch(args)
    except RunInterrupted as exc:
        print("\n" + _paragraph(f"Stopped: {exc}"), file=sys.stderr, flush=True)
        # A node still running in a worker thread must not keep the process alive; the run is
        # already marked interrupted and its lock released.
        os._exit(exc.exit_code)
    except PlannerError as exc:
        if args.debug:
            raise
        print("\n" + _paragraph(f"Error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        message = (
            f"Unexpected error: {type(exc).__name__}: {exc}. Nothing completed is lost; run again with --debug "
            "to see the traceback, and report it if it persists."
        )
        print("\n" + _paragraph(message), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
