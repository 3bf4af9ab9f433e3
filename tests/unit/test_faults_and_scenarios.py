from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError, SourceError, TransientSourceError, UsageError
from mocks.faults import Fault, FaultInjector
from mocks.scenarios import available, load_scenario

SHIPPED = {
    "default",
    "slack_collection_failure",
    "email_collection_failure",
    "task_extraction_failure",
    "planning_failure",
    "flaky_slack",
    "crash_during_extraction",
    "empty_day",
    "heavy_day",
    "malformed_payloads",
    "calendar_collection_failure",
}


class Client:
    def __init__(self) -> None:
        self.calls = 0

    def fetch(self) -> str:
        self.calls += 1
        return "ok"


def test_every_shipped_scenario_loads_with_a_description() -> None:
    assert set(available()) == SHIPPED
    for name in available():
        scenario = load_scenario(name)
        assert scenario.name == name and len(scenario.description) > 20


def test_unknown_scenario_lists_valid_names() -> None:
    with pytest.raises(UsageError) as err:
        load_scenario("nope")
    assert "Unknown scenario 'nope'" in str(err.value) and "flaky_slack" in str(err.value)


def test_scenario_by_path_and_invalid_file(tmp_path: Path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text("description: mine\nfixtures: default\nfaults:\n  - {node: plan_day, kind: error}\n")
    assert load_scenario(str(good)).faults[0].node == "plan_day"
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: bad\nfixtures: default\nfaults:\n  - {node: cook_dinner, kind: error}\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(str(bad))
    assert "faults.0.node" in str(err.value)


def test_permanent_error_fails_every_call_without_reaching_the_client() -> None:
    client = Client()
    wrapped = FaultInjector([Fault(node="collect_slack", kind="error", message="down")], attempt=1).wrap(
        "collect_slack", client
    )
    for _ in range(3):
        with pytest.raises(SourceError, match="down"):
            wrapped.fetch()
    assert client.calls == 0


def test_transient_error_fails_the_first_n_calls_then_succeeds() -> None:
    client = Client()
    wrapped = FaultInjector([Fault(node="collect_slack", kind="transient", times=2)], attempt=1).wrap(
        "collect_slack", client
    )
    for _ in range(2):
        with pytest.raises(TransientSourceError):
            wrapped.fetch()
    assert wrapped.fetch() == "ok" and client.calls == 1


def test_faults_apply_only_to_their_node_and_attempts() -> None:
    faults = [Fault(node="extract_tasks", kind="error", on_attempts=(1,))]
    client = Client()
    assert FaultInjector(faults, attempt=1).wrap("collect_email", client) is client
    assert FaultInjector(faults, attempt=2).wrap("extract_tasks", client) is client
    with pytest.raises(SourceError):
        FaultInjector(faults, attempt=1).wrap("extract_tasks", lambda: 1)()
