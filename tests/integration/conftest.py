from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.conftest import PLAN_DATE, REPO, Home, comparable

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def clean_default_plan(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The plan a clean `default` run makes for PLAN_DATE: what every resumed run must end with."""
    name = f"planner_ref_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    path: Path = tmp_path_factory.mktemp("reference")
    shutil.copytree(REPO / "config", path / "config", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    ref = Home(path=path, database_url=make_conninfo(pg_server, dbname=name))
    done = ref.run("--scenario", "default", "--date", PLAN_DATE)
    assert done.returncode == 0, done.stderr
    yield comparable(ref.plan_json())
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
