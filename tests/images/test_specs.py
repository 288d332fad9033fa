"""The rendered specs, run in the job images they name: `submit azureml|osmo ... --dry-run -o FILE`, then
`submit local run FILE` in an image built from our Dockerfile, tracking to a real MLflow server.

Each spec trains a tiny budget in its container, tracks its run, uploads its checkpoint and registers one
model version; a training that fails inside the container exits non-zero and registers nothing. The
images are the real Dockerfiles' (tests/images/conftest.py: only the base changed) with a stand-in
layer for NVIDIA's asset server or the Hugging Face Hub, which this machine cannot reach.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.images.conftest import SUBMIT
from tests.lerobot.conftest import TINY_ACT

pytestmark = [pytest.mark.images, pytest.mark.slow, pytest.mark.mlflow_server]

CARTPOLE = ["-t", "Isaac-Cartpole-Direct", "-n", "16", "-m", "2", "--physics", "newton_mjwarp"]
CARTPOLE_OBSERVATIONS = 4  # Isaac-Cartpole-Direct: pole and cart, position and velocity each
LEROBOT = ["-p", "act", "--steps", "4", "--batch-size", "4", "--save-freq", "4", "--lerobot-arg=--log_freq=2",
           *[f"--lerobot-arg={arg}" for arg in TINY_ACT]]  # fmt: skip


def render(tmp_path: Path, backend: str, command: str, *args: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    spec = tmp_path / ("job.yaml" if backend == "azureml" else "wf.yaml")
    done = subprocess.run([SUBMIT, backend, command, *args, "--dry-run", "-o", str(spec)],
                          capture_output=True, text=True, cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return spec


def local_run(spec: Path, tracking_uri: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
    return subprocess.run([SUBMIT, "local", "run", str(spec), "--output-format", "json"],
                          capture_output=True, text=True, cwd=spec.parent, env=env, check=False)  # fmt: skip


def assert_trained_and_registered(done: subprocess.CompletedProcess, tracking_uri: str, model: str) -> dict:
    from mlflow import MlflowClient

    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout)
    client = MlflowClient(tracking_uri)
    run = client.get_run(report["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.metrics, "the run tracked no metric"
    uploaded = _artifacts(client, report["run_id"])
    assert any(path.endswith((".pt", ".safetensors")) for path in uploaded), uploaded  # the checkpoint
    versions = client.search_model_versions(f"name='{model}'")
    assert [(v.version, v.run_id) for v in versions] == [("1", report["run_id"])]  # registered once
    return report


def assert_an_mlflow_model(tracking_uri: str, model: str, observations: int, tmp_path: Path) -> None:
    """Version 1 of `model` is an MLflow pyfunc model, not the plain-folder fallback a job image without what
    MLflow's pyfunc needs (pandas) would register: tagged mlflow_model=true, and it loads here and acts."""
    import mlflow.pyfunc
    import numpy as np
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    version = client.get_model_version(model, "1")
    assert version.tags.get("mlflow_model") == "true", version.tags
    # Downloaded through the client, then loaded from the folder: no global tracking URI is set for this.
    folder = client.download_artifacts(version.run_id, "model", str(tmp_path))
    actions = mlflow.pyfunc.load_model(folder).predict(np.zeros((3, observations), dtype=np.float32))
    assert actions.shape[0] == 3 and np.isfinite(actions).all(), actions


def _artifacts(client, run_id: str, path: str | None = None) -> list[str]:
    found = []
    for entry in client.list_artifacts(run_id, path):
        found += _artifacts(client, run_id, entry.path) if entry.is_dir else [entry.path]
    return found


def test_azureml_rl_spec_trains_in_the_kitless_isaaclab3_image(isaaclab3_image, mlflow_server, tmp_path):
    spec = render(tmp_path, "azureml", "training", *CARTPOLE, "-i", isaaclab3_image, "-r", "img-azureml-cartpole",
                  "--job-name", "img-azureml-cartpole", "--experiment-name", "images-tier")  # fmt: skip
    report = assert_trained_and_registered(local_run(spec, mlflow_server.uri), mlflow_server.uri, "img-azureml-cartpole")
    assert Path(report["checkpoint"]).is_relative_to(tmp_path / "outputs" / "img-azureml-cartpole")
    assert_an_mlflow_model(mlflow_server.uri, "img-azureml-cartpole", CARTPOLE_OBSERVATIONS, tmp_path)


def test_osmo_rl_workflow_trains_in_the_kitless_isaaclab3_image(isaaclab3_image, mlflow_server, tmp_path):
    spec = render(tmp_path, "osmo", "training", *CARTPOLE, "-i", isaaclab3_image, "-r", "img-osmo-cartpole",
                  "-j", "img-osmo-cartpole", "--experiment-name", "images-tier")  # fmt: skip
    assert_trained_and_registered(local_run(spec, mlflow_server.uri), mlflow_server.uri, "img-osmo-cartpole")
    assert_an_mlflow_model(mlflow_server.uri, "img-osmo-cartpole", CARTPOLE_OBSERVATIONS, tmp_path)


def test_azureml_lerobot_spec_trains_in_the_lerobot_image(lerobot_image, mlflow_server, tmp_path):
    spec = render(tmp_path, "azureml", "lerobot-training", "-d", "local/tiny", *LEROBOT, "-i", lerobot_image,
                  "-r", "img-azureml-act", "--job-name", "img-azureml-act", "--experiment-name", "images-tier")  # fmt: skip
    assert_trained_and_registered(local_run(spec, mlflow_server.uri), mlflow_server.uri, "img-azureml-act")


