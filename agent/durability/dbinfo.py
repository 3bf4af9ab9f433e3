"""What is in the database and how big it is: the data behind ``python main.py db info``.

Also the table lists and size helpers that ``retention`` reports its before/after sizes with,
so both commands name and measure the same tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from agent.durability.db import Database, mask_url

# Written by langgraph-checkpoint-postgres (its checkpoint_migrations table is a few rows: left out).
CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
# The app's own tables; 'forks' exists only once the fork feature has created it.
APP_TABLES = ("runs", "node_executions", "watermarks", "tasks", "llm_extraction_cache", "forks")
RUN_STATUSES = ("running", "failed", "interrupted", "completed", "abandoned")


def masked_location(url: str) -> str:
    """``mask_url`` plus the ``password=`` forms it does not cover: a libpq key/value conninfo
    string (what DATABASE_URL may hold, and what the test suite passes) and a ``?password=`` parameter."""
    return re.sub(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", r"\1***", mask_url(url))


def human_bytes(n: int | None) -> str:
    """Like pg_size_pretty: 1024-based, one decimal above bytes."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def existing_tables(conn: Any, names: tuple[str, ...]) -> list[str]:
    """The tables of ``names`` that exist (on the search path), in the given order."""
    rows = conn.execute(
        "SELECT n AS name FROM unnest(%s::text[]) WITH ORDINALITY AS t(n, i) WHERE to_regclass(n) IS NOT NULL "
        "ORDER BY i",
        (list(names),),
    ).fetchall()
    return [r["name"] for r in rows]


def table_sizes(conn: Any, names: list[str]) -> dict[str, int]:
    """Total on-disk size of each table: heap, indexes and TOAST (pg_total_relation_size)."""
    if not names:
        return {}
    rows = conn.execute(
        "SELECT n AS name, pg_total_relation_size(to_regclass(n)) AS bytes FROM unnest(%s::text[]) AS n",
        (names,),
    ).fetchall()
    found = {r["name"]: int(r["bytes"]) for r in rows}
    return {name: found[name] for name in names}


@dataclass(frozen=True)
class TableInfo:
    name: str
    group: str  # 'checkpoint' or 'app'
    rows: int
    total_bytes: int


@dataclass(frozen=True)
class DbInfo:
    location: str  # the URL with any password masked
    embedded_dir: Path | None
    database: str
    server_version: str
    database_bytes: int
    tables: list[TableInfo]
    runs_by_status: dict[str, int]  # every status, zeros included
    waiting: dict[str, int] = field(default_factory=dict)  # waiting_for value -> runs, e.g. {'review': 1}
    checkpoint_threads: int = 0
    orphan_threads: int = 0  # threads with checkpoints but no runs row: cleanup cannot see them

    @property
    def waiting_for_review(self) -> int:
        return self.waiting.get("review", 0)

    def group_bytes(self, group: str) -> int:
        return sum(t.total_bytes for t in self.tables if t.group == group)


def db_info(db: Database) -> DbInfo:
    """Read-only: server, sizes and row counts of the checkpoint and app tables, runs by status."""
    with db.pool.connection() as conn:
        head = conn.execute(
            "SELECT current_database() AS database, current_setting('server_version') AS version, "
            "pg_database_size(current_database()) AS bytes"
        ).fetchone()
        tables: list[TableInfo] = []
        for group, names in (("checkpoint", CHECKPOINT_TABLES), ("app", APP_TABLES)):
            present = existing_tables(conn, names)
            sizes = table_sizes(conn, present)
            for name in present:
                # Exact counts: this is a diagnostic command, and reltuples is -1 until the first ANALYZE.
                count = conn.execute(sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(name))).fetchone()
                tables.append(TableInfo(name, group, int(count["n"]), sizes[name]))
        by_status = dict.fromkeys(RUN_STATUSES, 0)
        for row in conn.execute("SELECT status, count(*) AS n FROM runs GROUP BY status").fetchall():
            by_status[row["status"]] = int(row["n"])
        waiting = {
            r["waiting_for"]: int(r["n"])
            for r in conn.execute(
                "SELECT waiting_for, count(*) AS n FROM runs WHERE waiting_for IS NOT NULL GROUP BY waiting_for"
            ).fetchall()
        }
        threads = conn.execute(
            """SELECT count(*) AS total,
                      count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.thread_id = c.thread_id))
                          AS orphans
               FROM (SELECT DISTINCT thread_id FROM checkpoints) AS c"""
        ).fetchone()
    return DbInfo(
        location=masked_location(db.url),
        embedded_dir=db.embedded_dir,
        database=head["database"],
        server_version=head["version"],
        database_bytes=int(head["bytes"]),
        tables=tables,
        runs_by_status=by_status,
        waiting=waiting,
        checkpoint_threads=int(threads["total"]),
        orphan_threads=int(threads["orphans"]),
    )
