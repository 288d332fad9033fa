"""An embedded MLflow store (sqlite) served by a store process of its own (issue 19, item 2): the training process
imports no mlflow, every point reaches the store, and neither side's death takes the other's work down with it.

Real trainer processes, a real sqlite store, real signals; nothing is replaced."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from tests.training.conftest import finish, result_of, start_trainer, trainer_env, wait_until_training
from tests.training.tracking.test_sender import ledger_points
from training.tracking.store_process import embedded

pytestmark = pytest.mark.slow

# The trainer as `python -m training rl`, saying at its very end whether anything of mlflow was imported.
REPORTING_TRAINER = """
import runpy, sys
sys.argv = ["training", "rl"]
try:
    runpy.run_module("training", run_name="__main__", alter_sys=True)
finally:
    print("mlflow modules in the training process:", sorted(m for m in sys.modules if m.split(".")[0] == "mlflow"), file=sys.stderr)
"""


def _store_children(parent: int) -> list[int]:
    """The store processes whose parent is `parent` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"training.tracking.store_process" in command:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_sqlite_run_keeps_mlflow_out_of_the_training_process_and_stores_every_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    env = {**os.environ, **trainer_env(tmp_path / "out", timesteps=320, log_interval="step", register_model="stored"),
           "MLFLOW_TRACKING_URI": uri}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", REPORTING_TRAINER], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "mlflow modules in the training process: []" in done.stderr
    result = result_of(done.stdout)
    assert result["unsent_metric_points"] == 0 and result["model_version"] == "1"

    client = MlflowClient(uri)
    run = client.get_run(result["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["task"] == "CartPole-v1" and run.data.tags["training_outcome"] == "succeeded"
    stored = {(key, m.step) for key in run.data.metrics for m in client.get_metric_history(run.info.run_id, key)}
    ledger = ledger_points(tmp_path / "out" / "metrics.jsonl")
    assert ledger and stored == ledger
    assert {a.path for a in client.list_artifacts(run.info.run_id)} >= {"checkpoints", "model", "metrics", "tensorboard"}

    version = client.get_model_version("stored", "1")
    assert version.tags["mlflow_model"] == "true"
    assert not (tmp_path / "out" / "policy-scripted.pt").exists()  # handed to the store process, then removed
    import mlflow.pyfunc

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    model = mlflow.pyfunc.load_model("models:/stored/1")
    actions = model.predict(np.zeros((3, 4), dtype=np.float32))
    assert np.asarray(actions).shape[0] == 3


def test_a_store_process_killed_mid_run_costs_the_training_nothing_and_registers_nothing(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    process = start_trainer(tmp_path, uri, timesteps=3000, log_interval="step", register_model="never", metrics_flush_timeout=5)
    wait_until_training(process)
    _wait_for_metrics(tmp_path / "mlruns.db", process)  # mid-run: the run is open and points reach the store
    children = _store_children(process.pid)
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    code, out, err = finish(process)

    assert code == 1
    assert (tmp_path / "out" / "skrl" / "checkpoints" / "agent_3000.pt").is_file()  # training ran to its end
    ledger = tmp_path / "out" / "metrics.jsonl"
    assert max(step for _, step in ledger_points(ledger)) == 3000  # every point is in the ledger
    result = result_of(out)
    assert (result["status"], result["model_version"]) == ("failed", None)
    assert result["unsent_metric_points"] > 0
    assert f"metric points could not be sent to MLflow at {uri}" in err and "StoreGone" in err
    last = err.rstrip().splitlines()[-1]
    assert last.startswith(f"error: training finished, but could not upload the checkpoints at {uri} (the MLflow store process")
    assert last.endswith("nothing was registered")
    assert MlflowClient(uri).search_registered_models() == []


def _wait_for_metrics(database: Path, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout  # a bound against hanging, not a speed target
    while True:
        assert process.poll() is None and time.monotonic() < deadline, "no metric reached the store"
        with contextlib.suppress(sqlite3.Error), sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            if db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]:  # sent after the run opened
                return
        time.sleep(0.2)


def test_a_training_process_killed_takes_its_store_process_with_it_and_leaves_the_database_usable(tmp_path: Path) -> None:
    database = tmp_path / "mlruns.db"
    process = start_trainer(tmp_path, f"sqlite:///{database}", timesteps=1_000_000, log_interval="step")
    wait_until_training(process)
    children = _store_children(process.pid)
    assert len(children) == 1
    process.send_signal(signal.SIGKILL)
    process.wait(60)
    deadline = time.monotonic() + 120  # a bound against hanging, not a speed target
    while _alive(children[0]):
        assert time.monotonic() < deadline, "the store process outlived its training process"
        time.sleep(0.2)
    with sqlite3.connect(database, timeout=1) as db:  # not locked by an orphan
        db.execute("CREATE TABLE written_after (x INTEGER)")
        db.execute("INSERT INTO written_after VALUES (1)")


@pytest.mark.parametrize(
    ("uri", "served"),
    [
        ("sqlite:///tmp/mlruns.db", True),
        ("file:///tmp/mlruns", True),
        ("/tmp/mlruns", True),
        ("mlruns", True),
        ("http://127.0.0.1:5000", False),
        ("https://mlflow.example.com", False),
        ("azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/s", False),
        ("databricks", False),
        ("", False),
        (None, False),
    ],
)
def test_only_an_embedded_store_gets_a_store_process(uri: str | None, served: bool) -> None:
    assert embedded(uri) is served


def test_a_process_forked_from_the_trainer_does_not_hold_the_store_process_open(tmp_path: Path) -> None:
    # A fork (a data-loader worker, an async vector env) inherits the pipes; the store process sees its stdin close
    # only when every holder closed it. Without the fork hook, close() would wait 30 s and then kill the child.
    import time

    from training.tracking import store_process

    store = store_process.launch(f"sqlite:///{tmp_path / 'mlruns.db'}")
    experiment = store.client.create_experiment("forked")  # asked something: close() lets it finish
    worker = os.fork()
    if worker == 0:  # the forked "worker": lives on past the parent's close, then leaves without cleanup
        time.sleep(20)
        os._exit(0)
    try:
        started = time.monotonic()
        store_process.close_all()
        assert time.monotonic() - started < 10
        assert store._child.returncode == 0  # it exited on its own (stdin closed), not killed
        assert MlflowClient(f"sqlite:///{tmp_path / 'mlruns.db'}").get_experiment(experiment).name == "forked"
    finally:
        os.kill(worker, 9)
        os.waitpid(worker, 0)
