"""Session-level advisory locks (one per thread, and a few named ones), on dedicated connections.

A session lock taken on a pooled connection would stay held after the connection went
back to the pool, so each execution opens its own connection and closes it when done.
If the process dies, the server drops the connection and frees the lock with it; that is
how a ``running`` row with no lock holder is recognised as a crashed run.
"""

from __future__ import annotations

import os
import socket
import time
from types import TracebackType
from typing import Any

import psycopg

from agent.durability.db import Database

APP_NAME_PREFIX = "daily-planner"

_HOLDER_SQL = """
SELECT a.application_name, a.pid AS backend_pid, a.client_addr::text AS client_addr
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid = ((hashtextextended(%(key)s, 0) >> 32) & 4294967295)::oid
  AND l.objid = (hashtextextended(%(key)s, 0) & 4294967295)::oid
LIMIT 1
"""


def owner_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ThreadLock:
    """``with ThreadLock(db, thread_id) as lock: if lock.acquired: ...``"""

    def __init__(self, db: Database, thread_id: str, *, wait: bool = False) -> None:
        self.db = db
        self.thread_id = thread_id
        self.wait = wait  # block until the holder finishes instead of giving up at once
        self.acquired = False
        self._conn: psycopg.Connection[dict[str, Any]] | None = None

    def __enter__(self) -> ThreadLock:
        # The application name tells a second process who holds the lock.
        self._conn = self.db.connect_dedicated(f"{APP_NAME_PREFIX} {owner_label()}")
        self.acquired = self._try()
        # Poll rather than block in pg_advisory_lock: a blocked statement holds a snapshot
        # that another process's CREATE INDEX CONCURRENTLY (first start) would wait on.
        while self.wait and not self.acquired:
            time.sleep(0.1)
            self.acquired = self._try()
        return self

    def _try(self) -> bool:
        assert self._conn is not None
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS ok", (self.thread_id,)
        ).fetchone()
        return bool(row and row["ok"])

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def release(self) -> None:
        if self._conn is not None:
            # Closing the session frees the lock even if the unlock call itself fails.
            try:
                if self.acquired and not self._conn.closed:
                    self._conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (self.thread_id,))
            finally:
                self._conn.close()
                self._conn = None
                self.acquired = False


def lock_holder(db: Database, thread_id: str) -> str | None:
    """Who holds the thread's lock ("host:pid", from its connection), or None when free."""
    with db.pool.connection() as conn:
        row = conn.execute(_HOLDER_SQL, {"key": thread_id}).fetchone()
    if not row:
        return None
    name = row["application_name"] or ""
    if name.startswith(APP_NAME_PREFIX + " "):
        return name[len(APP_NAME_PREFIX) + 1 :]
    return f"database session {row['backend_pid']}"
