"""Row: the startup query for unfinished runs (RunStore.unfinished) as the runs table grows."""

from __future__ import annotations

import time

from bench.inprocess import Bench
from bench.table import Row, median

TARGET_MS = 10.0
FLAT_MS = 1.0  # 10x the rows may add at most this much

# One run every 10 minutes going back in time; every 100th is unfinished (1%). Whatever the
# table size, the 24-hour window holds the same 144 runs, two of them unfinished.
_FILL = """
INSERT INTO runs (thread_id, plan_date, scenario, status, attempts, started_at, updated_at, finished_at,
                  as_of, window_start)
SELECT 'bench-' || g,
       (now() - g * interval '10 minutes')::date,
       'default',
       CASE WHEN g %% 100 = 7 THEN (ARRAY['running', 'failed', 'interrupted'])[1 + (g / 100) %% 3]
            ELSE 'completed' END,
       1,
       now() - g * interval '10 minutes',
       now() - g * interval '10 minutes',
       CASE WHEN g %% 100 = 7 THEN NULL ELSE now() - g * interval '10 minutes' + interval '1 minute' END,
       now() - g * interval '10 minutes',
       now() - g * interval '10 minutes' - interval '1 day'
FROM generate_series(1, %(n)s) AS g
"""


def _timed(fn: object, calls: int) -> float:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return median(samples) * 1000


def _fill(b: Bench, n: int) -> None:
    with b.db.pool.connection() as conn:
        conn.execute("TRUNCATE runs")
        conn.execute(_FILL, {"n": n})
        conn.execute("ANALYZE runs")


def _uses_index(b: Bench, hours: float) -> bool:
    from agent.durability.runs import UNFINISHED_SQL

    with b.db.pool.connection() as conn:
        plan = conn.execute("EXPLAIN " + UNFINISHED_SQL, {"secs": hours * 3600}).fetchall()
    return any("runs_unfinished_idx" in str(next(iter(r.values()))) for r in plan)


def discovery_rows(b: Bench, sizes: tuple[int, ...], calls: int) -> list[Row]:
    hours = b.settings.resume.max_age_hours
    rows: list[Row] = []
    measured: dict[int, float] = {}
    for n in sizes:
        _fill(b, n)
        for _ in range(max(calls // 10, 5)):  # warm-up: plan cache, buffers
            found = b.store.unfinished(hours)
            b.store._one("SELECT 1 AS one", {})
        measured[n] = _timed(lambda: b.store.unfinished(hours), calls)
        floor = _timed(lambda: b.store._one("SELECT 1 AS one", {}), calls)
        index = "partial index" if _uses_index(b, hours) else "NO index"
        rows.append(
            Row(
                what=f"Resume discovery: {n:,} runs",
                measured=f"{measured[n]:.2f} ms ({len(found)} found, {index})",
                baseline=f"SELECT 1 {floor:.2f} ms",
                ratio=measured[n] / floor,
                target=f"<= {TARGET_MS:g} ms",
                ok=measured[n] <= TARGET_MS,
            )
        )
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        ratio = measured[large] / measured[small]
        rows.append(
            Row(
                what=f"Resume discovery: flat ({large:,} vs {small:,})",
                measured=f"{measured[large]:.2f} ms",
                baseline=f"{measured[small]:.2f} ms at {small:,}",
                ratio=ratio,
                target=f"<= +{FLAT_MS:g} ms (flat)",
                ok=measured[large] - measured[small] <= FLAT_MS,
            )
        )
    return rows
