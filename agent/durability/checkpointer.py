"""Opens the process's database and the PostgresSaver over its one pool; setup() once."""

from __future__ import annotations

from collections.abc import Callable

from agent.durability.db import APP_SCHEMA, Database, embedded_url, open_database
from agent.durability.locks import ThreadLock
from agent.durability.tasks import TASKS_SCHEMA
from agent.extract.llm_cache import LLM_CACHE_SCHEMA
from config.settings import Settings


def open_durable(settings: Settings, report: Callable[[str], None]) -> tuple[Database, object]:
    """(database, checkpointer), with every table created. Starts the embedded server if needed."""
    from langgraph.checkpoint.postgres import PostgresSaver

    pg = settings.postgres
    embedded_dir = None
    url = settings.database_url
    if url is None:
        embedded_dir = settings.resolve(pg.embedded_dir)
        if not (embedded_dir / "PG_VERSION").exists():
            report(f"Creating the embedded PostgreSQL server in {embedded_dir} (first run only)...")
        url = embedded_url(embedded_dir)
    db = open_database(
        url, pool_max_size=pg.pool_max_size, connect_timeout=pg.connect_timeout_seconds, embedded_dir=embedded_dir
    )
    saver = PostgresSaver(db.pool)
    # Processes starting at once on an empty database queue here instead of racing on DDL.
    with ThreadLock(db, "daily-task-planner-schema", wait=True):
        saver.setup()
        with db.pool.connection() as conn:
            for ddl in (APP_SCHEMA, TASKS_SCHEMA, LLM_CACHE_SCHEMA):
                conn.execute(ddl, prepare=False)  # several statements: not preparable
    return db, saver
