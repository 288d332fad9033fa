"""Fixtures for the LeRobot tier: a synthetic dataset and an offline LeRobot environment.

Only tests marked `lerobot` import LeRobot; they run in .venv-lerobot (scripts/setup-lerobot-env.sh).
The pure tests of this folder (plan, dataset download) run in any venv.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.evaluation_done import Done

# Tiny ACT: about 30 thousand parameters instead of 40 million, so a training step takes milliseconds.
TINY_ACT = (
    "--policy.dim_model=32",
    "--policy.n_heads=2",
    "--policy.dim_feedforward=64",
    "--policy.n_encoder_layers=1",
    "--policy.n_decoder_layers=1",
    "--policy.n_vae_encoder_layers=1",
    "--policy.latent_dim=8",
    "--policy.chunk_size=5",
    "--policy.n_action_steps=5",
)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-episode, 40-frame state-only LeRobot v3.0 dataset made by LeRobot's own writer."""
    pytest.importorskip("lerobot", reason="needs .venv-lerobot (scripts/setup-lerobot-env.sh)")
    from tests.lerobot.synthetic import make_dataset

    return make_dataset(tmp_path_factory.mktemp("datasets") / "tiny")


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory, mlflow_server) -> Iterator[pytest.MonkeyPatch]:
    """No Hub, no WANDB, no torch.hub; tracking goes to the session's real MLflow server."""
    home = tmp_path_factory.mktemp("hf-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_HOME", str(home))
        patch.setenv("HF_LEROBOT_HOME", str(home / "lerobot"))
        patch.setenv("WANDB_MODE", "disabled")
        patch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
        patch.delenv("MLFLOW_RUN_ID", raising=False)
        patch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
        for name in [n for n in os.environ if n.startswith("ROBO_")]:
            patch.delenv(name)
        yield patch


@pytest.fixture(scope="module")
def client(offline_env):
    import mlflow

    return mlflow.MlflowClient(os.environ["MLFLOW_TRACKING_URI"])


def train_tiny_act(offline_env, output: Path, settings: dict[str, str]) -> dict:
    """Train a tiny ACT in process with LeRobot settings (plus CPU, batch 4, no workers); its ROBO_RESULT."""
    import contextlib
    import io

    from training.lerobot import main

    settings = {"ROBO_DEVICE": "cpu", "ROBO_BATCH_SIZE": "4", "ROBO_NUM_WORKERS": "0", **settings}
    out = io.StringIO()
    with offline_env.context() as local, contextlib.redirect_stdout(out):
        for name, value in settings.items():
            local.setenv(name, value)
        code = main(["--output-dir", str(output)])
    assert code == 0
    return Done(code, out.getvalue(), "").result


def evaluate(offline_env, capfd, output: Path, settings: dict[str, str], *args: str) -> Done:
    from training.__main__ import main as trainer_main

    capfd.readouterr()
    with offline_env.context() as local:
        for name, value in settings.items():
            local.setenv(name, value)
        code = trainer_main(["evaluate", "--output-dir", str(output), "--device", "cpu", *args])
    captured = capfd.readouterr()
    return Done(code, captured.out, captured.err)