def test_osmo_lerobot_workflow_trains_in_the_lerobot_image(lerobot_image, mlflow_server, tmp_path):
    spec = render(tmp_path, "osmo", "lerobot-training", "-d", "local/tiny", *LEROBOT, "-i", lerobot_image,
                  "-r", "img-osmo-act", "-j", "img-osmo-act", "--experiment-name", "images-tier")  # fmt: skip
    assert_trained_and_registered(local_run(spec, mlflow_server.uri), mlflow_server.uri, "img-osmo-act")


def test_a_training_that_fails_in_its_container_exits_non_zero_and_registers_nothing(
    lerobot_image, mlflow_server, tmp_path
):
    from mlflow import MlflowClient

    # The dataset is not in the image's cache and the Hub is off: the trainer fails inside the container.
    spec = render(tmp_path, "azureml", "lerobot-training", "-d", "local/missing", *LEROBOT, "-i", lerobot_image,
                  "-r", "img-failed-act", "--job-name", "img-failed-act", "--experiment-name", "images-tier")  # fmt: skip
    done = local_run(spec, mlflow_server.uri)
    assert done.returncode not in (0, 2), done.stderr[-3000:]  # a runtime failure, not refused input
    assert done.stdout == ""
    assert "img-failed-act exited" in done.stderr
    assert MlflowClient(mlflow_server.uri).search_model_versions("name='img-failed-act'") == []


def _version_tags(tracking_uri: str, model: str) -> dict[str, str]:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri).get_model_version(model, "1").tags


def _evaluated(done: subprocess.CompletedProcess, tracking_uri: str, model: str) -> tuple[dict, list[str]]:
    """The evaluation job's run (finished, linked to version 1 of `model`, which it tagged) and its artifacts."""
    from mlflow import MlflowClient

    assert done.returncode == 0, done.stderr[-4000:]
    client = MlflowClient(tracking_uri)
    tags = _version_tags(tracking_uri, model)
    assert tags["evaluated"] == "true", tags
    run = client.get_run(tags["eval.run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["model_name"] == model
    return run.data.metrics, _artifacts(client, run.info.run_id)


def test_a_gymnasium_version_is_evaluated_with_video_and_onnx_export_in_the_kitless_isaaclab3_image(
    isaaclab3_image, mlflow_server, tmp_path
):
    import hashlib

    import numpy as np
    import onnxruntime
    from mlflow import MlflowClient

    train = render(tmp_path / "train", "osmo", "training", "-t", "CartPole-v1", "-n", "4", "-m", "2", "-i", isaaclab3_image,
                   "-r", "img-cartpole-v1", "-j", "img-cartpole-v1", "--experiment-name", "images-tier")  # fmt: skip
    assert_trained_and_registered(local_run(train, mlflow_server.uri), mlflow_server.uri, "img-cartpole-v1")
    spec = render(tmp_path / "eval", "azureml", "evaluation", "--model", "models:/img-cartpole-v1/1", "--episodes", "2",
                  "--video-episodes", "1", "--export", "onnx", "-i", isaaclab3_image, "--experiment-name", "images-tier")  # fmt: skip
    metrics, artifacts = _evaluated(local_run(spec, mlflow_server.uri), mlflow_server.uri, "img-cartpole-v1")
    assert metrics["mean_return"] > 0 and "eval.mean_return" in _version_tags(mlflow_server.uri, "img-cartpole-v1")
    # The video (moviepy and pygame-ce in the image) and the ONNX file (onnx, onnxscript) were made in the container.
    assert [a for a in artifacts if a.startswith("video/")] == ["video/episode-episode-0.mp4"], artifacts
    onnx_path = next(a for a in artifacts if a.endswith(".onnx"))
    run_id = _version_tags(mlflow_server.uri, "img-cartpole-v1")["eval.run_id"]
    folder = Path(MlflowClient(mlflow_server.uri).download_artifacts(run_id, str(Path(onnx_path).parent), str(tmp_path / "x")))
    model = folder / Path(onnx_path).name
    sidecar = model.with_name(model.name + ".sha256")
    assert sidecar.read_text().split()[0] == hashlib.sha256(model.read_bytes()).hexdigest()
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.zeros((3, 4), dtype=np.float32)}  # CartPole-v1: 4 observations
    (actions,) = session.run(None, feed)[:1]
    assert actions.shape[0] == 3 and np.isfinite(actions).all()


def test_a_lerobot_version_is_rolled_out_in_pusht_with_video_in_the_lerobot_image(lerobot_image, mlflow_server, tmp_path):
    # The pusht-shaped tiny dataset (scripts/make-tiny-lerobot-dataset.py --pusht) is in the stand-in's cache.
    train = render(tmp_path / "train", "osmo", "lerobot-training", "-d", "local/tiny-pusht", *LEROBOT, "-i", lerobot_image,
                   "-r", "img-pusht-act", "-j", "img-pusht-act", "--experiment-name", "images-tier")  # fmt: skip
    assert_trained_and_registered(local_run(train, mlflow_server.uri), mlflow_server.uri, "img-pusht-act")
    spec = render(tmp_path / "eval", "azureml", "evaluation", "--model", "models:/img-pusht-act/1", "--lerobot-env", "pusht",
                  "--episodes", "1", "--video-episodes", "1", "-i", lerobot_image, "--experiment-name", "images-tier")  # fmt: skip
    metrics, artifacts = _evaluated(local_run(spec, mlflow_server.uri), mlflow_server.uri, "img-pusht-act")
    assert set(metrics) >= {"mean_return", "success_rate", "mean_episode_length"}
    assert "video/episode-0.mp4" in artifacts, artifacts
    tags = _version_tags(mlflow_server.uri, "img-pusht-act")
    assert tags["eval.task"] == "gym_pusht/PushT-v0"
