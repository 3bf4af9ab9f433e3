"""Plan files under ``plans/``: written atomically, read back by ``plan`` and on reruns."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _atomic_write(path: Path, text: str) -> None:
    # Write beside the target and rename: a reader never sees half a plan, and a crash
    # mid-write leaves the previous file intact.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PlanFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def paths(self, plan_date: str) -> tuple[Path, Path]:
        return self.directory / f"{plan_date}.md", self.directory / f"{plan_date}.json"

    def write(self, plan_date: str, markdown: str, data: dict[str, Any]) -> dict[str, str]:
        md_path, json_path = self.paths(plan_date)
        _atomic_write(json_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        _atomic_write(md_path, markdown)
        return {"markdown": str(md_path), "json": str(json_path)}

    def read_markdown(self, plan_date: str) -> str | None:
        md_path, _ = self.paths(plan_date)
        return md_path.read_text(encoding="utf-8") if md_path.exists() else None
