"""Tracking-server outages during a real run, with the server process really killed.

Each test starts its own `mlflow server` (tests/conftest.py) so that killing it touches no
other test. MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 and a short MLFLOW_HTTP_REQUEST_TIMEOUT only
shorten MLflow's own retry schedule (7 retries, up to ~4 minutes per request by default); the
trainer's sender keeps every point and retries on its own either way.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import MlflowServer
from tests.training.conftest import finish, result_of, start_trainer

pytestmark = [pytest.mark.slow, pytest.mark.mlflow_server]
FAST_FAILING_CLIENT = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}


@pytest.fixture
def own_server(tmp_path: Path):
    server = MlflowServer(tmp_path / "server").start()
    yield server
    server.stop()


def wait_for_ledger_lines(ledger: Path, count: int, process) -> None:
    deadline = time.monotonic() + 240
    while not (ledger.exists() and ledger.read_text().count("\n") >= count):
        assert process.poll() is None, "the trainer ended before the outage started"
        assert time.monotonic() < deadline
        time.sleep(0.1)


def ledger_points(ledger: Path) -> set[tuple[str, int]]:
    return {
        (key, row["step"])
        for row in map(json.loads, ledger.read_text().splitlines())
        for key in row["metrics"]
    }


def test_a_server_killed_and_restarted_mid_run_loses_no_point(
    tmp_path: Path, own_server: MlflowServer
) -> None:
    process = start_trainer(
        tmp_path,
        own_server.uri,
        FAST_FAILING_CLIENT,
        timesteps=1600,
        log_interval="step",
        register_model="outage",
        metrics_flush_timeout=120,
    )
    ledger = tmp_path / "out" / "metrics.jsonl"
    wait_for_ledger_lines(ledger, 2, process)
    own_server.kill()
    logged_during_outage = ledger.read_text().count("\n")
    time.sleep(2.0)
    own_server.start()  # same port, same store
    code, out, err = finish(process)
    assert code == 0, err[-2000:]
    assert "MLflow is unreachable; keeping metrics and retrying" in err  # the run really saw the outage
    result = result_of(out)
    client = MlflowClient(own_server.uri)
    in_mlflow = {
        (key, metric.step)
        for key in client.get_run(result["run_id"]).data.metrics
        for metric in client.get_metric_history(result["run_id"], key)
    }
    expected = ledger_points(ledger)
    assert len({step for _, step in expected}) == 1600 // 8 > logged_during_outage
    assert expected == in_mlflow
    assert result["unsent_metric_points"] == 0 and result["model_version"] == "1"


def test_a_server_gone_for_good_costs_no_training_and_the_loss_is_counted(
    tmp_path: Path, own_server: MlflowServer
) -> None:
    process = start_trainer(
        tmp_path,
        own_server.uri,
        FAST_FAILING_CLIENT,
        timesteps=1600,
        log_interval="step",
        register_model="never",
        metrics_flush_timeout=2,
    )
    ledger = tmp_path / "out" / "metrics.jsonl"
    wait_for_ledger_lines(ledger, 1, process)
    own_server.kill()
    code, out, err = finish(process)
    assert code == 1
    assert (tmp_path / "out" / "skrl" / "checkpoints" / "agent_1600.pt").is_file()  # training ran to the end
    assert max(step for _, step in ledger_points(ledger)) == 1600
    warning = re.search(
        r"WARNING training.rl: (\d+) of (\d+) metric points could not be sent to MLflow at "
        + re.escape(own_server.uri),
        err,
    )
    assert warning, err[-2000:]
    unsent, logged = int(warning.group(1)), int(warning.group(2))
    assert 0 < unsent <= logged == len(ledger_points(ledger))
    assert (
        err.rstrip()
        .splitlines()[-1]
        .startswith(f"error: training finished, but could not upload the checkpoints at {own_server.uri}")
    )
    result = result_of(out)
    assert (result["status"], result["unsent_metric_points"], result["model_version"]) == (
        "failed",
        unsent,
        None,
    )
