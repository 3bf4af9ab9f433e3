"""Rows: durable overhead per node, and bytes written per run, for each durability mode."""

from __future__ import annotations

import json
from typing import Any

from bench.inprocess import Bench
from bench.table import Row, median

MODES = ("sync", "async", "exit")
TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
OVERHEAD_TARGET_MS = 5.0
BYTES_TARGET_RATIO = 2.0


def overhead_rows(b: Bench, repeat: int) -> list[Row]:
    """Each repetition runs every variant once on a fresh thread, in rotating order; medians of paired differences."""
    from langgraph.checkpoint.memory import InMemorySaver

    variants: dict[str, tuple[Any, str | None, bool]] = {
        "none": (None, None, False),
        "memory": (InMemorySaver(), "sync", False),
        **{mode: (b.saver, mode, False) for mode in MODES},
        "tracked": (b.saver, "sync", True),
    }
    names = list(variants)

    def run(name: str) -> float:
        checkpointer, mode, track = variants[name]
        return b.run(checkpointer, mode, track=track)[0]

    for name in names:  # warm-up: imports, prepared pool connections, fixture files in the page cache
        run(name)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(repeat):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            times[name].append(run(name))
    none = times["none"]
    base_ms = median(none) * 1000
    rows: list[Row] = []
    labels = {
        "sync": "sync",
        "async": "async",
        "exit": "exit",
        "memory": "InMemorySaver",
        "tracked": "sync + app's own writes",
    }
    for name, label in labels.items():
        added = median([t - n for t, n in zip(times[name], none, strict=True)]) * 1000 / b.nodes
        total = median(times[name]) * 1000
        rows.append(
            Row(
                what=f"Durable overhead: {label} ({b.nodes} nodes)",
                measured=f"+{added:.2f} ms/node (run {total:.0f} ms)",
                baseline=f"no checkpointer {base_ms:.0f} ms/run",
                ratio=total / base_ms,
                target=f"<= {OVERHEAD_TARGET_MS:g} ms/node" if name == "sync" else "-",
                ok=added <= OVERHEAD_TARGET_MS if name == "sync" else None,
            )
        )
    return rows


def _sizes(b: Bench) -> tuple[int, int]:
    """(total size of the checkpoint tables incl. indexes and TOAST, current WAL position)."""
    with b.db.pool.connection() as conn:
        row = conn.execute(
            "SELECT " + " + ".join(f"pg_total_relation_size('{t}')" for t in TABLES) + " AS tables, "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal"
        ).fetchone()
    assert row is not None
    return int(row["tables"]), int(row["wal"])


def _row_bytes(b: Bench, thread_id: str) -> int:
    """Bytes of this thread's rows in the checkpoint tables, as stored (pg_column_size of each row)."""
    sql = " + ".join(
        f"(SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {t} t WHERE thread_id = %(t)s)" for t in TABLES
    )
    with b.db.pool.connection() as conn:
        row = conn.execute(f"SELECT ({sql})::bigint AS n", {"t": thread_id}).fetchone()
    return int(row["n"]) if row else 0


def state_size(b: Bench, thread_id: str) -> tuple[int, int]:
    """The final state of a run: (JsonPlusSerializer.dumps_typed bytes, plain JSON bytes)."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    values = b.final_state(b.saver, thread_id)
    _, typed = JsonPlusSerializer().dumps_typed(values)
    plain = json.dumps(values, default=str, ensure_ascii=False, separators=(",", ":")).encode()
    return len(typed), len(plain)


def kb(n: float) -> str:
    return f"{n / 1024:.1f}"


def bytes_rows(b: Bench, runs_per_mode: int) -> list[Row]:
    """Per mode: table growth averaged over several runs (pages are allocated 8 kB at a time), and WAL per run.

    These runs are tracked like the app's: a ``runs`` row and ``node_executions`` rows, which add to the WAL.
    """
    b.run(b.saver, "sync", track=True)  # first pages of every table and index already allocated
    growth: dict[str, float] = {}
    wal: dict[str, float] = {}
    rows_bytes: dict[str, int] = {}
    last_thread = ""
    for mode in MODES:
        start_tables, _ = _sizes(b)
        per_run_wal: list[int] = []
        for _ in range(runs_per_mode):
            _, wal_before = _sizes(b)
            _, last_thread = b.run(b.saver, mode, track=True)
            if mode == "async":
                _sizes(b)  # the stream returns after the last background put
            per_run_wal.append(_sizes(b)[1] - wal_before)
        growth[mode] = (_sizes(b)[0] - start_tables) / runs_per_mode
        wal[mode] = median(per_run_wal)
        rows_bytes[mode] = _row_bytes(b, last_thread)
    typed, plain = state_size(b, last_thread)
    baseline = f"state {typed / 1024:.1f} kB (JSON {plain / 1024:.1f} kB)"
    out: list[Row] = []
    for mode in MODES:
        stored = max(growth[mode], rows_bytes[mode])
        out.append(
            Row(
                what=f"Bytes/run: {mode}, checkpoint tables",
                measured=f"{kb(stored)} kB (growth {kb(growth[mode])}, rows {kb(rows_bytes[mode])})",
                baseline=baseline,
                ratio=stored / typed,
                target=f"<= {BYTES_TARGET_RATIO:g}x state",
                ok=stored <= BYTES_TARGET_RATIO * typed,
            )
        )
    for mode in MODES:
        out.append(
            Row(
                what=f"Bytes/run: {mode}, WAL (all writes)",
                measured=f"{wal[mode] / 1024:.1f} kB",
                baseline=baseline,
                ratio=wal[mode] / typed,
                target="- (incl. runs, node_executions, FPIs)",
                ok=None,
            )
        )
    return out
