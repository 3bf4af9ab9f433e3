"""`make bench` / `python -m bench.run`: measure, then print one table (exit 1 when a target is missed).

Every figure is compared with a baseline measured in the same run, on the same machine and
server: the import floor for process start, a run without a checkpointer for durable
overhead, the state's own size for bytes written, ``SELECT 1`` for the startup query.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import PLAN_DATE, describe, fresh_database, make_home, pg_server
from bench.table import Row, render


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure(url: str, workdir: Path, args: argparse.Namespace) -> list[Row]:
    from bench.cli import cold_start_rows, heavy_rows, resume_rows
    from bench.discovery import discovery_rows
    from bench.durable import bytes_rows, overhead_rows
    from bench.inprocess import open_bench

    rows: list[Row] = []
    home = make_home(workdir, "home")
    progress(f"cold start: main.py vs the import floor, {args.cold} alternating runs each")
    cold, floors = cold_start_rows(home, url, args.cold)
    rows += cold
    progress(f"heavy_day end to end, {args.heavy} runs")
    rows += heavy_rows(home, url, args.heavy, floors)
    progress(f"resume cost: {args.resumes} fail-in-write_plan runs, resumes and full runs")
    rows += resume_rows(make_home(workdir, "resume-home"), url, args.resumes, workdir)
    with open_bench(make_home(workdir, "inprocess-home"), url, PLAN_DATE) as b:
        progress(f"durable overhead per node: 5 variants x {args.overhead} in-process runs")
        rows += overhead_rows(b, args.overhead)
        progress(f"bytes written per run: {args.bytes_runs} tracked runs per mode")
        rows += bytes_rows(b, args.bytes_runs)
        progress(f"resume discovery: {args.calls} calls at each table size")
        rows += discovery_rows(b, (10_000, 100_000), args.calls)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--cold", type=int, default=7, help="alternating cold-start runs of each (default 7)")
    parser.add_argument("--heavy", type=int, default=3, help="heavy_day runs (default 3)")
    parser.add_argument("--resumes", type=int, default=3, help="fail/resume/full-run triples (default 3)")
    parser.add_argument("--overhead", type=int, default=15, help="in-process runs per variant (default 15)")
    parser.add_argument("--bytes-runs", type=int, default=5, help="runs per mode for bytes written (default 5)")
    parser.add_argument("--calls", type=int, default=300, help="startup-query calls per table size (default 300)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="planner-bench-") as tmp:
        workdir = Path(tmp)
        with pg_server(workdir) as server, fresh_database(server) as url:
            environment = describe(url)
            rows = measure(url, workdir, args)
    print(render(rows, environment, time.perf_counter() - started))
    return 1 if any(r.ok is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
