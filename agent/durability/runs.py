"""The ``runs`` table: one row per run, its status transitions, and finding unfinished runs.

Nothing in the checkpoint tables says whether a thread finished, failed or was killed;
this table does, and its partial index keeps startup recovery fast however many runs
accumulate.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import psycopg

from agent.durability.db import Database
from agent.errors import UsageError

THREAD_PREFIX = "daily-task-planner-agent-"
UNFINISHED = ("running", "failed", "interrupted")
# The startup query. Its WHERE matches the partial index runs_unfinished_idx exactly.
UNFINISHED_SQL = """SELECT * FROM runs
    WHERE status IN ('running', 'failed', 'interrupted')
      AND started_at > now() - make_interval(secs => %(secs)s)
      AND waiting_for IS NULL
    ORDER BY started_at"""


def new_thread_id(now: datetime) -> str:
    return f"{THREAD_PREFIX}{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


class RunStore:
    def __init__(self, db: Database, pid: int) -> None:
        self.db = db
        self.pid = pid
        self.host = socket.gethostname()

    def _one(self, sql: str, params: dict[str, Any]) -> dict[str, Any] | None:
        with self.db.pool.connection() as conn:
            return conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.db.pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    # --- transitions ------------------------------------------------------------

    def create(
        self, thread_id: str, plan_date: date, scenario: str, *, as_of: datetime, since: datetime, review: bool = False
    ) -> None:
        with self.db.pool.connection() as conn:
            conn.execute(
                """INSERT INTO runs (thread_id, plan_date, scenario, status, attempts, owner_host, owner_pid,
                                     as_of, window_start, review)
                   VALUES (%s, %s, %s, 'running', 1, %s, %s, %s, %s, %s)""",
                (thread_id, plan_date, scenario, self.host, self.pid, as_of, since, review),
            )

    def wait_for_review(self, thread_id: str) -> None:
        """Paused at the review interrupt: never auto-resumed, picked up by 'python main.py review'."""
        with self.db.pool.connection() as conn:
            conn.execute(
                """UPDATE runs SET status = 'interrupted', waiting_for = 'review', updated_at = now()
                   WHERE thread_id = %s""",
                (thread_id,),
            )

    def continue_review(self, thread_id: str) -> dict[str, Any]:
        """This process takes the reviewed run over; not a new attempt: nothing failed."""
        row = self._one(
            """UPDATE runs SET status = 'running', waiting_for = NULL, owner_host = %(host)s, owner_pid = %(pid)s,
                      updated_at = now()
               WHERE thread_id = %(t)s AND waiting_for = 'review' RETURNING *""",
            {"t": thread_id, "host": self.host, "pid": self.pid},
        )
        if row is None:
            raise UsageError(f"Run {thread_id} is not waiting for review (any more).")
        return row

    def waiting_reviews(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM runs WHERE waiting_for = 'review' ORDER BY started_at DESC", {})

    def start_attempt(self, thread_id: str, scenario: str) -> dict[str, Any]:
        """Mark a resumed run as running again under this process; returns the updated row."""
        row = self._one(
            """UPDATE runs SET status = 'running', attempts = attempts + 1, scenario = %(scenario)s,
                      owner_host = %(host)s, owner_pid = %(pid)s, updated_at = now(), finished_at = NULL
               WHERE thread_id = %(thread_id)s RETURNING *""",
            {"thread_id": thread_id, "scenario": scenario, "host": self.host, "pid": self.pid},
        )
        assert row is not None, thread_id
        return row

    def finish(self, thread_id: str, status: str, *, error: str | None = None, node: str | None = None) -> None:
        finished = status in ("completed", "abandoned")
        with self.db.pool.connection() as conn:
            conn.execute(
                """UPDATE runs SET status = %s, last_error = %s, failed_node = %s, updated_at = now(),
                          finished_at = CASE WHEN %s THEN now() ELSE NULL END
                   WHERE thread_id = %s""",
                (status, error, node, finished, thread_id),
            )

    def complete(
        self, thread_id: str, *, account: str, sources: tuple[str, ...], also: Callable[[Any], None] | None = None
    ) -> None:
        """Mark the run completed and advance its sources' watermarks (and run ``also``), in one transaction."""
        with self.db.pool.connection() as conn, conn.transaction():
            if also is not None:
                also(conn)
            row = conn.execute(
                """UPDATE runs SET status = 'completed', last_error = NULL, failed_node = NULL, waiting_for = NULL,
                          updated_at = now(), finished_at = now()
                   WHERE thread_id = %s RETURNING plan_date, as_of""",
                (thread_id,),
            ).fetchone()
            for source in sources:
                conn.execute(
                    """INSERT INTO watermarks (account, source, plan_date, planned_until, thread_id)
                       VALUES (%s, %s, %s, %s, %s)
                       ON CONFLICT (account, source, plan_date) DO UPDATE
                       SET planned_until = GREATEST(watermarks.planned_until, EXCLUDED.planned_until),
                           thread_id = EXCLUDED.thread_id, updated_at = now()""",
                    (account, source, row["plan_date"], row["as_of"], thread_id),
                )

    def watermarks(self, account: str, before: date) -> dict[str, datetime]:
        """Per source, how far messages were planned by runs for days before ``before``."""
        rows = self._all(
            """SELECT source, max(planned_until) AS until FROM watermarks
               WHERE account = %(a)s AND plan_date < %(d)s GROUP BY source""",
            {"a": account, "d": before},
        )
        return {r["source"]: r["until"] for r in rows}

    def mark_interrupted(self, thread_id: str, node: str | None, reason: str) -> None:
        """Called from a signal handler: uses its own connection, as the pool may be mid-query."""
        with psycopg.connect(self.db.url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                """UPDATE runs SET status = 'interrupted', last_error = %s, failed_node = %s, updated_at = now()
                   WHERE thread_id = %s AND status = 'running'""",
                (reason, node, thread_id),
            )

    # --- queries ------------------------------------------------------------------

    def get(self, thread_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM runs WHERE thread_id = %(t)s", {"t": thread_id})

    def resolve(self, prefix: str) -> dict[str, Any]:
        """The run whose thread id is or starts with ``prefix``; UsageError when none or several."""
        rows = self._all(
            "SELECT * FROM runs WHERE thread_id LIKE %(p)s ORDER BY started_at LIMIT 3",
            {"p": prefix.replace("%", r"\%").replace("_", r"\_") + "%"},
        )
        exact = [r for r in rows if r["thread_id"] == prefix]
        if exact:
            return exact[0]
        if not rows:
            raise UsageError(f"No run has a thread id starting with '{prefix}'. 'python main.py status' lists runs.")
        if len(rows) > 1:
            raise UsageError(
                f"'{prefix}' matches several runs ({', '.join(r['thread_id'] for r in rows[:2])}, ...). "
                "Give more of the thread id."
            )
        return rows[0]

    def unfinished(self, max_age_hours: float) -> list[dict[str, Any]]:
        """Unfinished runs started within the window, oldest first (served by runs_unfinished_idx)."""
        return self._all(UNFINISHED_SQL, {"secs": max_age_hours * 3600})

    def count_stale(self, max_age_hours: float) -> int:
        row = self._one(
            """SELECT count(*) AS n FROM runs
               WHERE status IN ('running', 'failed', 'interrupted')
                 AND started_at <= now() - make_interval(secs => %(secs)s)""",
            {"secs": max_age_hours * 3600},
        )
        return int(row["n"]) if row else 0

    def completed_for(self, plan_date: date) -> dict[str, Any] | None:
        return self._one(
            """SELECT * FROM runs WHERE plan_date = %(d)s AND status = 'completed'
               ORDER BY finished_at DESC LIMIT 1""",
            {"d": plan_date},
        )

    def recent(self, limit: int) -> list[dict[str, Any]]:
        return self._all(
            "SELECT *, now() - started_at AS age FROM runs ORDER BY started_at DESC LIMIT %(n)s", {"n": limit}
        )

    # --- node executions ----------------------------------------------------------

    def node_started(self, thread_id: str, node: str, attempt: int) -> int:
        row = (
            self.db.tracking()
            .execute(
                """INSERT INTO node_executions (thread_id, node, attempt, pid)
                   VALUES (%(t)s, %(n)s, %(a)s, %(p)s) RETURNING id""",
                {"t": thread_id, "n": node, "a": attempt, "p": self.pid},
            )
            .fetchone()
        )
        assert row is not None
        return int(row["id"])

    def node_finished(self, execution_id: int, outcome: str) -> None:
        self.db.tracking().execute(
            "UPDATE node_executions SET outcome = %s WHERE id = %s", (outcome[:500], execution_id)
        )

    def node_executions(self, thread_id: str) -> list[dict[str, Any]]:
        return self._all(
            "SELECT node, attempt, outcome, started_at FROM node_executions WHERE thread_id = %(t)s ORDER BY id",
            {"t": thread_id},
        )
