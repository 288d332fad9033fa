"""A registered RL version is an MLflow model (issue 16, item 1): pyfunc load and predict, `mlflow models predict`,
and resume / warm start still reading the raw checkpoint inside it. One real CartPole training (a sqlite store)
serves the whole module."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow import MlflowClient

from tests.training.conftest import Trained, assert_same_tensors, build_agent, registered_training, rl_config
from training.checkpoints import fetch_checkpoint
from training.rl.loop import StopFlag
from training.rl.train import main

MODEL = "policy-cartpole"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """One tiny PPO CartPole training, registered as version 1 of MODEL in a fresh sqlite store."""
    root = tmp_path_factory.mktemp("policy-model")
    with registered_training(root, register_model=MODEL, correlation_id="ci-16/attempt-1") as trained:
        yield trained


@pytest.fixture
def tracking(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", trained.tracking_uri)
    return trained.tracking_uri


def reference_actions(checkpoint: Path, observations: torch.Tensor, tmp_path: Path) -> np.ndarray:
    """What skrl's own policy chooses, most likely action, for `observations`: an agent built from the YAML,
    its policy and preprocessor loaded from the raw checkpoint, asked through skrl's act()."""
    built = build_agent(rl_config(tmp_path / "reference"))
    try:
        saved = torch.load(checkpoint, weights_only=True)
        agent = built.agent
        agent.checkpoint_modules["policy"].load_state_dict(saved["policy"])
        agent.checkpoint_modules["observation_preprocessor"].load_state_dict(saved["observation_preprocessor"])
        agent.enable_training_mode(False, apply_to_models=True)
        with torch.no_grad():
            x = agent.checkpoint_modules["observation_preprocessor"](observations)
            _, outputs = agent.models["policy"].act({"observations": x, "states": None}, role="policy")
        return outputs["net_output"].argmax(dim=-1, keepdim=True).numpy()
    finally:
        built.env.close()


def observations(count: int) -> np.ndarray:
    """CartPole-like observations: cart position, velocity, pole angle, angular velocity."""
    rng = np.random.default_rng(7)
    return rng.uniform([-2.4, -3.0, -0.2, -3.0], [2.4, 3.0, 0.2, 3.0], size=(count, 4)).astype(np.float32)


def test_the_version_loads_as_a_pyfunc_and_predicts_what_the_skrl_policy_chooses(
    trained: Trained, tracking: str, tmp_path: Path
) -> None:
    import mlflow

    model = mlflow.pyfunc.load_model(f"models:/{MODEL}/1")
    batch = observations(64)
    actions = model.predict(batch)
    assert actions.shape == (64, 1) and actions.dtype == np.int64
    assert set(np.unique(actions)) <= {0, 1}
    expected = reference_actions(Path(trained.result["checkpoint"]), torch.as_tensor(batch), tmp_path)
    np.testing.assert_array_equal(actions, expected)
    assert len(np.unique(expected)) == 2  # both actions occur: a policy that always pushes left would not test much
    inputs = model.metadata.signature.inputs.to_dict()
    outputs = model.metadata.signature.outputs.to_dict()
    assert inputs == [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": (-1, 4)}}]
    assert outputs == [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": (-1, 1)}}]


def test_mlflow_models_predict_runs_the_version_offline(trained: Trained, tracking: str, tmp_path: Path) -> None:
    batch = observations(5)
    request = tmp_path / "input.json"
    request.write_text(json.dumps({"inputs": batch.tolist()}))
    done = subprocess.run(
        [sys.executable, "-m", "mlflow", "models", "predict", "-m", f"models:/{MODEL}/1", "-i", str(request),
         "-t", "json", "--env-manager", "local", "-o", str(tmp_path / "out.json")],
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking}, capture_output=True, text=True, timeout=240,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    predicted = json.loads((tmp_path / "out.json").read_text())["predictions"]
    import mlflow

    assert predicted == mlflow.pyfunc.load_model(f"models:/{MODEL}/1").predict(batch).tolist()


@pytest.mark.parametrize("mode", ["warm-start", "resume"])
def test_resume_and_warm_start_read_the_raw_checkpoint_inside_the_mlflow_model(
    trained: Trained, tracking: str, mode: str
) -> None:
    fetched = fetch_checkpoint(f"models:/{MODEL}/1", mode, "skrl", "CartPole-v1")
    assert fetched is not None and fetched.file_name == "agent.pt"
    assert_same_tensors(fetched.payload, torch.load(trained.result["checkpoint"], weights_only=True))


def test_the_version_keeps_the_checkpoints_sha256_and_carries_the_correlation_id(trained: Trained, tracking: str) -> None:
    from training.registration import sha256_file

    client = MlflowClient(tracking)
    version = client.get_model_version(MODEL, "1")
    assert version.tags["sha256"] == sha256_file(trained.result["checkpoint"])
    assert version.tags["checkpoint_file"] == "agent.pt"
    # The correlation id joins the pipeline's runs: on the training run, the version and the result line.
    assert version.tags["correlation_id"] == "ci-16/attempt-1"
    assert client.get_run(trained.result["run_id"]).data.tags["correlation_id"] == "ci-16/attempt-1"
    assert trained.result["correlation_id"] == "ci-16/attempt-1"


def test_a_policy_that_cannot_become_an_mlflow_model_still_registers_its_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A policy that does not trace (or an image whose MLflow lacks pyfunc: the same except, in the store
    process) must not fail a finished training: the version is the plain checkpoint folder it used to be,
    tagged mlflow_model=false, and resume reads it."""
    from training.rl.session import Session

    def refuse(self: object) -> None:
        raise RuntimeError("Could not export Python function call 'act'")

    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr(Session, "scripted_policy", refuse)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(rl_config(tmp_path / "train", register_model="plain"), stop=StopFlag()) == 0
    version = MlflowClient(uri).get_model_version("plain", "1")
    assert (version.tags["mlflow_model"], version.tags["agent_config"]) == ("false", "agent.yaml")
    fetched = fetch_checkpoint("models:/plain/1", "resume", "skrl", "CartPole-v1")
    assert fetched is not None and fetched.file_name == "agent.pt"
