"""Deleting the checkpoints of old finished runs: ``python main.py cleanup`` and ``retention.days``.

Only runs that can never be resumed again are candidates: status 'completed' or 'abandoned',
not waiting for anything (``waiting_for`` NULL), finished (or, with no finish time, started)
before the cutoff. For each, the thread's checkpoints go through the checkpointer's own
``delete_thread`` and its ``runs``, ``node_executions`` (and ``forks``) rows are deleted.
Tasks, watermarks, the LLM cache and plan files are never touched: they outlive the runs
that made them.

Order matters for a crash halfway: the checkpoints are deleted first, the ``runs`` row last,
in a transaction that holds the row locked throughout. If the process dies in between, the
row survives (its transaction rolls back) and the next cleanup finds and finishes the thread;
the reverse order would leave checkpoints no ``runs`` row points at, which no cleanup finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from agent.durability.db import Database
from agent.durability.dbinfo import APP_TABLES, CHECKPOINT_TABLES, existing_tables, human_bytes, table_sizes
from agent.errors import UsageError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z])\s*$", re.IGNORECASE)
_UNIT = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}

# The candidate condition, used both to list and (again, under lock) to delete: a run that was
# resumed or put up for review in between no longer matches and is left alone.
_CANDIDATE_WHERE = """status IN ('completed', 'abandoned') AND waiting_for IS NULL
      AND coalesce(finished_at, started_at) < %(cutoff)s"""


def duration(text: str, *, units: str = "wdh") -> timedelta | None:
    """'14d', '36h', '2w' (a decimal number is fine: '1.5d'), in the given units; None if it is not one."""
    match = _DURATION.match(text)
    if not match or match.group(2).lower() not in units:
        return None
    return float(match.group(1)) * _UNIT[match.group(2).lower()]


def parse_duration(text: str) -> timedelta:
    """An age for --older-than. Minutes are refused: 'm' could as well mean months."""
    age = duration(text)
    if age is None:
        raise UsageError(
            f"--older-than '{text}' is not a duration. Use a number and a unit: 14d (days), 36h (hours) or 2w (weeks)."
        )
    return age


def format_duration(delta: timedelta) -> str:
    """'14d' for whole days (also for '2w': days read best in a report), else hours: '36h', '1.5h'."""
    hours = delta.total_seconds() / 3600
    if hours and hours % 24 == 0:
        return f"{int(hours // 24)}d"
    return f"{hours:g}h"


@dataclass
class CleanupReport:
    older_than: timedelta
    cutoff: datetime  # runs finished before this (server time) were candidates
    dry_run: bool
    thread_ids: list[str] = field(default_factory=list)  # removed, or that would be with dry_run
    skipped: list[str] = field(default_factory=list)  # candidates another process held: left for next time
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted (would be)
    row_bytes: dict[str, int] = field(default_factory=dict)  # table -> bytes of those rows (pg_column_size)
    sizes_before: dict[str, int] = field(default_factory=dict)  # table -> pg_total_relation_size
    sizes_after: dict[str, int] | None = None  # after the VACUUM; None for a dry run
    vacuumed: bool = False
    vacuum_error: str | None = None

    @property
    def removed(self) -> int:
        return len(self.thread_ids)

    @property
    def deleted_bytes(self) -> int:
        return sum(self.row_bytes.values())

    @property
    def total_before(self) -> int:
        return sum(self.sizes_before.values())

    @property
    def total_after(self) -> int | None:
        return None if self.sizes_after is None else sum(self.sizes_after.values())

    def summary(self) -> str:
        """One line, e.g. for the note main.py prints after a run's automatic cleanup."""
        verb = "would remove" if self.dry_run else "removed"
        line = (
            f"Retention: {verb} {self.removed} finished run(s) older than {format_duration(self.older_than)} "
            f"({self.rows.get('checkpoints', 0)} checkpoints, about {human_bytes(self.deleted_bytes)} of row data)"
        )
        if self.skipped:
            line += f"; {len(self.skipped)} in use were skipped"
        return line + "."


