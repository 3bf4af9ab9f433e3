"""With no DATABASE_URL, main.py starts an embedded server in .data/postgres and reuses it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PLAN_DATE, REPO, said


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XDG_RUNTIME_DIR")}
    env["PLANNER_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args], cwd=home, env=env, capture_output=True, text=True, timeout=180
    )


def test_embedded_server_from_an_empty_directory(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    home.mkdir()
    try:
        first = _run(home, "--date", PLAN_DATE)
        assert first.returncode == 0, first.stderr
        assert "Creating the embedded PostgreSQL server" in said(first)
        assert (home / ".data" / "postgres" / "PG_VERSION").exists()
        assert (home / "plans" / f"{PLAN_DATE}.json").exists()
        again = _run(home, "--date", PLAN_DATE)
        assert again.returncode == 0, again.stderr
        assert "Creating the embedded" not in said(again)
        assert "already exists" in said(again)
    finally:
        stopped = _run(home, "db", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not (home / ".data" / "postgres" / "postmaster.pid").exists()
