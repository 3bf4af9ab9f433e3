"""The ``tasks`` table: every task ever planned, with its status across days."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from agent.durability.db import Database
from agent.errors import UsageError
from agent.state import ClosedTask, Task

TASKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    account        text NOT NULL,  -- 'mock' or 'live'
    id             text NOT NULL,  -- stable: derived from the source message ids
    task           jsonb NOT NULL, -- the Task as last planned
    threads        jsonb NOT NULL DEFAULT '[]',  -- where a reply from you closes it
    status         text NOT NULL CHECK (status IN ('open', 'done', 'snoozed', 'dropped')),
    snoozed_until  date,
    first_planned  date NOT NULL,
    last_planned   date NOT NULL,
    closed_reason  text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS tasks_open_idx ON tasks (account, first_planned) WHERE status IN ('open', 'snoozed');
"""


class TaskStore:
    def __init__(self, db: Database, account: str) -> None:
        self.db = db
        self.account = account

    def known(self, ids: list[str]) -> list[dict[str, Any]]:
        """Rows for these ids, plus every open or snoozed task: what reconcile() needs."""
        with self.db.pool.connection() as conn:
            return conn.execute(
                """SELECT id, task, threads, status, snoozed_until, first_planned FROM tasks
                   WHERE account = %s AND (id = ANY(%s) OR status IN ('open', 'snoozed'))
                   ORDER BY first_planned, id""",
                (self.account, ids),
            ).fetchall()

    def save_plan(self, conn: Any, plan_date: date, state: dict[str, Any]) -> None:
        """Record a written plan: its tasks open (first_planned kept), closed ones done, review edits kept."""
        threads: dict[str, list] = state.get("task_threads", {})
        closed: list[ClosedTask] = state.get("closed", [])
        planned: list[Task] = state["plan"]["tasks"]
        by_id = {t["id"]: t for t in state.get("tasks", [])}
        # Tasks the user moved to tomorrow or dropped in review are recorded too, so they are not lost
        # (or carried) by mistake.
        later = [by_id[i] for i in [*state.get("deferred", []), *state.get("dropped", [])] if i in by_id]
        for task in [*planned, *later]:
            conn.execute(
                """INSERT INTO tasks (account, id, task, threads, status, first_planned, last_planned)
                   VALUES (%s, %s, %s, %s, 'open', %s, %s)
                   ON CONFLICT (account, id) DO UPDATE SET task = EXCLUDED.task, threads = EXCLUDED.threads,
                       last_planned = GREATEST(tasks.last_planned, EXCLUDED.last_planned),
                       first_planned = LEAST(tasks.first_planned, EXCLUDED.first_planned),
                       status = CASE WHEN tasks.status = 'snoozed' THEN 'open' ELSE tasks.status END,
                       snoozed_until = NULL, updated_at = now()""",
                (
                    self.account,
                    task["id"],
                    Jsonb(_stored(task)),
                    Jsonb(threads.get(task["id"], [])),
                    plan_date,
                    plan_date,
                ),
            )
        tomorrow = date.fromordinal(plan_date.toordinal() + 1)
        for task_id in state.get("deferred", []):
            self._set(conn, task_id, "snoozed", until=tomorrow, reason="moved to tomorrow in review")
        for task_id in state.get("dropped", []):
            self._set(conn, task_id, "dropped", reason="dropped in review")
        for item in closed:
            conn.execute(
                """UPDATE tasks SET status = 'done', closed_reason = %s, updated_at = now()
                   WHERE account = %s AND id = %s""",
                (item["reason"], self.account, item["task_id"]),
            )

    # --- the `tasks`, `done`, `snooze`, `drop` commands -----------------------------

    def open_tasks(self) -> list[dict[str, Any]]:
        with self.db.pool.connection() as conn:
            return conn.execute(
                """SELECT id, task, status, snoozed_until, first_planned, last_planned FROM tasks
                   WHERE account = %s AND status IN ('open', 'snoozed')
                   ORDER BY task->>'priority', task->>'due' NULLS LAST, id""",
                (self.account,),
            ).fetchall()

    def resolve(self, prefix: str) -> dict[str, Any]:
        with self.db.pool.connection() as conn:
            rows = conn.execute(
                "SELECT id, task, status FROM tasks WHERE account = %s AND id LIKE %s ORDER BY id LIMIT 3",
                (self.account, prefix.replace("%", "").replace("_", r"\_") + "%"),
            ).fetchall()
        if not rows or not prefix:
            raise UsageError(f"No task has an id starting with '{prefix}'. 'python main.py tasks' lists open tasks.")
        exact = [r for r in rows if r["id"] == prefix]
        if len(rows) > 1 and not exact:
            ids = ", ".join(r["id"] for r in rows[:2])
            raise UsageError(f"'{prefix}' matches several tasks ({ids}, ...). Give more of the id.")
        return exact[0] if exact else rows[0]

    def set_status(self, task_id: str, status: str, *, until: date | None = None, reason: str | None = None) -> None:
        with self.db.pool.connection() as conn:
            self._set(conn, task_id, status, until=until, reason=reason)

    def _set(
        self, conn: Any, task_id: str, status: str, *, until: date | None = None, reason: str | None = None
    ) -> None:
        conn.execute(
            """UPDATE tasks SET status = %s, snoozed_until = %s, closed_reason = %s, updated_at = now()
               WHERE account = %s AND id = %s""",
            (status, until, reason, self.account, task_id),
        )


def _stored(task: Task) -> dict[str, Any]:
    # Scheduling and carry markers belong to one day's plan, not to the task.
    return {k: v for k, v in task.items() if k not in ("scheduled", "carried_from", "age_days")}
