"""Mock scenarios: a YAML file naming a fixture set and a list of faults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from agent.errors import ConfigError, UsageError
from mocks.faults import Fault

MOCKS_DIR = Path(__file__).resolve().parent
SCENARIOS_DIR = MOCKS_DIR / "scenarios"
FIXTURES_DIR = MOCKS_DIR / "fixtures"


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    fixtures: str  # a directory under mocks/fixtures, a path, or "generated:<name>"
    faults: tuple[Fault, ...] = ()
    # False keeps the fixtures' stored dates instead of moving the newest message to just before
    # the run's time: consecutive --date runs then see each message exactly once.
    shift_timestamps: bool = True


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    description: str
    fixtures: str
    faults: tuple[Fault, ...]
    shift_timestamps: bool = True


def available() -> list[str]:
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml"))


def load_scenario(name_or_path: str) -> Scenario:
    """A shipped scenario by name, or any scenario file by path."""
    path = Path(name_or_path).expanduser()
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = SCENARIOS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise UsageError(
            f"Unknown scenario '{name_or_path}'. Valid scenarios: {', '.join(available())}; or give the path "
            "of a scenario YAML file. 'python main.py scenarios' describes each one."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"Scenario file {path} is not valid YAML: {exc}. Fix its syntax and run again.") from None
    try:
        parsed = _ScenarioFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"key '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"Scenario file {path} is invalid: {problems}. Fix it and run again.") from None
    fixtures = parsed.fixtures
    if not fixtures.startswith("generated:"):
        fixture_dir = Path(fixtures) if Path(fixtures).is_absolute() else (path.parent / fixtures)
        if not fixture_dir.is_dir():
            fixture_dir = FIXTURES_DIR / fixtures
        if not fixture_dir.is_dir():
            raise ConfigError(f"Scenario file {path}: fixtures directory '{fixtures}' does not exist.")
        fixtures = str(fixture_dir)
    name = path.stem if path.parent == SCENARIOS_DIR else str(path)
    return Scenario(
        name=name,
        path=path,
        description=parsed.description,
        fixtures=fixtures,
        faults=parsed.faults,
        shift_timestamps=parsed.shift_timestamps,
    )