def cleanup(db: Database, saver: Any, older_than: timedelta, *, dry_run: bool, batch_size: int = 100) -> CleanupReport:
    """Delete (or with ``dry_run`` only count) the checkpoints and rows of finished runs older than ``older_than``."""
    if older_than < timedelta(0):
        raise UsageError("The retention age cannot be negative.")
    with db.pool.connection() as conn:
        cutoff = conn.execute(
            "SELECT now() - make_interval(secs => %s) AS cutoff", (older_than.total_seconds(),)
        ).fetchone()["cutoff"]
        candidates = [
            r["thread_id"]
            for r in conn.execute(
                f"SELECT thread_id FROM runs WHERE {_CANDIDATE_WHERE} "
                "ORDER BY coalesce(finished_at, started_at), thread_id",
                {"cutoff": cutoff},
            ).fetchall()
        ]
        sized = existing_tables(conn, CHECKPOINT_TABLES + APP_TABLES)
        report = CleanupReport(older_than, cutoff, dry_run, sizes_before=table_sizes(conn, sized))
        targets = _row_tables(conn)
        if dry_run:
            report.thread_ids = candidates
            _add(report, _measure(conn, candidates, targets))
            return report
    if not candidates:
        report.sizes_after = dict(report.sizes_before)
        return report

    # A dedicated connection for the locking transaction: holding a pooled one while delete_thread
    # takes another from the pool would deadlock a pool of one connection (postgres.pool_max_size: 1).
    with db.connect_dedicated("daily-planner cleanup") as conn:
        for start in range(0, len(candidates), batch_size):
            _delete_batch(conn, saver, candidates[start : start + batch_size], cutoff, targets, report)

    with db.pool.connection() as conn:
        if report.thread_ids:
            # Plain VACUUM marks the dead rows' space reusable (and truncates empty pages at the end
            # of a file); only VACUUM FULL would give the rest back to the OS, under an exclusive lock.
            try:
                tables = sql.SQL(", ").join(map(sql.Identifier, targets))  # the tables rows were deleted from
                conn.execute(sql.SQL("VACUUM {}").format(tables), prepare=False)
                report.vacuumed = True
            except psycopg.Error as exc:  # e.g. not the tables' owner: the deletion itself stands
                report.vacuum_error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report.sizes_after = table_sizes(conn, sized)
    return report


def _delete_batch(
    conn: psycopg.Connection[Any],
    saver: Any,
    batch: list[str],
    cutoff: datetime,
    targets: list[str],
    report: CleanupReport,
) -> None:
    with conn.transaction():
        # Re-check under a row lock: a run resumed or sent to review since the listing no longer
        # matches; SKIP LOCKED passes over a row another transaction is updating right now.
        locked = [
            r["thread_id"]
            for r in conn.execute(
                f"SELECT thread_id FROM runs WHERE thread_id = ANY(%(ids)s) AND {_CANDIDATE_WHERE} "
                "ORDER BY thread_id FOR UPDATE SKIP LOCKED",
                {"ids": batch, "cutoff": cutoff},
            ).fetchall()
        ]
        # The thread's advisory lock (agent.durability.locks.ThreadLock) is what a process executing
        # the thread holds; the transaction-level form shares its keys and ends with this transaction.
        ids = [
            r["t"]
            for r in conn.execute(
                "SELECT t FROM unnest(%s::text[]) AS t WHERE pg_try_advisory_xact_lock(hashtextextended(t, 0))",
                (locked,),
            ).fetchall()
        ]
        taken = set(ids)
        report.skipped.extend(t for t in batch if t not in taken)
        if not ids:
            return
        _add(report, _measure(conn, ids, targets))
        for thread_id in ids:
            saver.delete_thread(thread_id)  # its own pooled, autocommit connection
        for table in targets:
            if table not in CHECKPOINT_TABLES:
                conn.execute(sql.SQL("DELETE FROM {} WHERE thread_id = ANY(%s)").format(sql.Identifier(table)), (ids,))
        report.thread_ids.extend(ids)


def _row_tables(conn: Any) -> list[str]:
    """The tables holding rows of a thread (by its thread_id column), in deletion order.

    Checkpoint tables first and ``runs`` last: a foreign key to runs, should a feature add one,
    then never blocks the runs row's deletion."""
    # Replays (agent.timetravel) record one row per fork of a thread in 'forks', when it exists.
    return [*CHECKPOINT_TABLES, "node_executions", *existing_tables(conn, ("forks",)), "runs"]


def _measure(conn: Any, ids: list[str], tables: list[str]) -> dict[str, tuple[int, int]]:
    """table -> (rows, bytes) the threads ``ids`` hold; bytes are the rows' own data (pg_column_size of
    the whole row, without index entries), what the deletion frees inside the table files."""
    result: dict[str, tuple[int, int]] = {}
    if not ids:
        return result
    query = (
        "SELECT count(*) AS n, coalesce(sum(pg_column_size(t.*)), 0) AS bytes FROM {} AS t WHERE thread_id = ANY(%s)"
    )
    for table in tables:
        row = conn.execute(sql.SQL(query).format(sql.Identifier(table)), (ids,)).fetchone()
        result[table] = (int(row["n"]), int(row["bytes"]))
    return result


def _add(report: CleanupReport, measured: dict[str, tuple[int, int]]) -> None:
    for table, (rows, size) in measured.items():
        report.rows[table] = report.rows.get(table, 0) + rows
        report.row_bytes[table] = report.row_bytes.get(table, 0) + size
