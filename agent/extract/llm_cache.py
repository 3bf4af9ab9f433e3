"""What the model extracted from each message, cached in PostgreSQL.

One row per message, keyed by sha256 over (model, prompt version, the user's part of the prompt,
the message exactly as rendered for the model). Planning the same day again therefore calls the
model only for messages it has not seen; an edited Slack message renders differently and is asked
again. A row holds the tasks the model returned that cite the message (possibly none: "no task here"
is worth caching too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["LLM_CACHE_SCHEMA", "LlmCache", "cache_key"]

LLM_CACHE_SCHEMA = """
-- Per message, the tasks an LLM extracted from it; see agent/extract/llm_cache.py.
CREATE TABLE IF NOT EXISTS llm_extraction_cache (
    key             text PRIMARY KEY,  -- sha256 hex of model, prompt version, user and rendered message
    model           text NOT NULL,
    prompt_version  text NOT NULL,
    message_id      text NOT NULL,
    tasks           jsonb NOT NULL,    -- list of extracted tasks citing this message
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS llm_extraction_cache_created_idx ON llm_extraction_cache (created_at);
"""


def cache_key(model: str, prompt_version: str, context: str, rendered_message: str) -> str:
    """sha256 hex; the parts are length-prefixed so no two different tuples hash the same text."""
    h = hashlib.sha256()
    for part in (model, prompt_version, context, rendered_message):
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class LlmCache:
    """Reads and writes ``llm_extraction_cache`` through the process's pool (autocommit connections)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def get_many(self, keys: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """key -> cached tasks, for the keys that are cached."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT key, tasks FROM llm_extraction_cache WHERE key = ANY(%s)", (wanted,), prepare=False
            ).fetchall()
        return {_col(r, "key", 0): _col(r, "tasks", 1) for r in rows}

    def put_many(
        self, model: str, prompt_version: str, entries: Mapping[str, tuple[str, list[dict[str, Any]]]]
    ) -> None:
        """Store ``key -> (message id, tasks)``. A key written twice (two processes, a replay) keeps the latest."""
        if not entries:
            return
        params = [(key, model, prompt_version, mid, Jsonb(tasks)) for key, (mid, tasks) in entries.items()]
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO llm_extraction_cache (key, model, prompt_version, message_id, tasks) "
                "VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET tasks = EXCLUDED.tasks, created_at = now()",
                params,
            )


def _col(row: Any, name: str, index: int) -> Any:
    # The app's pool returns dict rows; a plain tuple-row pool works too.
    return row[name] if isinstance(row, Mapping) else row[index]
