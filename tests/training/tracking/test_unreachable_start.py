"""A tracking server that does not answer when training starts (issue 15, item 10): training starts anyway.

Real servers and real ports: nothing listens on the port at start; in one test a real `mlflow server` is
started there later, in the other never. MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 only shortens MLflow's own
retry schedule; the trainer keeps every point either way.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import MlflowServer, free_port
from tests.training.conftest import finish, result_of, start_trainer, wait_until_training
from tests.training.tracking.test_sender import FAST_FAILING_CLIENT, ledger_points

pytestmark = [pytest.mark.slow, pytest.mark.mlflow_server]


def _one_warning(err: str, uri: str, ledger: Path) -> None:
    assert "Traceback" not in err
    warnings = [line for line in err.splitlines() if "is unreachable" in line]
    assert warnings == [
        f"WARNING training.rl: MLflow at {uri} is unreachable (ConnectionRefusedError: [Errno 111] Connection "
        f"refused); training goes on, every metric is kept in {ledger} and sent once it answers"
    ]


def test_a_server_that_never_answers_costs_no_training_and_every_point_is_kept(tmp_path: Path) -> None:
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there, start to end
    process = start_trainer(
        tmp_path, uri, FAST_FAILING_CLIENT, timesteps=320, log_interval="step", metrics_flush_timeout=2
    )
    code, out, err = finish(process)
    ledger = tmp_path / "out" / "metrics.jsonl"
    _one_warning(err, uri, ledger)
    assert code == 1
    assert (tmp_path / "out" / "skrl" / "checkpoints" / "agent_320.pt").is_file()  # training ran to the end
    points = ledger_points(ledger)
    assert max(step for _, step in points) == 320
    result = result_of(out)
    assert (result["status"], result["run_id"], result["model_version"]) == ("failed", None, None)
    assert result["unsent_metric_points"] == len(points)  # every point reported as unsent
    assert f"{len(points)} of {len(points)} metric points could not be sent to MLflow at {uri}" in err
    last = err.rstrip().splitlines()[-1]
    assert last.startswith(f"error: training finished, but MLflow at {uri} never answered (")
    assert last.endswith(f"every logged point is kept in {ledger}; the checkpoint is at "
                         f"{tmp_path / 'out' / 'skrl' / 'checkpoints' / 'agent_320.pt'}; nothing was registered")  # fmt: skip
    # What a person reads in a job log: no colour codes, and skrl's seed line once.
    assert "\x1b[" not in err and err.count("Seed: 42") == 1


def test_a_server_started_after_training_began_gets_the_run_and_every_point(tmp_path: Path) -> None:
    server = MlflowServer(tmp_path / "server", port=free_port())
    process = start_trainer(
        tmp_path, server.uri, FAST_FAILING_CLIENT, timesteps=1_000_000, log_interval="step",
        metrics_flush_timeout=120,
    )  # fmt: skip
    try:
        wait_until_training(process)  # under way with no server at all
        server.start()  # the same port, late
        client = MlflowClient(server.uri)
        deadline = time.monotonic() + 240
        while not client.search_runs([e.experiment_id for e in client.search_experiments()]):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        code, out, err = finish(process)
        ledger = tmp_path / "out" / "metrics.jsonl"
        _one_warning(err, server.uri, ledger)
        assert code == 143
        result = result_of(out)
        run = client.get_run(result["run_id"])
        assert (run.info.status, run.data.tags["training_outcome"]) == ("KILLED", "interrupted")
        assert run.data.params["task"] == "CartPole-v1"  # the run was made in full, late
        in_mlflow = {
            (key, metric.step)
            for key in run.data.metrics
            for metric in client.get_metric_history(result["run_id"], key)
        }
        assert in_mlflow == ledger_points(ledger)  # the points from before the server answered too
        assert result["unsent_metric_points"] == 0
        last = Path(result["checkpoint"]).name
        assert f"checkpoints/{last}" in {f.path for f in client.list_artifacts(result["run_id"], "checkpoints")}
    finally:
        if process.poll() is None:
            process.kill()
        server.stop()
