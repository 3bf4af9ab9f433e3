"""Rows measured on real ``main.py`` processes: cold start, heavy_day, resume cost."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from bench.env import PLAN_DATE, Child, main_py, run_child
from bench.table import Row, median

FLOOR = [sys.executable, "-c", "import langgraph.graph, langgraph.checkpoint.postgres"]
COLD_TARGET = 1.3
HEAVY_SECONDS, HEAVY_MB = 5.0, 300.0
REPEATED_NODES = ("collect_email", "collect_slack", "extract_tasks")


def _checked(child: Child, what: str) -> Child:
    if child.returncode != 0:
        raise RuntimeError(f"{what} exited with {child.returncode}:\n{child.stderr[-2000:]}")
    return child


def cold_start_rows(home: Path, url: str, repeat: int) -> tuple[list[Row], list[Child]]:
    """main.py --scenario default vs the import floor, alternating; the schema exists after the warm-up run."""
    run = main_py("--scenario", "default", "--new", "--date", PLAN_DATE)
    _checked(run_child(run, home=home, database_url=url), "warm-up main.py")  # creates the schema
    run_child(FLOOR)
    floors, mains = [], []
    for _ in range(repeat):
        floors.append(_checked(run_child(FLOOR), "import floor"))
        mains.append(_checked(run_child(run, home=home, database_url=url), "main.py --scenario default"))
    floor = median([c.seconds for c in floors])
    measured = median([c.seconds for c in mains])
    row = Row(
        what="Cold start: main.py default",
        measured=f"{measured * 1000:.0f} ms (median of {repeat})",
        baseline=f"import floor {floor * 1000:.0f} ms",
        ratio=measured / floor,
        target=f"<= {COLD_TARGET:g}x floor",
        ok=measured / floor <= COLD_TARGET,
    )
    return [row], floors


def heavy_rows(home: Path, url: str, repeat: int, floors: list[Child]) -> list[Row]:
    run = main_py("--scenario", "heavy_day", "--new", "--date", PLAN_DATE)
    children = [_checked(run_child(run, home=home, database_url=url), "heavy_day") for _ in range(repeat)]
    seconds = median([c.seconds for c in children])
    rss = max(c.max_rss_mb for c in children)
    floor_s = median([c.seconds for c in floors])
    floor_mb = max(c.max_rss_mb for c in floors)
    return [
        Row(
            what="heavy_day end to end: wall",
            measured=f"{seconds:.2f} s (median of {repeat})",
            baseline=f"import floor {floor_s:.2f} s",
            ratio=seconds / floor_s,
            target=f"<= {HEAVY_SECONDS:g} s",
            ok=seconds <= HEAVY_SECONDS,
        ),
        Row(
            what="heavy_day end to end: peak RSS",
            measured=f"{rss:.0f} MB (max of {repeat})",
            baseline=f"import floor {floor_mb:.0f} MB",
            ratio=rss / floor_mb,
            target=f"<= {HEAVY_MB:g} MB",
            ok=rss <= HEAVY_MB,
        ),
    ]


def _query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        return conn.execute(sql, params or None).fetchall()


def resume_rows(home: Path, url: str, repeat: int, workdir: Path) -> list[Row]:
    """A run that fails in write_plan, then the auto-resume; compared with a full run, alternating."""
    scenario = workdir / "fail_in_write_plan.yaml"
    scenario.write_text(
        "description: bench - write_plan fails; everything before it is checkpointed\n"
        "fixtures: default\n"
        "faults:\n  - node: write_plan\n    kind: error\n    message: bench failure\n"
    )
    resumes, fulls, repeated = [], [], 0
    for i in range(repeat):
        day = f"2026-12-{i + 1:02d}"  # a date of its own: the resume finds exactly this run
        fail = run_child(main_py("--scenario", str(scenario), "--new", "--date", day), home=home, database_url=url)
        if fail.returncode == 0:
            raise RuntimeError("the write_plan fault did not fail the run")
        (thread,) = _query(url, "SELECT thread_id FROM runs WHERE status = 'failed' AND plan_date = %s", (day,))
        resumes.append(
            _checked(run_child(main_py("--scenario", "default", "--date", day), home=home, database_url=url), "resume")
        )
        status = _query(url, "SELECT status FROM runs WHERE thread_id = %s", (thread["thread_id"],))[0]["status"]
        if status != "completed":
            raise RuntimeError(f"the resumed run ended {status}")
        counts = _query(
            url,
            "SELECT count(*) AS n FROM node_executions WHERE thread_id = %s AND attempt > 1 AND node = ANY(%s)",
            (thread["thread_id"], list(REPEATED_NODES)),
        )
        repeated += int(counts[0]["n"])
        fulls.append(
            _checked(
                run_child(
                    main_py("--scenario", "default", "--new", "--date", f"2026-12-{i + 11:02d}"),
                    home=home,
                    database_url=url,
                ),
                "full run",
            )
        )
    resume_s = median([c.seconds for c in resumes])
    full_s = median([c.seconds for c in fulls])
    return [
        Row(
            what="Resume cost: repeated collector/extractor runs",
            measured=f"{repeated} in {repeat} resumes",
            baseline=f"{len(REPEATED_NODES)} per full run",
            ratio=repeated / (len(REPEATED_NODES) * repeat),
            target="0",
            ok=repeated == 0,
        ),
        Row(
            what="Resume cost: wall time of the resume",
            measured=f"{resume_s * 1000:.0f} ms (median of {repeat})",
            baseline=f"full run {full_s * 1000:.0f} ms",
            ratio=resume_s / full_s,
            target="- (process start dominates)",
            ok=None,
        ),
    ]
